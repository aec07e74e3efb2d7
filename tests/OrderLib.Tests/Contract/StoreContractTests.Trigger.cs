using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task TriggerPipeline_OnADiamond_EnqueuesTheJobAndItsDependentsInTopologicalOrder()
    {
        // Created downstream first, so job id order is the reverse of dependency order; c before b breaks the b/c tie.
        var d = await CreateJobAsync("d");
        var c = await CreateJobAsync("c");
        var b = await CreateJobAsync("b");
        var a = await CreateJobAsync("a");
        var root = await CreateJobAsync("root");
        var unrelated = await CreateJobAsync("unrelated");
        await DependAsync(b, a);
        await DependAsync(c, a);
        await DependAsync(d, b);
        await DependAsync(d, c);
        await DependAsync(a, root);

        var triggered = await TriggerAsync([a.Id], 5);
        var results = triggered.Runs;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => r.Run.JobId), Is.EqualTo(new[] { a.Id, c.Id, b.Id, d.Id }), "upstream before downstream, ties by job id");
            Assert.That(results.Select(r => r.Created), Is.All.True);
            Assert.That(results.Select(r => r.Run), Is.EqualTo(results.Select(r => JobRun.CreatePending(r.Run.Id, r.Run.JobId, 1, At(5)) with { PipelineRunId = triggered.Id })), "pending first attempts of the pipeline run, available now");
            Assert.That(results.Select(r => r.Run.Id.Value), Is.Ordered.Ascending.And.Unique, "runs are created in that order, so equal priorities are claimed in it");
            foreach (var result in results)
            {
                Assert.That(await Runs.ListRunsAsync(Client, result.Run.JobId, null, 10, None), Is.EqualTo(new[] { result.Run }));
            }

            Assert.That(await Runs.ListRunsAsync(Client, root.Id, null, 10, None), Is.Empty, "upstream jobs are not triggered");
            Assert.That(await Runs.ListRunsAsync(Client, unrelated.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task TriggerPipeline_OfAJobWithoutDependents_EnqueuesJustThatJob()
    {
        var solo = await CreateJobAsync("solo");

        var triggered = await TriggerAsync([solo.Id], 1);

        Assert.That(triggered.Runs, Is.EqualTo(new[] { new EnqueueResult(JobRun.CreatePending(triggered.Runs[0].Run.Id, solo.Id, 1, At(1)) with { PipelineRunId = triggered.Id }, Created: true) }));
    }

    [Test]
    public async Task TriggerPipeline_KeepsEachJobsActiveRun_AndIsIdempotent()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        var d = await CreateJobAsync("d");
        await DependAsync(b, a);
        await DependAsync(c, a);
        await DependAsync(d, b);
        await DependAsync(d, c);
        await CompleteAsync(await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1), RunStatus.Succeeded, at: 2);
        var cRunning = await ClaimOnlyAsync(await EnqueueAsync(c, at: 3), at: 3, lease: 1000);
        var bPending = await EnqueueAsync(b, at: 4);

        var firstTrigger = await TriggerAsync([a.Id], 5);
        var first = firstTrigger.Runs;
        var second = await TriggerRunsAsync([a.Id], 6);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Select(r => (r.Run.JobId, r.Created)), Is.EqualTo(new[] { (a.Id, true), (b.Id, false), (c.Id, false), (d.Id, true) }));
            Assert.That(first[0].Run, Is.EqualTo(JobRun.CreatePending(first[0].Run.Id, a.Id, 1, At(5)) with { PipelineRunId = firstTrigger.Id }), "a's last run succeeded: a new one");
            Assert.That(first[1].Run, Is.EqualTo(bPending), "b keeps its pending run");
            Assert.That(first[2].Run, Is.EqualTo(cRunning), "c keeps its running run");
            Assert.That(second, Is.EqualTo(first.Select(r => r with { Created = false })), "a second trigger finds every run active");
            Assert.That(await ClaimIdsAsync(at: 7), Is.EqualTo(new[] { first[0].Run.Id }), "b now waits for a's new run again");
        }
    }

    [Test]
    public async Task TriggerPipeline_UnknownJobOrAnotherClientsJob_ThrowsJobNotFoundAndEnqueuesNothing()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirDependent = await CreateJobAsync("their-dependent", client: OtherClient);
        await Deps.AddDependencyAsync(OtherClient, theirDependent.Id, theirs.Id, At(0), None);

        var unknown = Assert.ThrowsAsync<JobNotFoundException>(() => TriggerRunsAsync([new JobId(long.MaxValue)], 1));
        var other = Assert.ThrowsAsync<JobNotFoundException>(() => TriggerRunsAsync([theirs.Id], 1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknown.JobId, Is.EqualTo(new JobId(long.MaxValue)));
            Assert.That(other.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Runs.ListRunsAsync(OtherClient, theirs.Id, null, 10, None), Is.Empty);
            Assert.That(await Runs.ListRunsAsync(OtherClient, theirDependent.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task TriggerPipeline_ThenWorkersDrainTheGraph_StrictlyInDependencyOrder()
    {
        // a → {b, c}; {b, c} → d; {c, d} → e. Created downstream first so job ids run against the graph.
        var e = await CreateJobAsync("e");
        var d = await CreateJobAsync("d");
        var c = await CreateJobAsync("c");
        var b = await CreateJobAsync("b");
        var a = await CreateJobAsync("a");
        await DependAsync(b, a);
        await DependAsync(c, a);
        await DependAsync(d, b);
        await DependAsync(d, c);
        await DependAsync(e, d);
        await DependAsync(e, c);
        var names = new Dictionary<JobId, string> { [a.Id] = "a", [b.Id] = "b", [c.Id] = "c", [d.Id] = "d", [e.Id] = "e" };

        var triggered = await TriggerRunsAsync([a.Id], 1);
        Assert.That(triggered.Select(r => names[r.Run.JobId]), Is.EqualTo(new[] { "a", "c", "b", "d", "e" }));

        var batches = await DrainInWavesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches, Is.EqualTo(new[] { new[] { "a" }, new[] { "c", "b" }, new[] { "d" }, new[] { "e" } }), "each wave holds exactly the jobs whose upstream jobs all succeeded");
            var latest = await Runs.ListLatestRunsAsync(Client, null, 100, None);
            Assert.That(latest.Select(l => l.LatestRun?.Status), Is.All.EqualTo(RunStatus.Succeeded));
            Assert.That(latest.Select(l => l.LatestRun?.Id), Is.EquivalentTo(triggered.Select(t => (RunId?)t.Run.Id)), "the triggered runs are the ones that ran");
        }
    }

    [Test]
    public async Task TriggerPipelines_OfSeveralRoots_EnqueuesTheUnionOnce_InTopologicalOrder()
    {
        // r1 → {x, s}; r2 → {s, y}; r2 also depends on r1's dependent x, so the root r2 is downstream of x.
        // Created downstream first, so job ids run against the graph; upstream-of-r1 is not triggered.
        var y = await CreateJobAsync("y");
        var s = await CreateJobAsync("s");
        var r2 = await CreateJobAsync("r2");
        var x = await CreateJobAsync("x");
        var r1 = await CreateJobAsync("r1");
        var upstream = await CreateJobAsync("upstream-of-r1");
        var unrelated = await CreateJobAsync("unrelated");
        await DependAsync(x, r1);
        await DependAsync(s, r1);
        await DependAsync(s, r2);
        await DependAsync(y, r2);
        await DependAsync(r2, x);
        await DependAsync(r1, upstream);
        await CompleteAsync(await ClaimOnlyAsync(await EnqueueAsync(upstream, at: 1), at: 1), RunStatus.Succeeded, at: 2);

        var results = await TriggerRunsAsync([r2.Id, r1.Id], 5);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => r.Run.JobId), Is.EqualTo(new[] { r1.Id, x.Id, r2.Id, y.Id, s.Id }), "each job once, upstream before downstream, ties by job id");
            Assert.That(results.Select(r => r.Created), Is.All.True);
            Assert.That(results.Select(r => r.Run.Id.Value), Is.Ordered.Ascending.And.Unique, "runs are created in that order");
            Assert.That(await Runs.ListRunsAsync(Client, upstream.Id, null, 10, None), Has.Count.EqualTo(1), "upstream jobs are not triggered");
            Assert.That(await Runs.ListRunsAsync(Client, unrelated.Id, null, 10, None), Is.Empty);
            Assert.That(await ClaimIdsAsync(at: 6), Is.EqualTo(new[] { results[0].Run.Id }), "only r1 is ready: its upstream job succeeded, every other job waits on a triggered one");
        }

        await CompleteAsync(results[0].Run, RunStatus.Succeeded, at: 7);
        Assert.That(await DrainInWavesAsync(), Is.EqualTo(new[] { new[] { "x" }, new[] { "r2" }, new[] { "y", "s" } }), "the rest of the union drains in dependency order");
    }

    [Test]
    public async Task TriggerPipelines_KeepsActiveRuns_AndMakesKeptPendingRunsWaitForNewUpstreamRuns()
    {
        // a → c ← b; a's last run succeeded, c is pending (waiting on b only), b is running.
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(c, a);
        await DependAsync(c, b);
        await CompleteAsync(await ClaimOnlyAsync(await EnqueueAsync(a, at: 1), at: 1), RunStatus.Succeeded, at: 2);
        var bRunning = await ClaimOnlyAsync(await EnqueueAsync(b, at: 3), at: 3, lease: 1000);
        var cPending = await EnqueueAsync(c, at: 4);

        var results = await TriggerRunsAsync([b.Id, a.Id], 5);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => (r.Run.JobId, r.Created)), Is.EqualTo(new[] { (a.Id, true), (b.Id, false), (c.Id, false) }));
            Assert.That(results[1].Run, Is.EqualTo(bRunning), "b keeps its running run");
            Assert.That(results[2].Run, Is.EqualTo(cPending), "c keeps its pending run");
        }

        await CompleteAsync(bRunning, RunStatus.Succeeded, at: 6);
        Assert.That(await ClaimIdsAsync(at: 7), Is.EqualTo(new[] { results[0].Run.Id }), "c now waits for a's new run as well as b");
        await CompleteAsync(results[0].Run, RunStatus.Succeeded, at: 8);
        Assert.That(await ClaimIdsAsync(at: 9), Is.EqualTo(new[] { cPending.Id }));
    }

    [Test]
    public async Task TriggerPipelines_WithAnUnknownOrForeignRootAmongKnownOnes_ThrowsJobNotFoundForItAndEnqueuesNothing()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        await DependAsync(b, a);
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var unknown = new JobId(long.MaxValue);

        var first = Assert.ThrowsAsync<JobNotFoundException>(() => TriggerRunsAsync([a.Id, unknown, theirs.Id], 1));
        var foreign = Assert.ThrowsAsync<JobNotFoundException>(() => TriggerRunsAsync([theirs.Id, a.Id], 1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.JobId, Is.EqualTo(unknown), "the first unknown id in the given order");
            Assert.That(foreign.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Runs.ListRunsAsync(Client, a.Id, null, 10, None), Is.Empty);
            Assert.That(await Runs.ListRunsAsync(Client, b.Id, null, 10, None), Is.Empty);
            Assert.That(await Runs.ListRunsAsync(OtherClient, theirs.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task TriggerPipelines_EmptyOrDuplicateRoots_AreRefusedAndEnqueueNothing()
    {
        var a = await CreateJobAsync("a");

        var empty = Assert.ThrowsAsync<OrderLibValidationException>(() => TriggerRunsAsync([], 1));
        var twice = Assert.ThrowsAsync<OrderLibValidationException>(() => TriggerRunsAsync([a.Id, a.Id], 1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(empty.ParamName, Is.EqualTo("jobIds"));
            Assert.That(empty.Message, Does.Contain("at least one job"));
            Assert.That(twice.ParamName, Is.EqualTo("jobIds"));
            Assert.That(twice.Message, Does.Contain($"Job {a.Id} is listed twice"));
            Assert.That(await Runs.ListRunsAsync(Client, a.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task Concurrency_TriggeringTheSamePipelineAtOnce_CreatesOneRunPerJob()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var a = await CreateJobAsync($"a-{round}");
            var b = await CreateJobAsync($"b-{round}");
            var c = await CreateJobAsync($"c-{round}");
            var d = await CreateJobAsync($"d-{round}");
            await DependAsync(b, a);
            await DependAsync(c, a);
            await DependAsync(d, b);
            await DependAsync(d, c);
            var results = new IReadOnlyList<EnqueueResult>[Racers];

            var outcomes = await RaceAsync(Racers, async i => results[i] = await TriggerRunsAsync([a.Id], 1));

            Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
            var runIds = results.Select(r => string.Join(",", r.Select(x => x.Run.Id))).Distinct().ToArray();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(runIds, Has.Length.EqualTo(1), $"round {round}: every caller gets the same runs");
                Assert.That(results.SelectMany(r => r).Count(x => x.Created), Is.EqualTo(4), $"round {round}: each job's run is created by exactly one caller");
                foreach (var job in new[] { a, b, c, d })
                {
                    Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 10, None), Has.Count.EqualTo(1), $"round {round}: one run of '{job.Name}'");
                }
            }
        }
    }

    // Claims (from 10 s on, one claim every 10 s, three workers in turn) and completes every claimed run until a claim
    // finds nothing, checking that each claimed job's upstream jobs all succeeded; returns the job names of each claim.
    private async Task<List<string[]>> DrainInWavesAsync()
    {
        var waves = new List<string[]>();
        for (var step = 0; step < 20; step++)
        {
            var at = 10 + (step * 10);
            var claimed = await ClaimAsync(at, worker: $"worker-{step % 3}");
            if (claimed.Count == 0)
            {
                break;
            }

            waves.Add(claimed.Select(cr => cr.JobName).ToArray());
            foreach (var claim in claimed)
            {
                foreach (var upstream in await Deps.ListUpstreamAsync(Client, claim.Run.JobId, None))
                {
                    var latest = (await Runs.ListRunsAsync(Client, upstream.Id, null, 1, None)).Single();
                    Assert.That(latest.Status, Is.EqualTo(RunStatus.Succeeded), $"'{claim.JobName}' was claimed while its upstream job '{upstream.Name}' is {latest.Status}");
                }
            }

            foreach (var claim in claimed)
            {
                await CompleteAsync(claim.Run, RunStatus.Succeeded, at: at + 1, worker: $"worker-{step % 3}");
            }
        }

        return waves;
    }
}
