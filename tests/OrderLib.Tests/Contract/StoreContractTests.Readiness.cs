using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task StartRun_WhenDependenciesHaveNotSucceeded_IsRefusedNamingEachWithItsLatestStatus()
    {
        var neverRan = await CreateJobAsync("never-ran");
        var ok = await CreateJobAsync("ok");
        var failed = await CreateJobAsync("failed");
        var pending = await CreateJobAsync("pending");
        var running = await CreateJobAsync("running");
        var cancelled = await CreateJobAsync("cancelled");
        var report = await CreateJobAsync("report");
        foreach (var upstream in new[] { cancelled, running, pending, failed, ok, neverRan })
        {
            await DependAsync(report, upstream);
        }

        await RunInStatusAsync(ok, RunStatus.Succeeded, at: 1);
        await RunInStatusAsync(failed, RunStatus.Failed, at: 1);
        await RunInStatusAsync(pending, RunStatus.Pending, at: 1);
        await RunInStatusAsync(running, RunStatus.Running, at: 1);
        await RunInStatusAsync(cancelled, RunStatus.Cancelled, at: 1);
        var run = await EnqueueAsync(report, at: 2);

        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.RunId, Is.EqualTo(run.Id));
            Assert.That(ex.Unsatisfied, Is.EqualTo(new[]
            {
                new UnsatisfiedDependency(neverRan.Id, "never-ran", null),
                new UnsatisfiedDependency(failed.Id, "failed", RunStatus.Failed),
                new UnsatisfiedDependency(pending.Id, "pending", RunStatus.Pending),
                new UnsatisfiedDependency(running.Id, "running", RunStatus.Running),
                new UnsatisfiedDependency(cancelled.Id, "cancelled", RunStatus.Cancelled),
            }));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
            Assert.That(await ReadyRunIdsAsync(at: 3), Does.Not.Contain(run.Id));
        }
    }

    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    [TestCase(RunStatus.Cancelled)]
    public async Task StartRun_WhenTheOnlyDependencysLatestRunIs_IsRefused(RunStatus upstreamStatus)
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        await RunInStatusAsync(extract, upstreamStatus, at: 1);
        var run = await EnqueueAsync(load, at: 2);

        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(extract.Id, "extract", upstreamStatus) }));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
            Assert.That(await ReadyRunIdsAsync(at: 3), Does.Not.Contain(run.Id));
        }
    }

    [Test]
    public async Task StartRun_WhenADependencyNeverRan_IsRefused()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var run = await EnqueueAsync(load, at: 2);

        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(extract.Id, "extract", null) }));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run));
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
        }
    }

    [Test]
    public async Task StartRun_AfterEveryDependencySucceeded_IsAllowed()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var report = await CreateJobAsync("report");
        await DependAsync(report, a);
        await DependAsync(report, b);
        var run = await EnqueueAsync(report, at: 1);
        await RunToEndAsync(a, RunStatus.Succeeded, at: 2);
        await RunToEndAsync(b, RunStatus.Succeeded, at: 3);

        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { run.Id }));
        var started = await StartAsync(run, at: 4);
        Assert.That(started.Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task ADependencyThatSucceededThenGetsANewRun_BlocksItsDependentsUntilThatRunSucceeds()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        await RunToEndAsync(extract, RunStatus.Succeeded, at: 1);
        var run = await EnqueueAsync(load, at: 2);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { run.Id }), "ready after extract succeeded");

        var rerun = await EnqueueAsync(extract, at: 4);

        var whilePending = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 5));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(whilePending.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(extract.Id, "extract", RunStatus.Pending) }));
            Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { rerun.Id }), "only the re-run of extract is ready");
        }

        var rerunning = await StartAsync(rerun, at: 6);
        Assert.That(await ReadyRunIdsAsync(at: 7), Is.Empty, "extract's latest run is Running");

        await FinishAsync(rerunning, RunStatus.Succeeded, at: 8);
        Assert.That(await ReadyRunIdsAsync(at: 9), Is.EqualTo(new[] { run.Id }), "ready again once the newest run succeeded");
        Assert.That((await StartAsync(run, at: 9)).Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task ADependencyThatSucceededThenFails_KeepsItsDependentsBlocked()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        await RunToEndAsync(extract, RunStatus.Succeeded, at: 1);
        await RunToEndAsync(extract, RunStatus.Failed, at: 2);
        var run = await EnqueueAsync(load, at: 3);

        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 4));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(extract.Id, "extract", RunStatus.Failed) }));
            Assert.That(await ReadyRunIdsAsync(at: 4), Is.Empty, "an older success does not count");
        }
    }

    [Test]
    public async Task AddingADependencyOnAJobThatHasNotSucceeded_MakesAPendingRunWait_AndRemovingItReleasesIt()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        var run = await EnqueueAsync(load, at: 1);
        Assert.That(await ReadyRunIdsAsync(at: 2), Is.EqualTo(new[] { run.Id }), "precondition: no dependencies, ready");

        await DependAsync(load, extract, at: 2);

        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
        Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));

        await Deps.RemoveDependencyAsync(Client, load.Id, extract.Id, None);

        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { run.Id }));
        Assert.That((await StartAsync(run, at: 4)).Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task AddingADependencyOnAJobWhoseLatestRunSucceeded_KeepsAPendingRunReady()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await RunToEndAsync(extract, RunStatus.Succeeded, at: 1);
        var run = await EnqueueAsync(load, at: 2);

        await DependAsync(load, extract, at: 3);

        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task RemovingOneOfTwoUnsatisfiedDependencies_KeepsTheRunWaitingForTheOther()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var report = await CreateJobAsync("report");
        await DependAsync(report, a);
        await DependAsync(report, b);
        var run = await EnqueueAsync(report, at: 1);

        await Deps.RemoveDependencyAsync(Client, report.Id, a.Id, None);

        Assert.That(await ReadyRunIdsAsync(at: 2), Is.Empty);
        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 2));
        Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(b.Id, "b", null) }));
    }

    [Test]
    public async Task FanIn_AReportThatDependsOnTwoTransforms_IsReadyOnlyAfterBothSucceed()
    {
        var extract = await CreateJobAsync("extract");
        var transformA = await CreateJobAsync("transform-a");
        var transformB = await CreateJobAsync("transform-b");
        var report = await CreateJobAsync("report");
        await DependAsync(transformA, extract);
        await DependAsync(transformB, extract);
        await DependAsync(report, transformA);
        await DependAsync(report, transformB);

        var reportRun = await EnqueueAsync(report, at: 1);
        var aRun = await EnqueueAsync(transformA, at: 2);
        var bRun = await EnqueueAsync(transformB, at: 3);
        var extractRun = await EnqueueAsync(extract, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { extractRun.Id }));

        await FinishAsync(await StartAsync(extractRun, at: 5), RunStatus.Succeeded, at: 6);
        Assert.That(await ReadyRunIdsAsync(at: 7), Is.EqualTo(new[] { aRun.Id, bRun.Id }));

        await FinishAsync(await StartAsync(aRun, at: 7), RunStatus.Succeeded, at: 8);
        Assert.That(await ReadyRunIdsAsync(at: 9), Is.EqualTo(new[] { bRun.Id }), "report still waits for transform-b");
        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(reportRun, at: 9));
        Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(transformB.Id, "transform-b", RunStatus.Pending) }));

        await FinishAsync(await StartAsync(bRun, at: 9), RunStatus.Succeeded, at: 10);
        Assert.That(await ReadyRunIdsAsync(at: 11), Is.EqualTo(new[] { reportRun.Id }));
        Assert.That((await StartAsync(reportRun, at: 11)).Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task ListReadyRuns_OrdersByPriorityDescThenOldestRun_AndHonoursLimit()
    {
        var low = await CreateJobAsync("low", priority: 1);
        var highOlder = await CreateJobAsync("high-older", priority: 10);
        var mid = await CreateJobAsync("mid", priority: 5);
        var highNewer = await CreateJobAsync("high-newer", priority: 10);
        var negative = await CreateJobAsync("negative", priority: -3);

        // Enqueue in an order that differs from both job id order and priority order.
        var lowRun = await EnqueueAsync(low, at: 1);
        var highNewerRun = await EnqueueAsync(highNewer, at: 2);
        var negativeRun = await EnqueueAsync(negative, at: 3);
        var highOlderRun = await EnqueueAsync(highOlder, at: 4);
        var midRun = await EnqueueAsync(mid, at: 5);

        var all = await Runs.ListReadyRunsAsync(Client, At(6), 100, None);
        var firstTwo = await ReadyRunIdsAsync(at: 6, limit: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Select(r => r.Id), Is.EqualTo(new[] { highNewerRun.Id, highOlderRun.Id, midRun.Id, lowRun.Id, negativeRun.Id }));
            Assert.That(all[0], Is.EqualTo(highNewerRun), "whole runs come back");
            Assert.That(firstTwo, Is.EqualTo(new[] { highNewerRun.Id, highOlderRun.Id }));
        }
    }

    [Test]
    public async Task ListReadyRuns_LeavesOutRunsNotYetAvailableRunningOrEnded()
    {
        var later = await CreateJobAsync("later");
        var running = await CreateJobAsync("running");
        var done = await CreateJobAsync("done");
        var ready = await CreateJobAsync("ready");
        var laterRun = await EnqueueAsync(later, at: 20);
        await RunInStatusAsync(running, RunStatus.Running, at: 1);
        await RunInStatusAsync(done, RunStatus.Succeeded, at: 1);
        var readyRun = await EnqueueAsync(ready, at: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ReadyRunIdsAsync(at: 19), Is.EqualTo(new[] { readyRun.Id }));
            Assert.That(await ReadyRunIdsAsync(at: 20), Is.EqualTo(new[] { laterRun.Id, readyRun.Id }));
        }
    }

    [Test]
    public async Task ListReadyRuns_ShowsOnlyThisClientsRuns()
    {
        var theirs = await CreateJobAsync("shared-name", priority: 100, client: OtherClient);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None)).Run;
        var mine = await CreateJobAsync("shared-name");
        var myRun = await EnqueueAsync(mine, at: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { myRun.Id }));
            Assert.That((await Runs.ListReadyRunsAsync(OtherClient, At(3), 10, None)).Select(r => r.Id), Is.EqualTo(new[] { theirRun.Id }));
        }
    }

    [Test]
    public async Task ListReadyRuns_FollowsAPriorityChangeOfTheJob()
    {
        var a = await CreateJobAsync("a", priority: 5);
        var b = await CreateJobAsync("b", priority: 1);
        var aRun = await EnqueueAsync(a, at: 1);
        var bRun = await EnqueueAsync(b, at: 2);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { aRun.Id, bRun.Id }));

        await Jobs.UpdateJobAsync(Client, b.Id, new JobDefinition("b") { Priority = 9 }, At(3), None);
        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { bRun.Id, aRun.Id }));

        await Jobs.UpdateJobAsync(Client, a.Id, new JobDefinition("a") { Priority = 9 }, At(4), None);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { aRun.Id, bRun.Id }), "equal priority: oldest run first");
    }

    [Test]
    public async Task RemovingASatisfiedDependency_DoesNotReleaseARunStillWaitingForAnother()
    {
        var done = await CreateJobAsync("done");
        var notYet = await CreateJobAsync("not-yet");
        var report = await CreateJobAsync("report");
        await DependAsync(report, done);
        await DependAsync(report, notYet);
        await RunToEndAsync(done, RunStatus.Succeeded, at: 1);
        var run = await EnqueueAsync(report, at: 2);

        await Deps.RemoveDependencyAsync(Client, report.Id, done.Id, None);

        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));
        Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(notYet.Id, "not-yet", null) }));

        await RunToEndAsync(notYet, RunStatus.Succeeded, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task DeletingASatisfiedUpstreamJobWithCascade_DoesNotReleaseARunStillWaitingForAnother()
    {
        var done = await CreateJobAsync("done");
        var notYet = await CreateJobAsync("not-yet");
        var report = await CreateJobAsync("report");
        await DependAsync(report, done);
        await DependAsync(report, notYet);
        await RunToEndAsync(done, RunStatus.Succeeded, at: 1);
        var run = await EnqueueAsync(report, at: 2);

        await Jobs.DeleteJobAsync(Client, done.Id, JobDeletion.RemoveDependencies, None);

        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(run, at: 3));
        Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(notYet.Id, "not-yet", null) }));

        await RunToEndAsync(notYet, RunStatus.Succeeded, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { run.Id }));
    }

    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task AnUpstreamJobThatEndedWithoutSuccess_CancelsThePendingDependent_AndALaterUpstreamSuccessReleasesItsNextRun(RunStatus firstOutcome)
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var first = await EnqueueAsync(load, at: 1);

        await RunInStatusAsync(extract, firstOutcome, at: 2);
        var reason = firstOutcome == RunStatus.Failed ? "Upstream job 'extract' failed" : "Upstream job 'extract' was cancelled";
        Assert.That(await GetRunAsync(first), Is.EqualTo(first with { Status = RunStatus.Cancelled, FinishedAt = At(2), Error = reason }));

        var run = await EnqueueAsync(load, at: 3);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);

        var retry = await EnqueueAsync(extract, at: 3);
        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { retry.Id }));

        await FinishAsync(await StartAsync(retry, at: 4), RunStatus.Succeeded, at: 5);
        Assert.That(await ReadyRunIdsAsync(at: 6), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task ADependentEnqueuedWhileItsUpstreamRuns_BecomesReadyWhenThatRunSucceeds()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var extractRun = await RunInStatusAsync(extract, RunStatus.Running, at: 1);
        var run = await EnqueueAsync(load, at: 2);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);

        await FinishAsync(extractRun, RunStatus.Succeeded, at: 4);

        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task ADependentsNextRun_IsJudgedAfresh()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var first = await EnqueueAsync(load, at: 1);
        await Runs.CancelRunAsync(Client, first.Id, "not today", At(2), None);
        await RunToEndAsync(extract, RunStatus.Succeeded, at: 3);

        var second = await EnqueueAsync(load, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { second.Id }));

        await FinishAsync(await StartAsync(second, at: 5), RunStatus.Succeeded, at: 6);
        await EnqueueAsync(extract, at: 7);
        var third = await EnqueueAsync(load, at: 8);
        var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(third, at: 9));
        Assert.That(ex.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(extract.Id, "extract", RunStatus.Pending) }));
    }

    [Test]
    public async Task RefusedDependencies_LeaveReadinessUntouched()
    {
        var upstream = await CreateJobAsync("upstream");
        var job = await CreateJobAsync("job");
        var other = await CreateJobAsync("other");
        await DependAsync(job, upstream);
        await DependAsync(other, job);
        var run = await EnqueueAsync(job, at: 1);
        var otherRun = await EnqueueAsync(other, at: 1);

        Assert.ThrowsAsync<DuplicateDependencyException>(() => DependAsync(job, upstream, at: 2));
        Assert.ThrowsAsync<DependencyCycleException>(() => DependAsync(job, other, at: 2));
        Assert.ThrowsAsync<SelfDependencyException>(() => DependAsync(job, job, at: 2));

        await RunToEndAsync(upstream, RunStatus.Succeeded, at: 3);
        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { run.Id }), "job waited only for upstream; refused edges added nothing");

        await FinishAsync(await StartAsync(run, at: 4), RunStatus.Succeeded, at: 5);
        Assert.That(await ReadyRunIdsAsync(at: 6), Is.EqualTo(new[] { otherRun.Id }));
    }
}
