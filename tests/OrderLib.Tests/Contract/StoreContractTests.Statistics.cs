using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    /// <summary>00:10 to 00:15 of T0's day (From included, To excluded): five minute buckets.</summary>
    private static readonly StatisticsQuery FiveMinutes = new(At(600), At(900)) { Bucket = TimelineBucket.Minute };

    /// <summary>
    /// The history of <see cref="BuildStatisticsHistoryAsync"/> over <see cref="FiveMinutes"/>, by hand. Durations in
    /// seconds (finished minus started):
    /// <list type="bullet">
    /// <item>alpha: a1 Failed (attempt 1, 1 s), a2 Failed (attempt 2, 10 s), a3 Succeeded (attempt 3, 30 s), a4 Succeeded
    /// (5 s), a5 Succeeded (20 s): 3 / 2 / 0, attempts per success (3 + 1 + 1) / 3; durations 1, 5, 10, 20, 30: p50 at rank
    /// ceil(2.5) = 3 is 10, p95 at rank ceil(4.75) = 5 is 30.</item>
    /// <item>beta: b1 Succeeded (60 s), b2 Failed (2 s), b3 Cancelled while pending (no duration), b4 Succeeded (49 s):
    /// 2 / 1 / 1, attempts 1; durations 2, 49, 60: p50 at rank ceil(1.5) = 2 is 49, p95 at rank ceil(2.85) = 3 is 60.</item>
    /// <item>gamma: c1 Cancelled while running (10 s): 0 / 0 / 1, no success; durations 10.</item>
    /// <item>overall: 5 / 3 / 2, attempts (3 + 1 + 1 + 1 + 1) / 5 = 1.4; durations 1, 2, 5, 10, 10, 20, 30, 49, 60: p50 at
    /// rank ceil(4.5) = 5 is 10, p95 at rank ceil(8.55) = 9 is 60.</item>
    /// </list>
    /// a0 (finished at 599, before From) and a6 (finished at 900, at To) are outside; delta has no run inside.
    /// </summary>
    private static readonly RunStatistics Alpha = new(3, 2, 0, 5.0 / 3, Durations(5, 1, 10, 30, 30));

    private static readonly RunStatistics Beta = new(2, 1, 1, 1, Durations(3, 2, 49, 60, 60));

    private static readonly RunStatistics Gamma = new(0, 0, 1, null, Durations(1, 10, 10, 10, 10));

    [Test]
    public async Task Statistics_CountTheRunsFinishedInTheWindow_OverallPerJobAndPerBucket()
    {
        var (alpha, beta, gamma, _) = await BuildStatisticsHistoryAsync();

        var stats = await History.GetStatisticsAsync(Client, FiveMinutes, At(1000), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stats.Query, Is.SameAs(FiveMinutes));
            Assert.That(stats.Now, Is.EqualTo(At(1000)));
            Assert.That(stats.Overall, Is.EqualTo(new RunStatistics(5, 3, 2, 1.4, Durations(9, 1, 10, 60, 60))));
            Assert.That(stats.Overall.SuccessRate, Is.EqualTo(5.0 / 8));
            Assert.That(stats.PerJob, Is.EqualTo(new[]
            {
                new JobStatistics(alpha.Id, "alpha", Alpha),
                new JobStatistics(beta.Id, "beta", Beta),
                new JobStatistics(gamma.Id, "gamma", Gamma),
            }), "the jobs with runs in the window, in job id order (delta has none)");
            Assert.That(stats.Timeline, Is.EqualTo(new[]
            {
                new TimelineBucketCounts(At(600), 1, 2, 0),
                new TimelineBucketCounts(At(660), 2, 1, 1),
                new TimelineBucketCounts(At(720), 0, 0, 0),
                new TimelineBucketCounts(At(780), 1, 0, 1),
                new TimelineBucketCounts(At(840), 1, 0, 0),
            }), "every minute of the window, the empty one included");
            Assert.That(stats.Queue, Is.EqualTo(new QueueDepth(0, 0, 0, 0, 0, null)), "every run ended");
            Assert.That(stats.OldestReadyAge, Is.Null);
        }
    }

    [Test]
    public async Task Statistics_ForSomeJobs_CountOnlyTheirRuns_AndNeverAnotherClients()
    {
        var (_, beta, gamma, theirs) = await BuildStatisticsHistoryAsync();
        // The same window, given in another offset: timestamps compare as instants.
        var plusTwo = TimeSpan.FromHours(2);
        var query = new StatisticsQuery(At(600).ToOffset(plusTwo), At(900).ToOffset(plusTwo))
        {
            Bucket = TimelineBucket.Minute,
            JobIds = [gamma.Id, beta.Id, theirs.Id],
        };

        var stats = await History.GetStatisticsAsync(Client, query, At(1000), None);
        var theirStats = await History.GetStatisticsAsync(OtherClient, FiveMinutes, At(1000), None);

        using (Assert.EnterMultipleScope())
        {
            // beta and gamma: 2 / 1 / 2, attempts 1; durations 2, 10, 49, 60: p50 at rank 2 is 10, p95 at rank ceil(3.8) = 4 is 60.
            Assert.That(stats.Overall, Is.EqualTo(new RunStatistics(2, 1, 2, 1, Durations(4, 2, 10, 60, 60))));
            Assert.That(stats.PerJob, Is.EqualTo(new[] { new JobStatistics(beta.Id, "beta", Beta), new JobStatistics(gamma.Id, "gamma", Gamma) }));
            Assert.That(stats.Timeline, Is.EqualTo(new[]
            {
                new TimelineBucketCounts(At(600), 0, 0, 0),
                new TimelineBucketCounts(At(660), 1, 1, 1),
                new TimelineBucketCounts(At(720), 0, 0, 0),
                new TimelineBucketCounts(At(780), 0, 0, 1),
                new TimelineBucketCounts(At(840), 1, 0, 0),
            }));
            // The other client's own job (also named alpha): 600 → 650 Succeeded, 700 → 701 Failed.
            Assert.That(theirStats.Overall, Is.EqualTo(new RunStatistics(1, 1, 0, 1, Durations(2, 1, 1, 50, 50))));
            Assert.That(theirStats.PerJob, Is.EqualTo(new[] { new JobStatistics(theirs.Id, "alpha", theirStats.Overall) }));
            Assert.That(theirStats.Timeline.Sum(b => b.Succeeded + b.Failed + b.Cancelled), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Statistics_DurationPercentiles_AreByNearestRank_ExactToTheMicrosecond()
    {
        // twenty: durations of i seconds and 1 µs for i = 1..20, added in a shuffled order; each starts 0.999999 s after a
        // whole second and finishes on a whole second (the microseconds borrow a second). Nearest rank over n = 20: p50 at
        // rank 10, p95 at rank 19. one: a single run of 0.5 s. Overall n = 21: 0.5 s, then 1..20 s (+ 1 µs): p50 at rank
        // ceil(10.5) = 11 is 10 s, p95 at rank ceil(19.95) = 20 is 19 s.
        var twenty = await CreateJobAsync("twenty");
        var one = await CreateJobAsync("one");
        int[] order = [7, 20, 3, 15, 1, 12, 18, 5, 10, 2, 19, 8, 14, 4, 17, 11, 6, 16, 9, 13];
        for (var k = 0; k < order.Length; k++)
        {
            var start = At(1000 + (30 * k)).AddTicks(9_999_990);
            await RunBetweenAsync(twenty, start, start + Seconds(order[k]) + TimeSpan.FromMicroseconds(1), RunStatus.Succeeded);
        }

        await RunBetweenAsync(one, At(1700), At(1700).AddMilliseconds(500), RunStatus.Succeeded);

        var stats = await History.GetStatisticsAsync(Client, new StatisticsQuery(At(1000), At(2000)), At(2000), None);

        static TimeSpan Plus1(int seconds) => Seconds(seconds) + TimeSpan.FromMicroseconds(1);
        var half = TimeSpan.FromMilliseconds(500);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stats.PerJob.Select(j => j.Runs.Durations), Is.EqualTo(new[]
            {
                new DurationStatistics(20, Plus1(1), Plus1(10), Plus1(19), Plus1(20)),
                new DurationStatistics(1, half, half, half, half),
            }));
            Assert.That(stats.Overall.Durations, Is.EqualTo(new DurationStatistics(21, half, Plus1(10), Plus1(19), Plus1(20))));
            Assert.That(stats.Overall.AttemptsPerSuccess, Is.EqualTo(1));
            Assert.That(stats.Timeline, Is.EqualTo(new[] { new TimelineBucketCounts(T0, 21, 0, 0) }), "one hour bucket (the default) holds the whole window");
        }
    }

    [Test]
    public async Task Statistics_QueueDepth_CountsEachKindOfActiveRunNow_ForTheSelectedJobs()
    {
        // At 1000: r1 (enqueued at 900) and r2 (950) are ready; u is running and w waits for it; l failed at 950 and retries
        // after a 100 s backoff, at 1050; l2 failed at 850 and its retry has been ready since 860, the oldest ready run.
        var r1 = await CreateJobAsync("r1");
        var r2 = await CreateJobAsync("r2");
        var u = await CreateJobAsync("u");
        var w = await CreateJobAsync("w");
        var l = await CreateJobAsync("l", maxAttempts: 2);
        var l2 = await CreateJobAsync("l2", maxAttempts: 2);
        var done = await CreateJobAsync("done");
        await DependAsync(w, u);
        await RunInStatusAsync(done, RunStatus.Succeeded, at: 100);
        await RunBetweenAsync(l2, At(800), At(850), RunStatus.Failed, Backoff(10, 1000));
        await EnqueueAsync(r1, at: 900);
        await StartAsync(await EnqueueAsync(u, at: 920), at: 920);
        await EnqueueAsync(w, at: 930);
        await RunBetweenAsync(l, At(940), At(950), RunStatus.Failed, Backoff(100, 1000));
        await EnqueueAsync(r2, at: 950);
        var theirs = await CreateJobAsync("r1", client: OtherClient);
        await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(100), None);

        var window = new StatisticsQuery(At(0), At(1000));
        var now = await History.GetStatisticsAsync(Client, window, At(1000), None);
        var later = await History.GetStatisticsAsync(Client, window, At(1050), None);
        var some = await History.GetStatisticsAsync(Client, window with { JobIds = [r2.Id, w.Id, l.Id, theirs.Id] }, At(1000), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(now.Queue, Is.EqualTo(new QueueDepth(3, 1, 0, 1, 1, At(860))));
            Assert.That(now.OldestReadyAge, Is.EqualTo(Seconds(140)));
            Assert.That(later.Queue, Is.EqualTo(new QueueDepth(4, 1, 0, 0, 1, At(860))), "available at now counts as ready");
            Assert.That(some.Queue, Is.EqualTo(new QueueDepth(1, 1, 0, 1, 0, At(950))));
            Assert.That(now.Overall, Is.EqualTo(new RunStatistics(1, 2, 0, 1, Durations(3, 0, 10, 50, 50))), "done, l2's and l's first attempts");
        }
    }

    [Test]
    public async Task Statistics_DayBuckets_StartOnUtcMidnight_AndCoverTheWindow()
    {
        // From 23:00 on the day before T0 to 00:01 two days after it: buckets of the 31st, the 1st and the 2nd.
        var daily = await CreateJobAsync("daily");
        await RunBetweenAsync(daily, At(-3700), At(-3601), RunStatus.Succeeded);
        await RunBetweenAsync(daily, At(-1800), At(-1790), RunStatus.Succeeded);
        await RunBetweenAsync(daily, At(100), At(110), RunStatus.Failed);
        await RunBetweenAsync(daily, At(86_000), At(86_399), RunStatus.Succeeded);
        await Runs.CancelRunAsync(Client, (await EnqueueAsync(daily, at: 86_430)).Id, "not today", At(86_440), None);
        await RunBetweenAsync(daily, At(86_450), At(86_460), RunStatus.Succeeded);
        var query = new StatisticsQuery(At(-3600), At(86_460)) { Bucket = TimelineBucket.Day };

        var stats = await History.GetStatisticsAsync(Client, query, At(90_000), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stats.Timeline, Is.EqualTo(new[]
            {
                new TimelineBucketCounts(T0.AddDays(-1), 1, 0, 0),
                new TimelineBucketCounts(T0, 1, 1, 0),
                new TimelineBucketCounts(T0.AddDays(1), 0, 0, 1),
            }), "the runs finished at -3601 (before From) and at 86460 (at To) are outside");
            Assert.That(stats.Overall, Is.EqualTo(new RunStatistics(2, 1, 1, 1, Durations(3, 10, 10, 399, 399))));
        }
    }

    [Test]
    public async Task Statistics_OfAWindowWithoutRuns_AreZerosAndNulls()
    {
        var job = await CreateJobAsync("quiet");
        await RunBetweenAsync(job, At(100), At(200), RunStatus.Succeeded);
        var theirs = await CreateJobAsync("quiet", client: OtherClient);
        await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(100), None);
        // 02:46:40 to 03:46:40: the 02:00 and 03:00 hour buckets.
        var empty = new StatisticsQuery(At(10_000), At(13_600));
        var notTheirs = new StatisticsQuery(At(0), At(1000)) { JobIds = [theirs.Id] };

        using (Assert.EnterMultipleScope())
        {
            foreach (var query in new[] { empty, notTheirs })
            {
                var stats = await History.GetStatisticsAsync(Client, query, At(20_000), None);
                Assert.That(stats.Overall, Is.EqualTo(RunStatistics.None));
                Assert.That(stats.Overall.SuccessRate, Is.Null);
                Assert.That(stats.PerJob, Is.Empty);
                Assert.That(stats.Queue, Is.EqualTo(new QueueDepth(0, 0, 0, 0, 0, null)));
                Assert.That(stats.Timeline.Select(b => (b.Succeeded, b.Failed, b.Cancelled)), Is.All.EqualTo((0L, 0L, 0L)));
            }

            Assert.That(
                (await History.GetStatisticsAsync(Client, empty, At(20_000), None)).Timeline.Select(b => b.Start),
                Is.EqualTo(new[] { At(7200), At(10_800) }));
            var emptyList = await History.GetStatisticsAsync(Client, notTheirs with { JobIds = [] }, At(20_000), None);
            Assert.That(emptyList.Overall.Succeeded, Is.EqualTo(1), "an empty job list is no job filter, as in a run filter");
            Assert.That(emptyList.PerJob.Select(j => j.JobId), Is.EqualTo(new[] { job.Id }));
        }
    }

    /// <summary>Duration statistics of whole seconds.</summary>
    private static DurationStatistics Durations(long count, int min, int p50, int p95, int max) =>
        new(count, Seconds(min), Seconds(p50), Seconds(p95), Seconds(max));

    private static TimeSpan Seconds(int seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>
    /// The history <see cref="FiveMinutes"/> is read over (see <see cref="Alpha"/>), and another client's job with a
    /// success (600 → 650) and a failure (700 → 701) in the window.
    /// </summary>
    private async Task<(Job Alpha, Job Beta, Job Gamma, Job Theirs)> BuildStatisticsHistoryAsync()
    {
        var alpha = await CreateJobAsync("alpha", maxAttempts: 3);
        var beta = await CreateJobAsync("beta");
        var gamma = await CreateJobAsync("gamma");
        var delta = await CreateJobAsync("delta");
        var theirs = await CreateJobAsync("alpha", client: OtherClient);

        await RunBetweenAsync(delta, At(100), At(200), RunStatus.Succeeded);
        await RunBetweenAsync(alpha, At(540), At(599), RunStatus.Succeeded);
        var a1 = await RunBetweenAsync(alpha, At(599), At(600), RunStatus.Failed);
        var a2 = await StartAndFinishAsync(a1.Retry!, At(600), At(610), RunStatus.Failed, NoDelay, Client);
        await StartAndFinishAsync(a2.Retry!, At(610), At(640), RunStatus.Succeeded, NoDelay, Client);
        await RunBetweenAsync(alpha, At(700), At(705), RunStatus.Succeeded);
        await RunBetweenAsync(alpha, At(800), At(820), RunStatus.Succeeded);
        await RunBetweenAsync(alpha, At(850), At(900), RunStatus.Succeeded);

        await RunBetweenAsync(beta, At(600), At(660), RunStatus.Succeeded);
        await RunBetweenAsync(beta, At(660), At(662), RunStatus.Failed);
        await Runs.CancelRunAsync(Client, (await EnqueueAsync(beta, at: 700)).Id, "not now", At(710), None);
        await RunBetweenAsync(beta, At(850), At(899), RunStatus.Succeeded);

        var c1 = await StartAsync(await EnqueueAsync(gamma, at: 780), at: 780);
        await Runs.CancelRunAsync(Client, c1.Id, "stop", At(785), None);
        await CompleteAsync(c1, RunStatus.Cancelled, at: 790);

        await RunBetweenAsync(theirs, At(600), At(650), RunStatus.Succeeded, client: OtherClient);
        await RunBetweenAsync(theirs, At(700), At(701), RunStatus.Failed, client: OtherClient);
        return (alpha, beta, gamma, theirs);
    }

    /// <summary>Enqueues a run of the job at <paramref name="start"/>, starts it then and finishes it at <paramref name="finish"/>.</summary>
    private async Task<RunCompletion> RunBetweenAsync(Job job, DateTimeOffset start, DateTimeOffset finish, RunStatus outcome, RetryPolicy? policy = null, ClientId? client = null)
    {
        var owner = client ?? Client;
        var run = (await Runs.EnqueueRunAsync(owner, job.Id, null, start, None)).Run;
        return await StartAndFinishAsync(run, start, finish, outcome, policy ?? NoDelay, owner);
    }

    private async Task<RunCompletion> StartAndFinishAsync(JobRun pending, DateTimeOffset start, DateTimeOffset finish, RunStatus outcome, RetryPolicy policy, ClientId client)
    {
        await Runs.StartRunAsync(client, pending.Id, new WorkerId("worker-1"), start, finish.AddMinutes(1), None);
        return await Runs.FinishRunAsync(client, pending.Id, outcome, outcome == RunStatus.Failed ? "boom" : null, null, finish, policy, None);
    }
}
