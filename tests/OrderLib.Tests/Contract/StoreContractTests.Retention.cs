using NUnit.Framework;

namespace OrderLib.Tests.Contract;

// Retention: IHistoryStore.PruneRunsAsync, driven batch after batch as HistoryService.PruneAsync does, and ListClientsAsync.
public abstract partial class StoreContractTests
{
    [Test]
    public async Task PruneRuns_DeletesOnlyTerminalRunsFinishedBeforeOlderThan_TheBoundaryExcluded_AndReportsThem()
    {
        var job = await CreateJobAsync("nightly");
        var succeeded = await RunInStatusAsync(job, RunStatus.Succeeded, at: 10);
        var failed = await RunInStatusAsync(job, RunStatus.Failed, at: 20);
        var cancelled = await RunInStatusAsync(job, RunStatus.Cancelled, at: 30);
        var atBoundary = await RunInStatusAsync(job, RunStatus.Succeeded, at: 40);
        var running = await RunInStatusAsync(job, RunStatus.Running, at: 50);

        var first = await PruneAllAsync(new PruneRequest(At(40)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.SelectMany(b => b.Deleted), Is.EqualTo(new[]
            {
                new PrunedRun(succeeded.Id, job.Id, "nightly", RunStatus.Succeeded),
                new PrunedRun(failed.Id, job.Id, "nightly", RunStatus.Failed),
                new PrunedRun(cancelled.Id, job.Id, "nightly", RunStatus.Cancelled),
            }));
            Assert.That(await RunIdsOfAsync(job), Is.EqualTo(new[] { atBoundary.Id, running.Id }), "a run finished at OlderThan stays, and so does the active run");
        }

        var second = await PruneAllAsync(new PruneRequest(At(41)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.SelectMany(b => b.Deleted), Is.EqualTo(new[] { new PrunedRun(atBoundary.Id, job.Id, "nightly", RunStatus.Succeeded) }));
            Assert.That(await RunIdsOfAsync(job), Is.EqualTo(new[] { running.Id }));
            Assert.That(await GetRunAsync(running), Is.EqualTo(running));
        }
    }

