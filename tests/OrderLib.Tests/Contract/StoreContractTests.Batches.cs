using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task CompleteRuns_WithNoOutcomes_ReturnsNothing()
    {
        var results = await Queue.CompleteRunsAsync([], At(1), NoDelay, None);
        Assert.That(results, Is.Empty);
    }

    [Test]
    public async Task CompleteRuns_RecordsEveryKindOfOutcomeInOneCall_AndReportsLostLeasesWithoutThrowing()
    {
        var succeeds = await CreateJobAsync("succeeds");
        var retries = await CreateJobAsync("retries", maxAttempts: 2);
        var failsForGood = await CreateJobAsync("fails-for-good");
        var cancelled = await CreateJobAsync("cancelled");
        var heldByOther = await CreateJobAsync("held-by-other");
        var alreadyDone = await CreateJobAsync("already-done");
        var afterSuccess = await CreateJobAsync("after-success");
        var afterFailure = await CreateJobAsync("after-failure");
        var afterCancel = await CreateJobAsync("after-cancel");
        await DependAsync(afterSuccess, succeeds);
        await DependAsync(afterFailure, failsForGood);
        await DependAsync(afterCancel, cancelled);

        foreach (var job in new[] { succeeds, retries, failsForGood, cancelled, alreadyDone })
        {
            await EnqueueAsync(job, at: 1);
        }

        var mine = (await ClaimAsync(at: 2, lease: 1000)).ToDictionary(c => c.Run.JobId, c => c.Run);
        await EnqueueAsync(heldByOther, at: 3);
        var other = (await ClaimAsync(at: 3, worker: "worker-2", lease: 1000)).Single().Run;
        var done = (await CompleteAsync(mine[alreadyDone.Id], RunStatus.Succeeded, at: 4)).Run;
        var successDependent = await EnqueueAsync(afterSuccess, at: 5);
        var failureDependent = await EnqueueAsync(afterFailure, at: 5);
        var cancelDependent = await EnqueueAsync(afterCancel, at: 5);
        var me = new WorkerId("worker-1");
        var missing = new RunId(long.MaxValue);

        var results = await Queue.CompleteRunsAsync(
            [
                new RunOutcome(mine[succeeds.Id].Id, me, RunStatus.Succeeded, null),
                new RunOutcome(mine[retries.Id].Id, me, RunStatus.Failed, "try again"),
                new RunOutcome(mine[failsForGood.Id].Id, me, RunStatus.Failed, "boom"),
                new RunOutcome(mine[cancelled.Id].Id, me, RunStatus.Cancelled, "stopped on request"),
                new RunOutcome(other.Id, me, RunStatus.Succeeded, null),
                new RunOutcome(done.Id, me, RunStatus.Failed, "late"),
                new RunOutcome(missing, me, RunStatus.Succeeded, null),
            ],
            At(10),
            NoDelay,
            None);

        Assert.That(results.Select(r => r.Outcome.RunId), Is.EqualTo(new[] { mine[succeeds.Id].Id, mine[retries.Id].Id, mine[failsForGood.Id].Id, mine[cancelled.Id].Id, other.Id, done.Id, missing }), "one result per outcome, in order");
        Ended(results[0], mine[succeeds.Id], RunStatus.Succeeded, null, at: 10);
        AssertCompletion(results[2].Completion!, Ended(results[2], mine[failsForGood.Id], RunStatus.Failed, "boom", at: 10), null, failureDependent.Id);
        AssertCompletion(results[3].Completion!, Ended(results[3], mine[cancelled.Id], RunStatus.Cancelled, "stopped on request", at: 10), null, cancelDependent.Id);
        var retried = results[1].Completion!;
        AssertCompletion(retried, Ended(results[1], mine[retries.Id], RunStatus.Failed, "try again", at: 10), ExpectedRetry(retried, at: 10, availableAt: 10));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(results[0].Completion!.CancelledDownstream, Is.Empty);
            Assert.That(results[4].Lost, Is.EqualTo(new LostRun(RunStatus.Running, new WorkerId("worker-2"))), "held by another worker");
            Assert.That(results[5].Lost, Is.EqualTo(new LostRun(RunStatus.Succeeded, null)), "already ended");
            Assert.That(results[6].Lost, Is.EqualTo(new LostRun(null, null)), "no such run");
            Assert.That(results.Skip(4).Select(r => r.Completion), Is.All.Null);
            Assert.That(await GetRunAsync(other), Is.EqualTo(other), "the other worker's run is untouched");
            Assert.That(await GetRunAsync(done), Is.EqualTo(done), "a finished run is untouched");
            Assert.That(await GetRunAsync(failureDependent), Is.EqualTo(CancelledByUpstream(failureDependent, "fails-for-good", failed: true, at: 10)));
            Assert.That(await GetRunAsync(cancelDependent), Is.EqualTo(CancelledByUpstream(cancelDependent, "cancelled", failed: false, at: 10)));
            Assert.That(await GetRunAsync(retried.Retry!), Is.EqualTo(retried.Retry), "the next attempt is stored");
            Assert.That(await ReadyRunIdsAsync(at: 10), Is.EquivalentTo(new[] { successDependent.Id, retried.Retry!.Id }), "the success made its dependent ready; the retry is ready at once");
        }
    }

    [Test]
    public async Task CompleteRuns_TwoSuccessesOfOneDependentsUpstreamJobs_MakeItReady()
    {
        var left = await CreateJobAsync("left");
        var right = await CreateJobAsync("right");
        var join = await CreateJobAsync("join");
        await DependAsync(join, left);
        await DependAsync(join, right);
        await EnqueueAsync(left, at: 1);
        await EnqueueAsync(right, at: 1);
        var claimed = await ClaimAsync(at: 2, lease: 1000);
        var joinRun = await EnqueueAsync(join, at: 3);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty, "join waits on both");

        var me = new WorkerId("worker-1");
        var results = await Queue.CompleteRunsAsync(claimed.Select(c => new RunOutcome(c.Run.Id, me, RunStatus.Succeeded, null)).ToArray(), At(4), NoDelay, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => r.Completion?.Run.Status), Is.All.EqualTo(RunStatus.Succeeded));
            Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { joinRun.Id }), "both decrements of join's count land in one batch");
        }
    }

    [Test]
    public async Task CompleteRuns_OverlappingCascades_CancelASharedDependentOnce_ByTheEarliestOutcome()
    {
        var first = await CreateJobAsync("first");
        var second = await CreateJobAsync("second");
        var succeeds = await CreateJobAsync("succeeds");
        var shared = await CreateJobAsync("shared");
        var onlySecond = await CreateJobAsync("only-second");
        var afterShared = await CreateJobAsync("after-shared");
        await DependAsync(shared, first);
        await DependAsync(shared, second);
        await DependAsync(shared, succeeds);
        await DependAsync(onlySecond, second);
        await DependAsync(afterShared, shared);
        foreach (var job in new[] { first, second, succeeds })
        {
            await EnqueueAsync(job, at: 1);
        }

        var mine = (await ClaimAsync(at: 2, lease: 1000)).ToDictionary(c => c.Run.JobId, c => c.Run);
        var sharedRun = await EnqueueAsync(shared, at: 3);
        var onlySecondRun = await EnqueueAsync(onlySecond, at: 3);
        var afterSharedRun = await EnqueueAsync(afterShared, at: 3);
        var me = new WorkerId("worker-1");

        var results = await Queue.CompleteRunsAsync(
            [
                new RunOutcome(mine[succeeds.Id].Id, me, RunStatus.Succeeded, null),
                new RunOutcome(mine[second.Id].Id, me, RunStatus.Failed, "second broke"),
                new RunOutcome(mine[first.Id].Id, me, RunStatus.Cancelled, "first stopped"),
            ],
            At(5),
            NoDelay,
            None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results[0].Completion!.CancelledDownstream, Is.Empty, "a success cancels nothing");
            Assert.That(results[1].Completion!.CancelledDownstream, Is.EqualTo(new[] { sharedRun.Id, onlySecondRun.Id, afterSharedRun.Id }), "the earliest cascading outcome claims every run it reaches");
            Assert.That(results[2].Completion!.CancelledDownstream, Is.Empty, "the later one finds them cancelled already");
            Assert.That(await GetRunAsync(sharedRun), Is.EqualTo(CancelledByUpstream(sharedRun, "second", failed: true, at: 5)));
            Assert.That(await GetRunAsync(onlySecondRun), Is.EqualTo(CancelledByUpstream(onlySecondRun, "second", failed: true, at: 5)));
            Assert.That(await GetRunAsync(afterSharedRun), Is.EqualTo(CancelledByUpstream(afterSharedRun, "second", failed: true, at: 5)), "two hops away");
        }
    }

    [Test]
    public async Task CompleteRuns_RefusesTwoOutcomesForOneRun_AndWritesNothing()
    {
        var job = await CreateJobAsync("a");
        var other = await CreateJobAsync("b");
        await EnqueueAsync(job, at: 1);
        await EnqueueAsync(other, at: 1);
        var claimed = await ClaimAsync(at: 2, lease: 1000);
        var me = new WorkerId("worker-1");

        Assert.That(
            () => Queue.CompleteRunsAsync(
                [
                    new RunOutcome(claimed[1].Run.Id, me, RunStatus.Succeeded, null),
                    new RunOutcome(claimed[0].Run.Id, me, RunStatus.Succeeded, null),
                    new RunOutcome(claimed[0].Run.Id, me, RunStatus.Failed, "twice"),
                ],
                At(3),
                NoDelay,
                None),
            Throws.ArgumentException.With.Message.Contains(claimed[0].Run.Id.ToString()));
        Assert.That(
            () => Queue.CompleteRunsAsync([new RunOutcome(claimed[0].Run.Id, me, RunStatus.Running, null)], At(3), NoDelay, None),
            Throws.InstanceOf<ArgumentException>());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(claimed[0].Run), Is.EqualTo(claimed[0].Run));
            Assert.That(await GetRunAsync(claimed[1].Run), Is.EqualTo(claimed[1].Run), "the valid outcome in a refused batch is not recorded either");
        }
    }

    [Test]
    public async Task CompleteRuns_AgreesWithOneByOneCompletion()
    {
        // The same graph and outcomes, once through one batch and once run by run: the same end state.
        async Task<(RunStatus Status, string? Error)[]> PlayAsync(string prefix, bool batched, int priority)
        {
            var u1 = await CreateJobAsync(prefix + "u1", priority);
            var u2 = await CreateJobAsync(prefix + "u2", priority, maxAttempts: 3);
            var u3 = await CreateJobAsync(prefix + "u3", priority);
            var d1 = await CreateJobAsync(prefix + "d1");
            var d2 = await CreateJobAsync(prefix + "d2");
            var d3 = await CreateJobAsync(prefix + "d3");
            await DependAsync(d1, u1);
            await DependAsync(d2, u1);
            await DependAsync(d2, u2);
            await DependAsync(d3, u3);
            await DependAsync(d3, d1);
            foreach (var job in new[] { u1, u2, u3 })
            {
                await EnqueueAsync(job, at: 1);
            }

            // A higher priority than the first play's leftovers, so the claim takes exactly this play's three roots.
            var claimed = (await ClaimAsync(at: 2, limit: 3, lease: 1000)).ToDictionary(c => c.Run.JobId, c => c.Run);
            Assert.That(claimed.Keys, Is.EquivalentTo(new[] { u1.Id, u2.Id, u3.Id }));
            var dependents = new List<JobRun>();
            foreach (var job in new[] { d1, d2, d3 })
            {
                dependents.Add(await EnqueueAsync(job, at: 3));
            }

            var me = new WorkerId("worker-1");
            RunOutcome[] outcomes =
            [
                new(claimed[u1.Id].Id, me, RunStatus.Succeeded, null),
                new(claimed[u2.Id].Id, me, RunStatus.Failed, "flaky"),
                new(claimed[u3.Id].Id, me, RunStatus.Failed, "broken"),
            ];
            if (batched)
            {
                await Queue.CompleteRunsAsync(outcomes, At(4), NoDelay, None);
            }
            else
            {
                foreach (var outcome in outcomes)
                {
                    await Queue.CompleteRunAsync(outcome.RunId, outcome.WorkerId, outcome.Status, outcome.Error, null, At(4), NoDelay, None);
                }
            }

            var states = new List<(RunStatus, string?)>();
            foreach (var run in claimed.Values.OrderBy(r => r.Id.Value).Concat(dependents))
            {
                var now = (await GetRunAsync(run))!;
                states.Add((now.Status, now.Error?.Replace(prefix, "", StringComparison.Ordinal)));
            }

            var jobs = new[] { u1, u2, u3, d1, d2, d3 }.ToDictionary(j => j.Id, j => j.Name.Replace(prefix, "", StringComparison.Ordinal));
            var ready = (await Runs.ListReadyRunsAsync(Client, At(4), 1000, None)).Where(r => jobs.ContainsKey(r.JobId)).Select(r => jobs[r.JobId]).Order(StringComparer.Ordinal);
            states.Add((RunStatus.Pending, "ready: " + string.Join(",", ready)));
            return [.. states];
        }

        var oneByOne = await PlayAsync("s-", batched: false, priority: 1);
        var batch = await PlayAsync("b-", batched: true, priority: 2);
        Assert.That(batch, Is.EqualTo(oneByOne));
    }

    /// <summary>Checks that a batch result carries a completion and returns the ended run it should hold.</summary>
    private static JobRun Ended(OutcomeResult result, JobRun running, RunStatus status, string? error, int at)
    {
        var expected = running with { Status = status, FinishedAt = At(at), LeaseExpiresAt = null, Error = error };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Lost, Is.Null, $"run {running.Id} was still held");
            Assert.That(result.Completion?.Run, Is.EqualTo(expected), $"run {running.Id} ended {status}");
        }

        return expected;
    }
}
