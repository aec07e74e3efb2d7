using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [TestCase(false, TestName = "{m}(worker reports)")]
    [TestCase(true, TestName = "{m}(operator finishes)")]
    public async Task AnUpstreamFailureForGood_CancelsThePendingRunsOfTransitiveDependents_AndNothingElse(bool byOperator)
    {
        var a = await CreateJobAsync("a");
        var c = await CreateJobAsync("c");
        var b = await CreateJobAsync("b");
        var e = await CreateJobAsync("e-running");
        var f = await CreateJobAsync("f-succeeded");
        var x = await CreateJobAsync("x-unrelated");
        var theirs = await CreateJobAsync("a", client: OtherClient);
        await DependAsync(b, a);
        await DependAsync(c, b);
        await DependAsync(e, a);
        await DependAsync(f, a);

        // a succeeds once so that e can be running and f can have succeeded when a fails later.
        await CompleteAsync(await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1), RunStatus.Succeeded, at: 2);
        var eRun = await EnqueueAsync(e, at: 3);
        var fRun = await EnqueueAsync(f, at: 3);
        var claimed = await ClaimAsync(at: 4, lease: 1000);
        Assert.That(claimed.Select(cr => cr.Run.Id), Is.EqualTo(new[] { eRun.Id, fRun.Id }));
        var eRunning = claimed[0].Run;
        var fSucceeded = (await CompleteAsync(claimed[1].Run, RunStatus.Succeeded, at: 5)).Run;

        // Pending dependents, c's run older than b's, so run id order differs from graph order.
        var cRun = await EnqueueAsync(c, at: 6);
        var bRun = await EnqueueAsync(b, at: 7);
        var aRunning = await ClaimOnlyAsync(await EnqueueAsync(a, at: 8), at: 9);
        var xRun = await EnqueueAsync(x, at: 10);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(10), None)).Run;

        var failed = byOperator
            ? await Runs.FinishRunAsync(Client, aRunning.Id, RunStatus.Failed, "boom", null, At(20), NoDelay, None)
            : await CompleteAsync(aRunning, RunStatus.Failed, at: 20, error: "boom");

        AssertCompletion(failed, aRunning with { Status = RunStatus.Failed, FinishedAt = At(20), LeaseExpiresAt = null, Error = "boom" }, null, cRun.Id, bRun.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(CancelledByUpstream(bRun, "a", failed: true, at: 20)));
            Assert.That(await GetRunAsync(cRun), Is.EqualTo(CancelledByUpstream(cRun, "a", failed: true, at: 20)), "two hops away, the reason still names a");
            Assert.That(await GetRunAsync(eRunning), Is.EqualTo(eRunning), "a running dependent is left to its worker");
            Assert.That(await GetRunAsync(fSucceeded), Is.EqualTo(fSucceeded), "a finished dependent run is history");
            Assert.That(await GetRunAsync(xRun), Is.EqualTo(xRun), "an unrelated job is untouched");
            Assert.That(await Runs.GetRunAsync(OtherClient, theirRun.Id, None), Is.EqualTo(theirRun), "another client's job of the same name is untouched");
        }
    }

    [Test]
    public async Task AnUpstreamFailureForGood_ReachesDependentsThroughAJobWithoutARun()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var aRunning = await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1);
        var cRun = await EnqueueAsync(c, at: 2);

        var failed = await CompleteAsync(aRunning, RunStatus.Failed, at: 3, error: "boom");

        AssertCompletion(failed, aRunning with { Status = RunStatus.Failed, FinishedAt = At(3), LeaseExpiresAt = null, Error = "boom" }, null, cRun.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(cRun), Is.EqualTo(CancelledByUpstream(cRun, "a", failed: true, at: 3)));
            Assert.That(await Runs.ListRunsAsync(Client, b.Id, null, 10, None), Is.Empty, "b still never ran");
        }
    }

    [Test]
    public async Task CancellingAPendingRun_CancelsThePendingRunsDownstream_NotUpstream()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var aRun = await EnqueueAsync(a, at: 1);
        var bRun = await EnqueueAsync(b, at: 1);
        var cRun = await EnqueueAsync(c, at: 1);

        var bCancelled = await Runs.CancelRunAsync(Client, bRun.Id, "not today", At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bCancelled, Is.EqualTo(bRun with { Status = RunStatus.Cancelled, FinishedAt = At(2), Error = "not today" }));
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(bCancelled));
            Assert.That(await GetRunAsync(cRun), Is.EqualTo(CancelledByUpstream(cRun, "b", failed: false, at: 2)));
            Assert.That(await GetRunAsync(aRun), Is.EqualTo(aRun), "an upstream job is not affected");
        }

        var aCancelled = await Runs.CancelRunAsync(Client, aRun.Id, null, At(3), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(aCancelled, Is.EqualTo(aRun with { Status = RunStatus.Cancelled, FinishedAt = At(3), Error = null }));
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(bCancelled), "an ended run keeps its own reason");
            Assert.That(await GetRunAsync(cRun), Is.EqualTo(CancelledByUpstream(cRun, "b", failed: false, at: 2)));
        }
    }

    [TestCase(true, TestName = "{m}(after a cancel request)")]
    [TestCase(false, TestName = "{m}(on the worker's own account)")]
    public async Task AWorkerReportingItsRunCancelled_CascadesWithoutRetry(bool requested)
    {
        var a = await CreateJobAsync("a", maxAttempts: 3);
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var running = await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1);
        var bRun = await EnqueueAsync(b, at: 2);
        var cRun = await EnqueueAsync(c, at: 2);
        if (requested)
        {
            running = await Runs.CancelRunAsync(Client, running.Id, "operator said stop", At(5), None);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(running.Status, Is.EqualTo(RunStatus.Running));
                Assert.That(running.CancelRequested, Is.True);
                Assert.That(await GetRunAsync(bRun), Is.EqualTo(bRun), "nothing cascades before the worker stops");
                Assert.That((await HeartbeatAsync(running, at: 6, lease: 54)).CancelRequested, Is.True);
            }
        }

        var cancelled = await CompleteAsync(running, RunStatus.Cancelled, at: 10, error: "stopped");

        AssertCompletion(cancelled, running with { Status = RunStatus.Cancelled, FinishedAt = At(10), LeaseExpiresAt = null, Error = "stopped" }, null, bRun.Id, cRun.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(running), Is.EqualTo(cancelled.Run));
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(CancelledByUpstream(bRun, "a", failed: false, at: 10)));
            Assert.That(await GetRunAsync(cRun), Is.EqualTo(CancelledByUpstream(cRun, "a", failed: false, at: 10)));
            Assert.That(await Runs.ListRunsAsync(Client, a.Id, null, 10, None), Has.Count.EqualTo(1), "a cancelled run is not retried");
        }
    }

    [Test]
    public async Task ACancelRequest_DoesNotStopAWorkerFromReportingSuccess()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        await DependAsync(b, a);
        var running = await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1);
        var bRun = await EnqueueAsync(b, at: 2);
        var marked = await Runs.CancelRunAsync(Client, running.Id, "too late", At(3), None);

        var done = await CompleteAsync(running, RunStatus.Succeeded, at: 4);

        AssertCompletion(done, marked with { Status = RunStatus.Succeeded, FinishedAt = At(4), LeaseExpiresAt = null }, null);
        Assert.That(await ClaimIdsAsync(at: 5), Is.EqualTo(new[] { bRun.Id }), "the success releases the dependent");
    }
}