    [Test]
    public async Task PruneRuns_NeverDeletesAJobsLatestRun_EvenKeepingNoneAndFinishedLongAgo()
    {
        var once = await CreateJobAsync("once");
        var onlyRun = await RunInStatusAsync(once, RunStatus.Failed, at: 1);
        var often = await CreateJobAsync("often");
        await RunInStatusAsync(often, RunStatus.Succeeded, at: 2);
        await RunInStatusAsync(often, RunStatus.Succeeded, at: 3);
        var latest = await RunInStatusAsync(often, RunStatus.Cancelled, at: 4);
        var never = await CreateJobAsync("never-ran");

        var batches = await PruneAllAsync(new PruneRequest(At(1000), KeepLatestPerJob: 0));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches.SelectMany(b => b.Deleted).Select(d => d.JobId), Is.EqualTo(new[] { often.Id, often.Id }));
            Assert.That(await RunIdsOfAsync(once), Is.EqualTo(new[] { onlyRun.Id }));
            Assert.That(await RunIdsOfAsync(often), Is.EqualTo(new[] { latest.Id }));
            Assert.That(await RunIdsOfAsync(never), Is.Empty);
            Assert.That((await Runs.ListLatestRunsAsync(Client, null, 10, None)).Select(l => l.LatestRun?.Id), Is.EqualTo(new RunId?[] { onlyRun.Id, latest.Id, null }));
        }
    }

    [Test]
    public async Task PruneRuns_KeepLatestPerJob_KeepsEachJobsNNewestRunsWhateverTheirAgeOrStatus()
    {
        var many = await CreateJobAsync("many");
        var manyRuns = new List<JobRun>();
        for (var i = 0; i < 5; i++)
        {
            manyRuns.Add(await RunInStatusAsync(many, i % 2 == 0 ? RunStatus.Succeeded : RunStatus.Failed, at: i));
        }

        var few = await CreateJobAsync("few");
        var fewRuns = new[] { await RunInStatusAsync(few, RunStatus.Succeeded, at: 1), await RunInStatusAsync(few, RunStatus.Succeeded, at: 2) };
        var active = await CreateJobAsync("active");
        var activeRuns = new List<JobRun>();
        for (var i = 0; i < 4; i++)
        {
            activeRuns.Add(await RunInStatusAsync(active, RunStatus.Succeeded, at: 10 + i));
        }

        activeRuns.Add(await RunInStatusAsync(active, RunStatus.Pending, at: 20));

        var batches = await PruneAllAsync(new PruneRequest(At(1000), KeepLatestPerJob: 3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches.SelectMany(b => b.Deleted).Select(d => d.RunId), Is.EquivalentTo(new[] { manyRuns[0].Id, manyRuns[1].Id, activeRuns[0].Id, activeRuns[1].Id }));
            Assert.That(await RunIdsOfAsync(many), Is.EqualTo(manyRuns.Skip(2).Select(r => r.Id)), "the three newest");
            Assert.That(await RunIdsOfAsync(few), Is.EqualTo(fewRuns.Select(r => r.Id)), "fewer than three: all kept");
            Assert.That(await RunIdsOfAsync(active), Is.EqualTo(activeRuns.Skip(2).Select(r => r.Id)), "the pending run counts among the three newest");
        }
    }

    [Test]
    public async Task PruneRuns_LeavesThePendingDependentsReadinessAsItWas()
    {
        var upstreamOk = await CreateJobAsync("upstream-ok");
        var upstreamFailed = await CreateJobAsync("upstream-failed");
        var ready = await CreateJobAsync("ready");
        var waiting = await CreateJobAsync("waiting");
        await DependAsync(ready, upstreamOk);
        await DependAsync(waiting, upstreamFailed);
        await RunInStatusAsync(upstreamOk, RunStatus.Failed, at: 1);
        await RunInStatusAsync(upstreamOk, RunStatus.Succeeded, at: 2);
        await RunInStatusAsync(upstreamFailed, RunStatus.Succeeded, at: 1);
        await RunInStatusAsync(upstreamFailed, RunStatus.Failed, at: 2);
        var readyRun = await EnqueueAsync(ready, at: 3);
        var waitingRun = await EnqueueAsync(waiting, at: 3);
        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { readyRun.Id }));

        var deleted = (await PruneAllAsync(new PruneRequest(At(1000)))).SelectMany(b => b.Deleted).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted.Select(d => d.JobName), Is.EquivalentTo(new[] { "upstream-ok", "upstream-failed" }));
            Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { readyRun.Id }), "ready stays ready, waiting stays waiting");
            Assert.That(await GetRunAsync(waitingRun), Is.EqualTo(waitingRun));
        }

        await ClaimOnlyAsync(readyRun, at: 5);
        Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(waitingRun, at: 5));
    }

    [Test]
    public async Task PruneRuns_LeavesOtherClientsRunsAlone()
    {
        var mine = await CreateJobAsync("shared-name");
        var theirs = await CreateJobAsync("shared-name", client: OtherClient);
        await RunInStatusAsync(mine, RunStatus.Succeeded, at: 1);
        var myLatest = await RunInStatusAsync(mine, RunStatus.Succeeded, at: 2);
        var theirRuns = new List<RunId>();
        for (var i = 0; i < 2; i++)
        {
            var run = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(i), None)).Run;
            theirRuns.Add((await Runs.CancelRunAsync(OtherClient, run.Id, "stopped", At(i), None)).Id);
        }

        var batches = await PruneAllAsync(new PruneRequest(At(1000)) { BatchSize = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches.SelectMany(b => b.Deleted).Select(d => d.JobId), Is.EqualTo(new[] { mine.Id }));
            Assert.That(await RunIdsOfAsync(mine), Is.EqualTo(new[] { myLatest.Id }));
            Assert.That((await Runs.ListRunsAsync(OtherClient, theirs.Id, null, 10, None)).Select(r => r.Id).Reverse(), Is.EqualTo(theirRuns));
        }

        var theirBatches = await PruneAllAsync(new PruneRequest(At(1000)), OtherClient);
        Assert.That(theirBatches.SelectMany(b => b.Deleted), Is.EqualTo(new[] { new PrunedRun(theirRuns[0], theirs.Id, "shared-name", RunStatus.Cancelled) }));
    }

    [Test]
    public async Task PruneRuns_InBatchesSmallerThanTheCandidates_ResumesAfterEachBatch_AlsoAfterABatchThatKeptAll()
    {
        // Finish order: kept-0, kept-1 (a job of two runs, both kept), then gone-0 .. gone-4 (the three oldest go).
        var kept = await CreateJobAsync("kept");
        var keptRuns = new[] { await RunInStatusAsync(kept, RunStatus.Succeeded, at: 1), await RunInStatusAsync(kept, RunStatus.Succeeded, at: 2) };
        var gone = await CreateJobAsync("gone");
        var goneRuns = new List<JobRun>();
        for (var i = 0; i < 5; i++)
        {
            goneRuns.Add(await RunInStatusAsync(gone, RunStatus.Failed, at: 3 + i));
        }

        var batches = await PruneAllAsync(new PruneRequest(At(1000), KeepLatestPerJob: 2) { BatchSize = 2 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches.Select(b => b.Deleted.Select(d => d.RunId)), Is.EqualTo(new[]
            {
                Array.Empty<RunId>(),
                [goneRuns[0].Id, goneRuns[1].Id],
                [goneRuns[2].Id],
                [],
            }));
            Assert.That(batches.Select(b => b.Next), Is.EqualTo(new RunPosition?[]
            {
                new(At(2), keptRuns[1].Id),
                new(At(4), goneRuns[1].Id),
                new(At(6), goneRuns[3].Id),
                null,
            }));
            Assert.That(await RunIdsOfAsync(kept), Is.EqualTo(keptRuns.Select(r => r.Id)));
            Assert.That(await RunIdsOfAsync(gone), Is.EqualTo(new[] { goneRuns[3].Id, goneRuns[4].Id }));
        }
    }

    [Test]
    public async Task PruneRuns_RunsFinishedAtTheSameTime_AreEachLookedAtOnce_InRunIdOrder()
    {
        var jobs = await CreateJobsAsync("tied", 3);
        var older = new List<JobRun>();
        foreach (var job in jobs)
        {
            older.Add(await RunInStatusAsync(job, RunStatus.Succeeded, at: 5));
        }

        foreach (var job in jobs)
        {
            await RunInStatusAsync(job, RunStatus.Succeeded, at: 5);
        }

        var batches = await PruneAllAsync(new PruneRequest(At(6)) { BatchSize = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches, Has.Count.EqualTo(7), "six candidates one at a time, then an empty look");
            Assert.That(batches.SelectMany(b => b.Deleted).Select(d => d.RunId), Is.EqualTo(older.Select(r => r.Id)));
            Assert.That(batches.Take(6).Select(b => b.Next?.At), Has.All.EqualTo(At(5)));
        }
    }

    [Test]
    public async Task PruneRuns_WithNothingToLookAt_ReturnsAnEmptyLastBatch()
    {
        var job = await CreateJobAsync("young");
        await RunInStatusAsync(job, RunStatus.Succeeded, at: 10);
        await RunInStatusAsync(job, RunStatus.Succeeded, at: 20);

        var batch = await History.PruneRunsAsync(Client, new PruneRequest(At(10)), null, None);
        var unknownClient = await History.PruneRunsAsync(new ClientId("n-" + Guid.NewGuid().ToString("N")), new PruneRequest(At(1000)), null, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch.Deleted, Is.Empty);
            Assert.That(batch.Next, Is.Null);
            Assert.That(unknownClient.Deleted, Is.Empty);
            Assert.That(unknownClient.Next, Is.Null);
            Assert.That(await RunIdsOfAsync(job), Has.Length.EqualTo(2));
        }
    }

    [Test]
    public async Task ListClients_NamesEachClientWithJobsOnce_InOrdinalOrder()
    {
        await CreateJobAsync("a");
        await CreateJobAsync("b");
        var theirs = await CreateJobAsync("c", client: OtherClient);
        var upper = new ClientId("T-" + Guid.NewGuid().ToString("N"));
        var upperJob = await CreateJobAsync("d", client: upper);
        HashSet<ClientId> ours = [Client, OtherClient, upper];

        var clients = await History.ListClientsAsync(None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clients.Where(ours.Contains), Is.EqualTo(new[] { upper, OtherClient, Client }), "'T' < 'o' < 't' ordinally");
            Assert.That(clients.Select(c => c.Value), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
            Assert.That(clients.Select(c => c.Value), Is.Unique);
        }

        await Jobs.DeleteJobAsync(OtherClient, theirs.Id, JobDeletion.None, None);
        await Jobs.DeleteJobAsync(upper, upperJob.Id, JobDeletion.None, None);
        Assert.That((await History.ListClientsAsync(None)).Where(ours.Contains), Is.EqualTo(new[] { Client }), "a client without jobs is not listed");
    }

    /// <summary>Prunes as <see cref="HistoryService.PruneAsync(PruneRequest, CancellationToken)"/> does, batch after batch until none is left; returns every batch.</summary>
    private async Task<List<PruneBatch>> PruneAllAsync(PruneRequest request, ClientId? client = null)
    {
        var batches = new List<PruneBatch>();
        RunPosition? position = null;
        do
        {
            Assert.That(batches, Has.Count.LessThan(100), "a prune ends");
            var batch = await History.PruneRunsAsync(client ?? Client, request, position, None);
            batches.Add(batch);
            position = batch.Next;
        }
        while (position is not null);

        return batches;
    }

    /// <summary>The ids of the job's runs, oldest first.</summary>
    private async Task<RunId[]> RunIdsOfAsync(Job job) =>
        (await Runs.ListRunsAsync(Client, job.Id, null, 1000, None)).Select(r => r.Id).Reverse().ToArray();
}
