using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task Heartbeat_ExtendsTheLease_AndReportsNoCancelRequest()
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2, lease: 58);

        var beat = await HeartbeatAsync(claimed, at: 30, lease: 60);

        var expected = claimed with { LeaseExpiresAt = At(90) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(beat, Is.EqualTo(new HeartbeatResult(expected, CancelRequested: false)));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(expected));
            Assert.That(await RescueAsync(at: 61), Is.Empty, "the old lease end no longer counts");
        }
    }

    [Test]
    public async Task Heartbeat_AfterACancelRequest_TellsTheWorkerToStop()
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2);
        await Runs.CancelRunAsync(Client, claimed.Id, "operator said stop", At(5), None);

        var beat = await HeartbeatAsync(claimed, at: 10, lease: 60);

        var expected = claimed with { CancelRequested = true, LeaseExpiresAt = At(70) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(beat, Is.EqualTo(new HeartbeatResult(expected, CancelRequested: true)));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(expected), "still Running until the worker reports");
        }
    }

    [Test]
    public async Task HeartbeatAndComplete_OnAnExpiredLeaseNotYetRescued_StillSucceed()
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2, lease: 10);

        var beat = await HeartbeatAsync(claimed, at: 50, lease: 60);
        var done = await CompleteAsync(claimed, RunStatus.Succeeded, at: 200);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beat.Run.LeaseExpiresAt, Is.EqualTo(At(110)));
            AssertCompletion(done, claimed with { Status = RunStatus.Succeeded, FinishedAt = At(200), LeaseExpiresAt = null }, null);
        }
    }

    [Test]
    public async Task Heartbeat_ByAnotherWorker_ThrowsLeaseLostNamingTheHolder_AndChangesNothing()
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2, worker: "w1");

        var ex = Assert.ThrowsAsync<LeaseLostException>(() => HeartbeatAsync(claimed, at: 3, worker: "intruder"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(claimed.Id));
            Assert.That(ex.WorkerId, Is.EqualTo(new WorkerId("intruder")));
            Assert.That(ex.Status, Is.EqualTo(RunStatus.Running));
            Assert.That(ex.Holder, Is.EqualTo(new WorkerId("w1")));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(claimed));
        }
    }

    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task CompleteRun_ByAnotherWorker_ThrowsLeaseLost_AndChangesNothing(RunStatus outcome)
    {
        var job = await CreateJobAsync("extract", maxAttempts: 3);
        var downstream = await CreateJobAsync("load");
        await DependAsync(downstream, job);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2, worker: "w1");
        var waiting = await EnqueueAsync(downstream, at: 3);

        var ex = Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(claimed, outcome, at: 4, worker: "intruder", error: "late"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(claimed.Id));
            Assert.That(ex.WorkerId, Is.EqualTo(new WorkerId("intruder")));
            Assert.That(ex.Status, Is.EqualTo(RunStatus.Running));
            Assert.That(ex.Holder, Is.EqualTo(new WorkerId("w1")));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(claimed));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 10, None), Has.Count.EqualTo(1), "no retry was created");
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(waiting), "no cascade");
        }
    }

    [Test]
    public async Task HeartbeatAndComplete_AfterARescue_ThrowLeaseLost_AndNeverTouchTheNextAttempt()
    {
        var job = await CreateJobAsync("extract", maxAttempts: 2);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2, worker: "slow", lease: 10);
        var rescued = (await RescueAsync(at: 20)).Single();
        var retry = await ClaimOnlyAsync(rescued.Retry!, at: 21, worker: "fast");

        var beat = Assert.ThrowsAsync<LeaseLostException>(() => HeartbeatAsync(claimed, at: 22, worker: "slow"));
        var complete = Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(claimed, RunStatus.Succeeded, at: 22, worker: "slow"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((beat.Status, beat.Holder), Is.EqualTo((RunStatus.Failed, (WorkerId?)null)));
            Assert.That((complete.Status, complete.Holder), Is.EqualTo((RunStatus.Failed, (WorkerId?)null)));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(rescued.Run), "the rescued outcome stands");
            Assert.That(await GetRunAsync(retry), Is.EqualTo(retry), "the next attempt belongs to its own worker");
        }
    }

    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task HeartbeatAndComplete_AfterTheWorkerAlreadyReported_ThrowLeaseLost_AndChangeNothing(RunStatus outcome)
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2);
        var ended = (await CompleteAsync(claimed, outcome, at: 3, error: "first report")).Run;

        var beat = Assert.ThrowsAsync<LeaseLostException>(() => HeartbeatAsync(claimed, at: 4));
        var again = Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(claimed, RunStatus.Succeeded, at: 4));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((beat.Status, beat.Holder, beat.WorkerId), Is.EqualTo((outcome, (WorkerId?)null, new WorkerId("worker-1"))));
            Assert.That((again.Status, again.Holder), Is.EqualTo((outcome, (WorkerId?)null)));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(ended));
        }
    }

    [Test]
    public async Task HeartbeatAndComplete_AfterAnOperatorFinishedTheRun_ThrowLeaseLost()
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2);
        var finished = await FinishAsync(claimed, RunStatus.Succeeded, at: 3);

        var beat = Assert.ThrowsAsync<LeaseLostException>(() => HeartbeatAsync(claimed, at: 4));
        var complete = Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(claimed, RunStatus.Failed, at: 4, error: "late"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beat.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(complete.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(finished));
        }
    }

    [Test]
    public async Task HeartbeatAndComplete_OnAPendingRun_ThrowLeaseLost()
    {
        var job = await CreateJobAsync("extract");
        var pending = await EnqueueAsync(job, at: 1);

        var beat = Assert.ThrowsAsync<LeaseLostException>(() => HeartbeatAsync(pending, at: 2));
        var complete = Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(pending, RunStatus.Succeeded, at: 2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((beat.Status, beat.Holder), Is.EqualTo((RunStatus.Pending, (WorkerId?)null)));
            Assert.That((complete.Status, complete.Holder), Is.EqualTo((RunStatus.Pending, (WorkerId?)null)));
            Assert.That(await GetRunAsync(pending), Is.EqualTo(pending));
        }
    }

    [Test]
    public async Task HeartbeatAndComplete_UnknownRun_ThrowRunNotFound()
    {
        var unknown = new RunId(long.MaxValue);

        var beat = Assert.ThrowsAsync<RunNotFoundException>(() => Queue.HeartbeatAsync(unknown, new WorkerId("w"), At(1), At(61), None));
        var complete = Assert.ThrowsAsync<RunNotFoundException>(() => Queue.CompleteRunAsync(unknown, new WorkerId("w"), RunStatus.Succeeded, null, null, At(1), NoDelay, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beat.RunId, Is.EqualTo(unknown));
            Assert.That(complete.RunId, Is.EqualTo(unknown));
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    public async Task CompleteRun_AsPendingOrRunning_ThrowsArgumentOutOfRange_AndChangesNothing(RunStatus outcome)
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2);

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CompleteAsync(claimed, outcome, at: 3));

        Assert.That(await GetRunAsync(claimed), Is.EqualTo(claimed));
    }

    [Test]
    public async Task CompleteRun_Succeeded_EndsTheRunAndReleasesItsDependents()
    {
        var extract = await CreateJobAsync("extract", maxAttempts: 3);
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(extract, at: 1), at: 2, worker: "w1");
        var waiting = await EnqueueAsync(load, at: 3);
        Assert.That(await ClaimIdsAsync(at: 4), Is.Empty, "load waits for extract");

        var done = await CompleteAsync(claimed, RunStatus.Succeeded, at: 5, worker: "w1", error: "ignored for a success");

        AssertCompletion(done, claimed with { Status = RunStatus.Succeeded, FinishedAt = At(5), LeaseExpiresAt = null, Error = null }, null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(done.Run));
            Assert.That(done.Run.WorkerId, Is.EqualTo(new WorkerId("w1")), "the worker that ran it is kept");
            Assert.That(await ClaimIdsAsync(at: 6), Is.EqualTo(new[] { waiting.Id }));
        }
    }

    [TestCase(RunStatus.Failed, "disk full: /data (ünïcode ✓)")]
    [TestCase(RunStatus.Cancelled, "stopped on request")]
    public async Task CompleteRun_FailedOrCancelled_KeepsTheErrorText(RunStatus outcome, string error)
    {
        var job = await CreateJobAsync("extract");
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 2);

        var ended = await CompleteAsync(claimed, outcome, at: 5, error: error);

        AssertCompletion(ended, claimed with { Status = outcome, FinishedAt = At(5), LeaseExpiresAt = null, Error = error }, null);
        Assert.That(await GetRunAsync(claimed), Is.EqualTo(ended.Run));
    }

    // ---------------------------------------------------------------- rescue

    [Test]
    public async Task Rescue_EndsOnlyRunningRunsWhoseLeaseExpiredBeforeNow()
    {
        var expiredJob = await CreateJobAsync("expired");
        var boundaryJob = await CreateJobAsync("boundary");
        var completedJob = await CreateJobAsync("completed");
        var extendedJob = await CreateJobAsync("extended");
        var pendingJob = await CreateJobAsync("pending");
        var expired = await ClaimOnlyAsync(await EnqueueAsync(expiredJob, at: 1), at: 1, lease: 59);
        var boundary = await ClaimOnlyAsync(await EnqueueAsync(boundaryJob, at: 1), at: 1, lease: 60);
        var completed = (await CompleteAsync(await ClaimOnlyAsync(await EnqueueAsync(completedJob, at: 1), at: 1, lease: 10), RunStatus.Succeeded, at: 5)).Run;
        var extended = (await HeartbeatAsync(await ClaimOnlyAsync(await EnqueueAsync(extendedJob, at: 1), at: 1, lease: 10), at: 5, lease: 100)).Run;
        var pending = await EnqueueAsync(pendingJob, at: 1);

        var rescued = await RescueAsync(at: 61);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rescued.Select(c => c.Run.Id), Is.EqualTo(new[] { expired.Id }), "lease At(60) < now At(61); a lease ending exactly now is not expired");
            AssertCompletion(rescued[0], expired with { Status = RunStatus.Failed, FinishedAt = At(61), LeaseExpiresAt = null, Error = "worker lost" }, null);
            Assert.That(await GetRunAsync(expired), Is.EqualTo(rescued[0].Run));
            Assert.That(await GetRunAsync(boundary), Is.EqualTo(boundary));
            Assert.That(await GetRunAsync(completed), Is.EqualTo(completed));
            Assert.That(await GetRunAsync(extended), Is.EqualTo(extended));
            Assert.That(await GetRunAsync(pending), Is.EqualTo(pending));
        }
    }

    [Test]
    public async Task Rescue_WithAttemptsLeft_RetriesAfterTheBackoff_AndWhenTheyRunOut_CascadesToDependents()
    {
        var policy = Backoff(10, 3600);
        var flaky = await CreateJobAsync("flaky", maxAttempts: 3);
        var load = await CreateJobAsync("load");
        await DependAsync(load, flaky);
        var first = await ClaimOnlyAsync(await EnqueueAsync(flaky, at: 0), at: 0, lease: 60);
        var waiting = await EnqueueAsync(load, at: 1);

        var rescue1 = (await RescueAsync(at: 61, policy)).Single();
        AssertCompletion(rescue1, first with { Status = RunStatus.Failed, FinishedAt = At(61), LeaseExpiresAt = null, Error = "worker lost" }, ExpectedRetry(rescue1, at: 61, availableAt: 71));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rescue1.Retry!.Attempt, Is.EqualTo(2));
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(waiting), "attempts remain: the dependent keeps waiting");
            Assert.That(await ClaimIdsAsync(at: 70), Is.Empty, "the retry waits for its backoff");
        }

        var second = await ClaimOnlyAsync(rescue1.Retry!, at: 71, lease: 60);
        var rescue2 = (await RescueAsync(at: 132, policy)).Single();
        AssertCompletion(rescue2, second with { Status = RunStatus.Failed, FinishedAt = At(132), LeaseExpiresAt = null, Error = "worker lost" }, ExpectedRetry(rescue2, at: 132, availableAt: 152));

        var third = await ClaimOnlyAsync(rescue2.Retry!, at: 152, lease: 60);
        var rescue3 = (await RescueAsync(at: 213, policy)).Single();
        AssertCompletion(rescue3, third with { Status = RunStatus.Failed, FinishedAt = At(213), LeaseExpiresAt = null, Error = "worker lost" }, null, waiting.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(CancelledByUpstream(waiting, "flaky", failed: true, at: 213)));
            Assert.That(await Runs.ListRunsAsync(Client, flaky.Id, null, 10, None), Is.EqualTo(new[] { rescue3.Run, rescue2.Run, rescue1.Run }), "every attempt is kept, newest first");
            Assert.That(rescue3.Run.Attempt, Is.EqualTo(3));
            Assert.That(await ClaimIdsAsync(at: 300), Is.Empty);
        }
    }

    [Test]
    public async Task Rescue_OfARunWithACancelRequest_CancelsIt_WithoutRetry_AndCascades()
    {
        var job = await CreateJobAsync("extract", maxAttempts: 3);
        var load = await CreateJobAsync("load");
        await DependAsync(load, job);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1, lease: 59);
        var waiting = await EnqueueAsync(load, at: 2);
        var marked = await Runs.CancelRunAsync(Client, claimed.Id, "operator said stop", At(3), None);

        var rescued = (await RescueAsync(at: 61)).Single();

        AssertCompletion(rescued, marked with { Status = RunStatus.Cancelled, FinishedAt = At(61), LeaseExpiresAt = null, Error = "cancelled; worker lost" }, null, waiting.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(claimed), Is.EqualTo(rescued.Run));
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(CancelledByUpstream(waiting, "extract", failed: false, at: 61)));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 10, None), Has.Count.EqualTo(1), "a cancelled run is not retried");
        }
    }

    [Test]
    public async Task Rescue_EndsAtMostTheLimit()
    {
        var expected = new List<RunId>();
        foreach (var job in await CreateJobsAsync("lost", 3))
        {
            expected.Add((await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1, lease: 10)).Id);
        }

        var one = await Queue.RescueExpiredRunsAsync(At(20), NoDelay, 1, None);
        var rest = await RescueAsync(at: 20);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(one, Has.Count.EqualTo(1));
            var mine = one.Where(c => _testJobs.Contains(c.Run.JobId)).Concat(rest).Select(c => c.Run.Id).ToArray();
            Assert.That(mine, Is.EquivalentTo(expected), "each expired run is rescued exactly once");
            Assert.That(await RescueAsync(at: 20), Is.Empty);
        }
    }

    [Test]
    public async Task Concurrency_AWorkerCompletingWhileARescueRuns_ExactlyOneOutcomeWins()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var job = await CreateJobAsync($"extract-{round}");
            var claimed = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1, lease: 10);
            IReadOnlyList<RunCompletion> rescued = [];

            var outcomes = await RaceAsync(2, async i =>
            {
                if (i == 0)
                {
                    await CompleteAsync(claimed, RunStatus.Succeeded, at: 20);
                }
                else
                {
                    rescued = await Queue.RescueExpiredRunsAsync(At(20), NoDelay, 1000, None);
                }
            });

            var stored = await GetRunAsync(claimed);
            var rescuedMine = rescued.Where(c => c.Run.Id == claimed.Id).ToArray();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes[1], Is.Null, $"round {round}: the rescue never fails: {Describe(outcomes)}");
                if (outcomes[0] is null)
                {
                    Assert.That(stored!.Status, Is.EqualTo(RunStatus.Succeeded), $"round {round}: the worker won");
                    Assert.That(rescuedMine, Is.Empty, $"round {round}: a completed run is never rescued");
                }
                else
                {
                    Assert.That(outcomes[0], Is.InstanceOf<LeaseLostException>(), $"round {round}: {Describe(outcomes)}");
                    Assert.That(stored!.Status, Is.EqualTo(RunStatus.Failed), $"round {round}: the rescue won");
                    Assert.That(rescuedMine.Select(c => c.Run), Is.EqualTo(new[] { stored }), $"round {round}");
                }
            }
        }
    }
}
