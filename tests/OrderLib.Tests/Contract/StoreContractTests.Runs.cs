using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task EnqueueRun_CreatesAPendingFirstAttemptAvailableNow()
    {
        var job = await CreateJobAsync("extract");

        var result = await Runs.EnqueueRunAsync(Client, job.Id, null, At(3), None);

        var run = result.Run;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Created, Is.True);
            Assert.That(run.Id.Value, Is.Positive);
            Assert.That(run.JobId, Is.EqualTo(job.Id));
            Assert.That(run.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(run.Attempt, Is.EqualTo(1));
            Assert.That(run.EnqueuedAt, Is.EqualTo(At(3)));
            Assert.That(run.AvailableAt, Is.EqualTo(At(3)));
            Assert.That(run.StartedAt, Is.Null);
            Assert.That(run.FinishedAt, Is.Null);
            Assert.That(run.WorkerId, Is.Null);
            Assert.That(run.LeaseExpiresAt, Is.Null);
            Assert.That(run.Error, Is.Null);
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    public async Task EnqueueRun_WhileTheJobHasAnActiveRun_ReturnsThatRunUnchanged(RunStatus activeStatus)
    {
        var job = await CreateJobAsync("extract");
        var active = await RunInStatusAsync(job, activeStatus, at: 1);

        var again = await Runs.EnqueueRunAsync(Client, job.Id, null, At(9), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.Created, Is.False);
            Assert.That(again.Run, Is.EqualTo(active));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 10, None), Is.EqualTo(new[] { active }));
        }
    }

    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task EnqueueRun_AfterTheRunEnded_CreatesANewPendingRun(RunStatus endedStatus)
    {
        var job = await CreateJobAsync("extract");
        var ended = await RunInStatusAsync(job, endedStatus, at: 1);

        var next = await Runs.EnqueueRunAsync(Client, job.Id, null, At(5), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(next.Created, Is.True);
            Assert.That(next.Run.Id.Value, Is.GreaterThan(ended.Id.Value));
            Assert.That(next.Run.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(next.Run.Attempt, Is.EqualTo(1));
            Assert.That(next.Run.EnqueuedAt, Is.EqualTo(At(5)));
            Assert.That(await GetRunAsync(ended), Is.EqualTo(ended), "the ended run is kept as history");
        }
    }

    [Test]
    public async Task EnqueueRun_UnknownJobOrAnotherClientsJob_ThrowsJobNotFoundAndCreatesNothing()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);

        var unknownEx = Assert.ThrowsAsync<JobNotFoundException>(() => Runs.EnqueueRunAsync(Client, new JobId(long.MaxValue), null, At(1), None));
        var theirsEx = Assert.ThrowsAsync<JobNotFoundException>(() => Runs.EnqueueRunAsync(Client, theirs.Id, null, At(1), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknownEx.JobId, Is.EqualTo(new JobId(long.MaxValue)));
            Assert.That(theirsEx.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Runs.ListRunsAsync(OtherClient, theirs.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task StartRun_RecordsWorkerStartTimeAndLease()
    {
        var job = await CreateJobAsync("extract");
        var pending = await EnqueueAsync(job, at: 1);

        var running = await Runs.StartRunAsync(Client, pending.Id, new WorkerId("host-a/worker-7"), At(4), At(34), None);

        var expected = pending with { Status = RunStatus.Running, StartedAt = At(4), WorkerId = new WorkerId("host-a/worker-7"), LeaseExpiresAt = At(34) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(running, Is.EqualTo(expected));
            Assert.That(await GetRunAsync(pending), Is.EqualTo(expected));
            Assert.That(await ReadyRunIdsAsync(at: 5), Is.Empty, "a running run is not ready");
        }
    }

    [Test]
    public async Task FinishRun_Succeeded_ClearsTheLeaseAndDropsErrorText()
    {
        var job = await CreateJobAsync("extract");
        var running = await StartAsync(await EnqueueAsync(job, at: 1), at: 2, worker: "w1");

        var finished = await Runs.FinishRunAsync(Client, running.Id, RunStatus.Succeeded, "ignored for a success", null, At(8), NoDelay, None);

        var expected = running with { Status = RunStatus.Succeeded, FinishedAt = At(8), LeaseExpiresAt = null, Error = null };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished.Run, Is.EqualTo(expected));
            Assert.That(finished.Retry, Is.Null);
            Assert.That(finished.CancelledDownstream, Is.Empty);
            Assert.That(await GetRunAsync(running), Is.EqualTo(expected));
            Assert.That(finished.Run.WorkerId, Is.EqualTo(new WorkerId("w1")));
            Assert.That(finished.Run.StartedAt, Is.EqualTo(At(2)));
        }
    }

    [Test]
    public async Task FinishRun_Failed_KeepsTheErrorText()
    {
        var job = await CreateJobAsync("extract");
        var running = await StartAsync(await EnqueueAsync(job, at: 1), at: 2);

        var finished = await Runs.FinishRunAsync(Client, running.Id, RunStatus.Failed, "disk full: /data (ünïcode ✓)", null, At(8), NoDelay, None);

        var expected = running with { Status = RunStatus.Failed, FinishedAt = At(8), LeaseExpiresAt = null, Error = "disk full: /data (ünïcode ✓)" };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished.Run, Is.EqualTo(expected));
            Assert.That(finished.Retry, Is.Null, "one attempt only: no retry");
            Assert.That(finished.CancelledDownstream, Is.Empty);
            Assert.That(await GetRunAsync(running), Is.EqualTo(expected));
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    [TestCase(RunStatus.Cancelled)]
    public async Task FinishRun_WithAnOutcomeOtherThanSucceededOrFailed_ThrowsArgumentOutOfRangeAndChangesNothing(RunStatus outcome)
    {
        var job = await CreateJobAsync("extract");
        var running = await RunInStatusAsync(job, RunStatus.Running, at: 1);

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Runs.FinishRunAsync(Client, running.Id, outcome, "x", null, At(2), NoDelay, None));

        Assert.That(await GetRunAsync(running), Is.EqualTo(running));
    }

    [Test]
    public async Task CancelRun_Pending_StoresReasonAndFinishTime()
    {
        var job = await CreateJobAsync("extract");
        var pending = await EnqueueAsync(job, at: 1);

        var cancelled = await Runs.CancelRunAsync(Client, pending.Id, "not needed today", At(6), None);

        var expected = pending with { Status = RunStatus.Cancelled, FinishedAt = At(6), Error = "not needed today" };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cancelled, Is.EqualTo(expected));
            Assert.That(await GetRunAsync(pending), Is.EqualTo(expected));
            Assert.That(await ReadyRunIdsAsync(at: 7), Is.Empty);
        }
    }

    [Test]
    public async Task CancelRun_Running_OnlyMarksTheCancelRequest_AndAskingAgainChangesNothing()
    {
        var job = await CreateJobAsync("extract");
        var running = await StartAsync(await EnqueueAsync(job, at: 1), at: 2, worker: "w1");

        var marked = await Runs.CancelRunAsync(Client, running.Id, "operator said stop", At(6), None);
        var again = await Runs.CancelRunAsync(Client, running.Id, "and again", At(7), None);

        var expected = running with { CancelRequested = true };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(running.CancelRequested, Is.False, "a fresh run carries no cancel request");
            Assert.That(marked, Is.EqualTo(expected), "still Running, same worker, lease, times and no error");
            Assert.That(again, Is.EqualTo(expected));
            Assert.That(await GetRunAsync(running), Is.EqualTo(expected));
        }
    }

    [TestCase(RunStatus.Running)]
    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task StartRun_WhenNotPending_ThrowsIllegalTransitionAndChangesNothing(RunStatus status)
    {
        var job = await CreateJobAsync("extract");
        var run = await RunInStatusAsync(job, status, at: 1);

        var ex = Assert.ThrowsAsync<IllegalRunTransitionException>(() => StartAsync(run, at: 2, worker: "intruder"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(run.Id));
            Assert.That(ex.From, Is.EqualTo(status));
            Assert.That(ex.To, Is.EqualTo(RunStatus.Running));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
        }
    }

    [TestCase(RunStatus.Pending, RunStatus.Succeeded)]
    [TestCase(RunStatus.Pending, RunStatus.Failed)]
    [TestCase(RunStatus.Succeeded, RunStatus.Succeeded)]
    [TestCase(RunStatus.Succeeded, RunStatus.Failed)]
    [TestCase(RunStatus.Failed, RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed, RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled, RunStatus.Succeeded)]
    [TestCase(RunStatus.Cancelled, RunStatus.Failed)]
    public async Task FinishRun_WhenNotRunning_ThrowsIllegalTransitionAndChangesNothing(RunStatus status, RunStatus outcome)
    {
        var job = await CreateJobAsync("extract");
        var run = await RunInStatusAsync(job, status, at: 1);

        var ex = Assert.ThrowsAsync<IllegalRunTransitionException>(() => FinishAsync(run, outcome, at: 2, error: "late"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(run.Id));
            Assert.That(ex.From, Is.EqualTo(status));
            Assert.That(ex.To, Is.EqualTo(outcome));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
        }
    }

    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task CancelRun_WhenTerminal_ThrowsIllegalTransitionAndChangesNothing(RunStatus status)
    {
        var job = await CreateJobAsync("extract");
        var run = await RunInStatusAsync(job, status, at: 1);

        var ex = Assert.ThrowsAsync<IllegalRunTransitionException>(() => Runs.CancelRunAsync(Client, run.Id, "too late", At(2), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(run.Id));
            Assert.That(ex.From, Is.EqualTo(status));
            Assert.That(ex.To, Is.EqualTo(RunStatus.Cancelled));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
        }
    }

    [Test]
    public async Task StartRun_BeforeItIsAvailable_ThrowsRunNotAvailableAndChangesNothing()
    {
        var job = await CreateJobAsync("extract");
        var pending = await EnqueueAsync(job, at: 10);

        var ex = Assert.ThrowsAsync<RunNotAvailableException>(() => StartAsync(pending, at: 9));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(pending.Id));
            Assert.That(ex.AvailableAt, Is.EqualTo(At(10)));
            Assert.That(await GetRunAsync(pending), Is.EqualTo(pending));
            Assert.That(await ReadyRunIdsAsync(at: 9), Is.Empty);
            Assert.That(await ReadyRunIdsAsync(at: 10), Is.EqualTo(new[] { pending.Id }));
        }
    }

    [Test]
    public async Task RunMethods_UnknownRunOrAnotherClientsRun_ThrowRunNotFoundAndChangeNothing()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirPending = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None)).Run;
        var theirRunning = await Runs.StartRunAsync(OtherClient, (await Runs.EnqueueRunAsync(OtherClient, (await CreateJobAsync("theirs-2", client: OtherClient)).Id, null, At(1), None)).Run.Id, new WorkerId("w"), At(2), At(60), None);
        var unknown = new RunId(long.MaxValue);

        var errors = new[]
        {
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.StartRunAsync(Client, unknown, new WorkerId("w"), At(3), At(60), None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.FinishRunAsync(Client, unknown, RunStatus.Succeeded, null, null, At(3), NoDelay, None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.CancelRunAsync(Client, unknown, "x", At(3), None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.StartRunAsync(Client, theirPending.Id, new WorkerId("w"), At(3), At(60), None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.CancelRunAsync(Client, theirPending.Id, "x", At(3), None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.FinishRunAsync(Client, theirRunning.Id, RunStatus.Failed, "x", null, At(3), NoDelay, None)),
            Assert.ThrowsAsync<RunNotFoundException>(() => Runs.CancelRunAsync(Client, theirRunning.Id, "x", At(3), None)),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors.Select(e => e?.RunId), Is.EqualTo(new[] { unknown, unknown, unknown, theirPending.Id, theirPending.Id, theirRunning.Id, theirRunning.Id }));
            Assert.That(await Runs.GetRunAsync(Client, unknown, None), Is.Null);
            Assert.That(await Runs.GetRunAsync(Client, theirPending.Id, None), Is.Null);
            Assert.That(await Runs.GetRunAsync(OtherClient, theirPending.Id, None), Is.EqualTo(theirPending));
            Assert.That(await Runs.GetRunAsync(OtherClient, theirRunning.Id, None), Is.EqualTo(theirRunning));
        }
    }

    [Test]
    public async Task ListRuns_NewestFirstWithBeforeCursor()
    {
        var job = await CreateJobAsync("extract");
        var runs = new List<JobRun>();
        for (var i = 0; i < 4; i++)
        {
            runs.Add(await RunInStatusAsync(job, RunStatus.Cancelled, at: i));
        }

        runs.Add(await EnqueueAsync(job, at: 10));
        var ids = runs.Select(r => r.Id).ToArray();

        var page1 = await Runs.ListRunsAsync(Client, job.Id, null, 2, None);
        var page2 = await Runs.ListRunsAsync(Client, job.Id, page1[^1].Id, 2, None);
        var page3 = await Runs.ListRunsAsync(Client, job.Id, page2[^1].Id, 2, None);
        var page4 = await Runs.ListRunsAsync(Client, job.Id, page3[^1].Id, 2, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page1.Select(r => r.Id), Is.EqualTo(new[] { ids[4], ids[3] }));
            Assert.That(page2.Select(r => r.Id), Is.EqualTo(new[] { ids[2], ids[1] }));
            Assert.That(page3.Select(r => r.Id), Is.EqualTo(new[] { ids[0] }));
            Assert.That(page4, Is.Empty);
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.EqualTo(Enumerable.Reverse(runs)));
        }
    }

    [Test]
    public async Task ListRuns_ShowsOnlyThatJobsRuns()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var runA = await EnqueueAsync(a, at: 1);
        await EnqueueAsync(b, at: 2);

        Assert.That(await Runs.ListRunsAsync(Client, a.Id, null, 10, None), Is.EqualTo(new[] { runA }));
    }

    [Test]
    public async Task ListRuns_UnknownJobOrAnotherClientsJob_ThrowsJobNotFound()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None);

        Assert.ThrowsAsync<JobNotFoundException>(() => Runs.ListRunsAsync(Client, new JobId(long.MaxValue), null, 10, None));
        Assert.ThrowsAsync<JobNotFoundException>(() => Runs.ListRunsAsync(Client, theirs.Id, null, 10, None));
    }

    [Test]
    public async Task ListLatestRuns_GivesEachJobInIdOrderWithItsNewestRunOrNull()
    {
        var never = await CreateJobAsync("never-ran");
        var twice = await CreateJobAsync("ran-twice");
        var once = await CreateJobAsync("ran-once");
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None);
        await RunToEndAsync(twice, RunStatus.Failed, at: 1);
        var twiceLatest = await EnqueueAsync(twice, at: 2);
        var onceLatest = await RunInStatusAsync(once, RunStatus.Running, at: 3);

        var all = await Runs.ListLatestRunsAsync(Client, null, 100, None);
        var page = await Runs.ListLatestRunsAsync(Client, never.Id, 1, None);
        var afterLast = await Runs.ListLatestRunsAsync(Client, once.Id, 10, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all, Is.EqualTo(new[]
            {
                new JobWithLatestRun(never, null),
                new JobWithLatestRun(twice, twiceLatest),
                new JobWithLatestRun(once, onceLatest),
            }));
            Assert.That(page, Is.EqualTo(new[] { new JobWithLatestRun(twice, twiceLatest) }));
            Assert.That(afterLast, Is.Empty);
        }
    }
}
