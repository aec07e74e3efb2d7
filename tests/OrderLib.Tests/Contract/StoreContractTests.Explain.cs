using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

/// <summary>
/// "Why isn't it running?": the facts a store reads about a run (<see cref="IRunStore.GetRunFactsAsync"/>) and the
/// explanation the domain composes from them (<see cref="RunExplanation.Of"/>), each reason alone and combined, and its text.
/// </summary>
public abstract partial class StoreContractTests
{
    [Test]
    public async Task Explain_AReadyRun_WaitsForAWorkerToClaimIt()
    {
        var job = await CreateJobAsync("extract");
        var run = await EnqueueAsync(job, at: 1);

        var explanation = await ExplainAsync(run, at: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(explanation.Run, Is.EqualTo(run));
            Assert.That(explanation.JobName, Is.EqualTo("extract"));
            Assert.That(explanation.Reasons, Is.EqualTo(new RunReason[] { new ReadyToClaimReason() }));
            Assert.That(explanation.IsReady, Is.True);
            Assert.That(explanation.ToString(), Is.EqualTo($"Run {run.Id} can start: it is ready, waiting for a worker to claim it."));
        }
    }

    [Test]
    public async Task Explain_ARunWaitingOnUpstreamJobs_NamesEachWithItsLatestStatus_InTheWordsOfTheStartRefusal()
    {
        var failed = await CreateJobAsync("extract");
        var neverRan = await CreateJobAsync("clean");
        var succeeded = await CreateJobAsync("fetch");
        var job = await CreateJobAsync("load");
        foreach (var upstream in new[] { failed, neverRan, succeeded })
        {
            await DependAsync(job, upstream);
        }

        await RunToEndAsync(failed, RunStatus.Failed, at: 1);
        await RunToEndAsync(succeeded, RunStatus.Succeeded, at: 1);
        var run = await EnqueueAsync(job, at: 2);
        var refusal = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));

        var explanation = await ExplainAsync(run, at: 3);

        var expected = new[] { new UnsatisfiedDependency(failed.Id, "extract", RunStatus.Failed), new UnsatisfiedDependency(neverRan.Id, "clean", null) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(explanation.Reasons.Single(), Is.TypeOf<WaitingOnUpstreamReason>());
            Assert.That(((WaitingOnUpstreamReason)explanation.Reasons[0]).Upstream, Is.EqualTo(expected), "in job id order, the successful upstream job left out");
            Assert.That(refusal!.Unsatisfied, Is.EqualTo(expected));
            Assert.That(explanation.ToString(), Is.EqualTo($"Run {run.Id} cannot start: it waits for 'extract' (latest run Failed), 'clean' (never ran)."));
            Assert.That(explanation.ToString(), Is.EqualTo(refusal.Message), "the same text as the start's refusal");
        }
    }

    [Test]
    public async Task Explain_ARunOfAPausedJob_SaysSinceWhen_InTheWordsOfTheStartRefusal()
    {
        var job = await CreateJobAsync("extract");
        var run = await EnqueueAsync(job, at: 1);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);
        var refusal = Assert.ThrowsAsync<JobPausedException>(() => StartAsync(run, at: 3));

        var explanation = await ExplainAsync(run, at: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(explanation.Reasons, Is.EqualTo(new RunReason[] { new JobPausedReason(job.Id, "extract", At(2)) }));
            Assert.That(explanation.IsReady, Is.False);
            Assert.That(explanation.ToString(), Is.EqualTo($"Run {run.Id} cannot start: its job 'extract' is paused since 2026-01-01T00:00:02.0000000+00:00."));
            Assert.That(explanation.ToString(), Is.EqualTo(refusal!.Message), "the same text as the start's refusal");
        }
    }

    [Test]
    public async Task Explain_ARetryInItsBackoff_SaysWhenItBecomesAvailable()
    {
        var job = await CreateJobAsync("flaky", maxAttempts: 2);
        var running = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1);
        var retry = (await CompleteAsync(running, RunStatus.Failed, at: 10, error: "boom", policy: Backoff(30, 30))).Retry!;

        var during = await ExplainAsync(retry, at: 39);
        var after = await ExplainAsync(retry, at: 40);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(during.Reasons, Is.EqualTo(new RunReason[] { new NotAvailableYetReason(At(40)) }));
            Assert.That(during.ToString(), Is.EqualTo($"Run {retry.Id} cannot start: it is not available before 2026-01-01T00:00:40.0000000+00:00 (a retry's backoff)."));
            Assert.That(after.Reasons, Is.EqualTo(new RunReason[] { new ReadyToClaimReason() }), "available at that time");
        }
    }

    [Test]
    public async Task Explain_APendingRunHeldInEveryWay_ListsEveryReason()
    {
        var upstream = await CreateJobAsync("extract");
        var job = await CreateJobAsync("load", maxAttempts: 2);
        await DependAsync(job, upstream);
        await RunToEndAsync(upstream, RunStatus.Succeeded, at: 1);
        var running = await ClaimOnlyAsync(await EnqueueAsync(job, at: 2), at: 2);
        var retry = (await CompleteAsync(running, RunStatus.Failed, at: 10, error: "boom", policy: Backoff(100, 100))).Retry!;
        await EnqueueAsync(upstream, at: 11);
        await Jobs.PauseJobAsync(Client, job.Id, At(12), None);

        var explanation = await ExplainAsync(retry, at: 13);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(explanation.Reasons, Has.Count.EqualTo(3));
            Assert.That(((WaitingOnUpstreamReason)explanation.Reasons[0]).Upstream, Is.EqualTo(new[] { new UnsatisfiedDependency(upstream.Id, "extract", RunStatus.Pending) }));
            Assert.That(explanation.Reasons.Skip(1), Is.EqualTo(new RunReason[] { new JobPausedReason(job.Id, "load", At(12)), new NotAvailableYetReason(At(110)) }));
            Assert.That(explanation.ToString(), Is.EqualTo(
                $"Run {retry.Id} cannot start: it waits for 'extract' (latest run Pending); its job 'load' is paused since 2026-01-01T00:00:12.0000000+00:00; " +
                "it is not available before 2026-01-01T00:01:50.0000000+00:00 (a retry's backoff)."));
        }
    }

    [Test]
    public async Task Explain_ARunningRun_NamesItsWorkerAndLease_WhetherTheLeaseExpired_AndACancelRequest()
    {
        var job = await CreateJobAsync("extract");
        var running = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1, worker: "w1", lease: 60);

        var held = await ExplainAsync(running, at: 61);
        var expired = await ExplainAsync(running, at: 62);
        await Runs.CancelRunAsync(Client, running.Id, "stop", At(63), None);
        var cancelling = await ExplainAsync(running, at: 63);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(held.Reasons, Is.EqualTo(new RunReason[] { new HeldByWorkerReason(new WorkerId("w1"), At(61), LeaseExpired: false, CancelRequested: false) }));
            Assert.That(held.ToString(), Is.EqualTo($"Run {running.Id} is running: it is held by worker 'w1' with a lease until 2026-01-01T00:01:01.0000000+00:00."));
            Assert.That(expired.Reasons, Is.EqualTo(new RunReason[] { new HeldByWorkerReason(new WorkerId("w1"), At(61), LeaseExpired: true, CancelRequested: false) }));
            Assert.That(cancelling.Reasons, Is.EqualTo(new RunReason[] { new HeldByWorkerReason(new WorkerId("w1"), At(61), LeaseExpired: true, CancelRequested: true) }));
            Assert.That(cancelling.ToString(), Is.EqualTo(
                $"Run {running.Id} is running: it is held by worker 'w1' with a lease until 2026-01-01T00:01:01.0000000+00:00 (expired: the next rescue ends it); " +
                "its cancellation was requested, so its worker stops at its next heartbeat."));
        }
    }

    [Test]
    public async Task Explain_AnEndedRun_SaysHowAndWhenItEnded()
    {
        var job = await CreateJobAsync("extract");
        var failed = await RunToEndAsync(job, RunStatus.Failed, at: 5);
        var succeeded = await RunToEndAsync(job, RunStatus.Succeeded, at: 6);
        await Jobs.PauseJobAsync(Client, job.Id, At(7), None);

        var failure = await ExplainAsync(failed, at: 8);
        var success = await ExplainAsync(succeeded, at: 8);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failure.Reasons, Is.EqualTo(new RunReason[] { new EndedReason(RunStatus.Failed, At(5), "boom") }), "the pause does not concern an ended run");
            Assert.That(failure.ToString(), Is.EqualTo($"Run {failed.Id} has ended: it ended Failed at 2026-01-01T00:00:05.0000000+00:00: boom."));
            Assert.That(success.ToString(), Is.EqualTo($"Run {succeeded.Id} has ended: it ended Succeeded at 2026-01-01T00:00:06.0000000+00:00."));
        }
    }

    [Test]
    public async Task RunFacts_OfAnUnknownRunOrAnotherClientsRun_ThrowRunNotFound()
    {
        var others = await CreateJobAsync("extract", client: OtherClient);
        var othersRun = (await Runs.EnqueueRunAsync(OtherClient, others.Id, null, At(1), None)).Run;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(
                () => Runs.GetRunFactsAsync(Client, new RunId(long.MaxValue), None),
                Throws.TypeOf<RunNotFoundException>().With.Property(nameof(RunNotFoundException.RunId)).EqualTo(new RunId(long.MaxValue)));
            Assert.That(
                () => Runs.GetRunFactsAsync(Client, othersRun.Id, None),
                Throws.TypeOf<RunNotFoundException>().With.Property(nameof(RunNotFoundException.RunId)).EqualTo(othersRun.Id));
        }
    }

    [Test]
    public async Task RunFacts_AreTheRunItsJobAndItsUnsatisfiedUpstreamJobs_AsTheyAreNow()
    {
        var upstream = await CreateJobAsync("extract");
        var job = await CreateJobAsync("load");
        await DependAsync(job, upstream);
        var run = await EnqueueAsync(job, at: 1);
        var paused = await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        var facts = await Runs.GetRunFactsAsync(Client, run.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(facts.Run, Is.EqualTo(run));
            Assert.That(facts.Job, Is.EqualTo(paused));
            Assert.That(facts.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(upstream.Id, "extract", null) }));
        }
    }

    private async Task<RunExplanation> ExplainAsync(JobRun run, int at) =>
        RunExplanation.Of(await Runs.GetRunFactsAsync(Client, run.Id, None), At(at));
}
