using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task ClaimRuns_TakesReadyRunsByPriorityThenOldest_StartingAndLeasingEach()
    {
        var low = await CreateJobAsync("low", priority: 1);
        var highOlder = await CreateJobAsync("high-older", priority: 10);
        var mid = await CreateJobAsync("mid", priority: 5, maxAttempts: 3);
        var highNewer = await CreateJobAsync("high-newer", priority: 10);
        var negative = await CreateJobAsync("negative", priority: -3);

        // Enqueued in an order that differs from both job id order and priority order.
        var lowRun = await EnqueueAsync(low, at: 1);
        var highNewerRun = await EnqueueAsync(highNewer, at: 2);
        var negativeRun = await EnqueueAsync(negative, at: 3);
        var highOlderRun = await EnqueueAsync(highOlder, at: 4);
        var midRun = await EnqueueAsync(mid, at: 5);

        var claimed = await Queue.ClaimRunsAsync(new ClaimRequest(new WorkerId("host-a/worker-7"), Clients.Only(Client), 10, ClockAt(6), TimeSpan.FromSeconds(30)), None);

        JobRun Started(JobRun run) => run with { Status = RunStatus.Running, StartedAt = At(6), WorkerId = new WorkerId("host-a/worker-7"), LeaseExpiresAt = At(36) };
        var expected = new[]
        {
            new ClaimedRun(Started(highNewerRun), Client, "high-newer", 1),
            new ClaimedRun(Started(highOlderRun), Client, "high-older", 1),
            new ClaimedRun(Started(midRun), Client, "mid", 3),
            new ClaimedRun(Started(lowRun), Client, "low", 1),
            new ClaimedRun(Started(negativeRun), Client, "negative", 1),
        };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Is.EqualTo(expected));
            foreach (var claim in expected)
            {
                Assert.That(await Runs.GetRunAsync(Client, claim.Run.Id, None), Is.EqualTo(claim.Run), "the stored run is the claimed run");
            }

            Assert.That(await ReadyRunIdsAsync(at: 7), Is.Empty, "claimed runs are no longer ready");
        }
    }

    [Test]
    public async Task ClaimRuns_TakesAtMostTheLimit_AndLeavesTheRestForTheNextClaim()
    {
        var jobs = await CreateJobsAsync("job", 5);
        var runs = new List<JobRun>();
        foreach (var job in jobs)
        {
            runs.Add(await EnqueueAsync(job, at: 1));
        }

        var ids = runs.Select(r => r.Id).ToArray();
        var first = await ClaimIdsAsync(at: 2, worker: "w1", limit: 2);
        var second = await ClaimIdsAsync(at: 3, worker: "w2", limit: 2);
        var third = await ClaimIdsAsync(at: 4, worker: "w3", limit: 2);
        var fourth = await ClaimIdsAsync(at: 5, worker: "w4", limit: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(new[] { ids[0], ids[1] }));
            Assert.That(second, Is.EqualTo(new[] { ids[2], ids[3] }));
            Assert.That(third, Is.EqualTo(new[] { ids[4] }));
            Assert.That(fourth, Is.Empty);
            Assert.That((await GetRunAsync(runs[3]))!.WorkerId, Is.EqualTo(new WorkerId("w2")));
        }
    }

    [Test]
    public async Task ClaimRuns_LeavesRunsThatAreNotAvailableYet()
    {
        var later = await CreateJobAsync("later");
        var now = await CreateJobAsync("now");
        var laterRun = await EnqueueAsync(later, at: 20);
        var nowRun = await EnqueueAsync(now, at: 1);

        var atNineteen = await ClaimIdsAsync(at: 19);
        var atTwenty = await ClaimIdsAsync(at: 20);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atNineteen, Is.EqualTo(new[] { nowRun.Id }));
            Assert.That(atTwenty, Is.EqualTo(new[] { laterRun.Id }), "available at exactly its time");
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task ClaimRuns_LeavesARunWhoseUpstreamJobsLatestRunIs(RunStatus upstreamStatus)
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var upstreamRun = await RunInStatusAsync(extract, upstreamStatus, at: 1);
        var run = await EnqueueAsync(load, at: 2);

        var claimed = await ClaimIdsAsync(at: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Is.EqualTo(upstreamStatus == RunStatus.Pending ? new[] { upstreamRun.Id } : Array.Empty<RunId>()), "only the upstream job's pending run is ready");
            Assert.That(await GetRunAsync(run), Is.EqualTo(run), "the dependent run is untouched");
        }
    }

    [Test]
    public async Task ClaimRuns_LeavesARunWaitingForAnUpstreamJobThatNeverRan_OrForOneOfTwo()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var report = await CreateJobAsync("report");
        await DependAsync(report, a);
        await DependAsync(report, b);
        var run = await EnqueueAsync(report, at: 1);
        Assert.That(await ClaimIdsAsync(at: 2), Is.Empty, "neither upstream job ran");

        await RunToEndAsync(a, RunStatus.Succeeded, at: 3);
        Assert.That(await ClaimIdsAsync(at: 4), Is.Empty, "b never ran");

        await RunToEndAsync(b, RunStatus.Succeeded, at: 5);
        Assert.That(await ClaimIdsAsync(at: 6), Is.EqualTo(new[] { run.Id }), "ready once both succeeded");
    }

    [Test]
    public async Task ClaimRuns_NeverHandsAClaimedRunOutAgain_EvenAfterItsLeaseExpired()
    {
        var job = await CreateJobAsync("extract");
        var run = await EnqueueAsync(job, at: 1);
        var claimed = await ClaimOnlyAsync(run, at: 2, worker: "w1", lease: 10);

        var withinLease = await ClaimIdsAsync(at: 3, worker: "w2");
        var afterLeaseNotRescued = await ClaimIdsAsync(at: 100, worker: "w3");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withinLease, Is.Empty);
            Assert.That(afterLeaseNotRescued, Is.Empty, "an expired lease is still held until a rescue ends the run");
            Assert.That(await GetRunAsync(run), Is.EqualTo(claimed));
        }
    }

    [Test]
    public async Task ClaimRuns_WithAClientFilter_TakesOnlyThoseClientsRuns()
    {
        var thirdClient = new ClientId("x-" + Guid.NewGuid().ToString("N"));
        var mine = await CreateJobAsync("shared-name");
        var theirs = await CreateJobAsync("shared-name", priority: 100, client: OtherClient);
        var third = await CreateJobAsync("shared-name", priority: 200, client: thirdClient);
        var myRun = await EnqueueAsync(mine, at: 1);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None)).Run;
        var thirdRun = (await Runs.EnqueueRunAsync(thirdClient, third.Id, null, At(1), None)).Run;

        var forOther = await ClaimAsync(at: 2, clients: Clients.Only(OtherClient));
        var forMe = await ClaimAsync(at: 3, clients: Clients.Only(Client));

        var mine2 = await CreateJobAsync("mine-2");
        var theirs2 = await CreateJobAsync("theirs-2", priority: 100, client: OtherClient);
        var myRun2 = await EnqueueAsync(mine2, at: 4);
        var theirRun2 = (await Runs.EnqueueRunAsync(OtherClient, theirs2.Id, null, At(4), None)).Run;
        var forBoth = await ClaimAsync(at: 5, clients: Clients.Only(Client, OtherClient));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(forOther.Select(c => (c.Run.Id, c.ClientId)), Is.EqualTo(new[] { (theirRun.Id, OtherClient) }));
            Assert.That(forMe.Select(c => (c.Run.Id, c.ClientId)), Is.EqualTo(new[] { (myRun.Id, Client) }));
            Assert.That(forBoth.Select(c => (c.Run.Id, c.ClientId)), Is.EqualTo(new[] { (theirRun2.Id, OtherClient), (myRun2.Id, Client) }), "by priority across the clients");
            Assert.That(await Runs.GetRunAsync(thirdClient, thirdRun.Id, None), Is.EqualTo(thirdRun), "a client not asked for is left alone");
        }
    }

    [Test]
    public async Task ClaimRuns_ALeaseNotAWholeNumberOfMicroseconds_EndsTruncatedLikeEveryStoredTime()
    {
        var job = await CreateJobAsync("odd-lease");
        var run = await EnqueueAsync(job, at: 1);
        var oddLease = TimeSpan.FromSeconds(60) + TimeSpan.FromTicks(7); // 60 s and 0.7 µs

        var claimed = await Queue.ClaimRunsAsync(new ClaimRequest(new WorkerId("w"), Clients.Only(Client), 1, ClockAt(2), oddLease), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Single().Run.LeaseExpiresAt, Is.EqualTo(At(62)), "truncated to whole microseconds, as returned");
            Assert.That((await GetRunAsync(run))!.LeaseExpiresAt, Is.EqualTo(At(62)), "and as stored");
        }
    }

    [Test]
    public async Task ClaimRuns_WithoutAClientFilter_TakesEveryClientsRuns()
    {
        // A priority no other test uses, so that on a shared database this test's runs come first.
        var mine = await CreateJobAsync("mine", priority: int.MaxValue);
        var theirs = await CreateJobAsync("theirs", priority: int.MaxValue, client: OtherClient);
        var myRun = await EnqueueAsync(mine, at: 1);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None)).Run;

        var claimed = await Queue.ClaimRunsAsync(new ClaimRequest(new WorkerId("w-all"), Clients.All, 2, ClockAt(2), TimeSpan.FromSeconds(60)), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed.Select(c => (c.Run.Id, c.ClientId, c.JobName)), Is.EqualTo(new[] { (myRun.Id, Client, "mine"), (theirRun.Id, OtherClient, "theirs") }));
            Assert.That(claimed.Select(c => c.Run.WorkerId), Is.All.EqualTo(new WorkerId("w-all")));
        }
    }

    [Test]
    public async Task ClaimRuns_FollowsAPriorityChangeOfTheJob()
    {
        var a = await CreateJobAsync("a", priority: 5);
        var b = await CreateJobAsync("b", priority: 1);
        var aRun = await EnqueueAsync(a, at: 1);
        var bRun = await EnqueueAsync(b, at: 2);

        await Jobs.UpdateJobAsync(Client, b.Id, new JobDefinition("b") { Priority = 9 }, At(3), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ClaimIdsAsync(at: 4, limit: 1), Is.EqualTo(new[] { bRun.Id }));
            Assert.That(await ClaimIdsAsync(at: 5, limit: 1), Is.EqualTo(new[] { aRun.Id }));
        }
    }

    [Test]
    public async Task Concurrency_EightWorkersClaimingAtOnce_GetEveryReadyRunExactlyOnce()
    {
        const int runsPerRound = 24;
        for (var round = 0; round < Rounds; round++)
        {
            var expected = new List<RunId>();
            foreach (var job in await CreateJobsAsync($"round-{round}", runsPerRound))
            {
                expected.Add((await EnqueueAsync(job, at: round * 10)).Id);
            }

            var claims = Enumerable.Range(0, Racers).Select(_ => new List<ClaimedRun>()).ToArray();
            var at = (round * 10) + 1;
            var outcomes = await RaceAsync(Racers, async i =>
            {
                // Each call takes at least one run until none is left; more calls than runs means runs are handed out twice.
                for (var call = 0; call <= runsPerRound; call++)
                {
                    var batch = await Queue.ClaimRunsAsync(new ClaimRequest(new WorkerId($"worker-{i}"), Clients.Only(Client), 2, ClockAt(at), TimeSpan.FromSeconds(60)), None);
                    if (batch.Count == 0)
                    {
                        return;
                    }

                    claims[i].AddRange(batch);
                }
            });

            var all = claims.SelectMany(c => c).Select(c => c.Run.Id).ToArray();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
                Assert.That(all, Is.Unique, $"round {round}: no run is handed to two workers");
                Assert.That(all, Is.EquivalentTo(expected), $"round {round}: every ready run is claimed");
            }

            for (var i = 0; i < Racers; i++)
            {
                foreach (var claim in claims[i])
                {
                    var stored = await Runs.GetRunAsync(Client, claim.Run.Id, None);
                    Assert.That(stored, Is.EqualTo(claim.Run), $"round {round}: run {claim.Run.Id} is stored as worker-{i} claimed it");
                    Assert.That(stored!.WorkerId, Is.EqualTo(new WorkerId($"worker-{i}")));
                }
            }
        }
    }
}
