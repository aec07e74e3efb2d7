using NUnit.Framework;

namespace OrderLib.Tests.Hosting;

/// <summary>
/// The hosted worker claims ahead of its free slots only as far as its handlers finish faster than a claim round trip,
/// never runs more than Concurrency handlers, and still runs the claimed runs waiting for a slot when it stops.
/// </summary>
public sealed class ClaimAheadTests
{
    private static readonly TimeSpan ClaimRoundTrip = TimeSpan.FromMilliseconds(20);

    [Test]
    public async Task Handlers_faster_than_a_claim_get_runs_claimed_ahead_and_never_more_than_Concurrency_run()
    {
        var current = 0;
        var max = 0;
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 2;
            worker.BatchSize = 20;
            worker.HandleAny((_, _) =>
            {
                Counters.RaiseTo(ref max, Interlocked.Increment(ref current));
                Interlocked.Decrement(ref current);
                return Task.CompletedTask;
            });
        });
        harness.Claims.ClaimDelay = ClaimRoundTrip;
        var jobs = await EnqueueJobsAsync(harness, "fast", 60);

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs, TimeSpan.FromSeconds(20));

        Assert.Multiple(() =>
        {
            Assert.That(max, Is.LessThanOrEqualTo(2), "never more handlers than slots");
            Assert.That(harness.Claims.Limits, Has.Some.GreaterThan(2), "a claim asked for more than the free slots");
            Assert.That(harness.Claims.Limits, Has.All.LessThanOrEqualTo(20), "and never for more than the batch size");
        });
    }

    [Test]
    public async Task With_MaxClaimAhead_zero_a_claim_asks_only_for_the_free_slots()
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 2;
            worker.BatchSize = 20;
            worker.MaxClaimAhead = 0;
            worker.HandleAny((_, _) => Task.CompletedTask);
        });
        harness.Claims.ClaimDelay = ClaimRoundTrip;
        var jobs = await EnqueueJobsAsync(harness, "fast", 30);

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs, TimeSpan.FromSeconds(20));

        Assert.That(harness.Claims.Limits, Has.All.InRange(1, 2));
    }

    [Test]
    public async Task Runs_claimed_ahead_and_still_waiting_for_a_slot_when_the_worker_stops_are_run_and_recorded()
    {
        var blockerMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 1;
            worker.BatchSize = 10;
            worker.Handle("blocker", async (_, _) => await blockerMayEnd.Task);
            worker.HandleAny((context, _) =>
            {
                executions.AddOrUpdate(context.JobName, 1, (_, n) => n + 1);
                return Task.CompletedTask;
            });
        });
        harness.Claims.ClaimDelay = ClaimRoundTrip;

        // Fast handlers first, so the worker learns that its handlers finish faster than a claim.
        var warmUp = await EnqueueJobsAsync(harness, "warm-up", 10);
        await harness.StartAsync();
        await harness.AllSucceededAsync(warmUp);

        // The blocker holds the only slot; the runs after it are claimed ahead and wait in memory.
        var blocker = await harness.CreateJobAsync("blocker");
        await harness.EnqueueAsync(blocker);
        await harness.Eventually(async () => await harness.LatestStatusAsync(blocker) == RunStatus.Running, "the blocker to start");
        var waiting = await EnqueueJobsAsync(harness, "after", 5);
        await harness.Eventually(
            async () =>
            {
                foreach (var job in waiting)
                {
                    if (await harness.LatestStatusAsync(job) != RunStatus.Running)
                    {
                        return false;
                    }
                }

                return true;
            },
            "the runs after the blocker to be claimed ahead");
        Assert.That(executions.Keys.Where(name => name.StartsWith("after", StringComparison.Ordinal)), Is.Empty, "none of them started yet");

        var stopping = harness.StopAsync();
        blockerMayEnd.SetResult();
        await stopping;

        Assert.Multiple(async () =>
        {
            foreach (var job in waiting.Append(blocker))
            {
                Assert.That(await harness.LatestStatusAsync(job), Is.EqualTo(RunStatus.Succeeded), $"{job.Name} was run and recorded before the worker stopped");
            }

            Assert.That(waiting.Select(job => executions.GetValueOrDefault(job.Name)), Has.All.EqualTo(1), "each waiting run executed once");
        });
    }

    [Test]
    public async Task Two_reports_are_in_flight_at_once_by_default()
    {
        var othersMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 10;
            worker.BatchSize = 10;
            worker.Handle("first", (_, _) => Task.CompletedTask);
            worker.HandleAny(async (_, _) => await othersMayEnd.Task);
        });
        var jobs = new List<Job> { await harness.CreateJobAsync("first") };
        jobs.AddRange(await EnqueueJobsAsync(harness, "other", 9));
        await harness.EnqueueAsync(jobs[0]);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Claims.HoldReports = hold;

        await harness.StartAsync();
        await harness.Claims.ReportWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));
        othersMayEnd.SetResult();
        await harness.Eventually(() => Task.FromResult(harness.Claims.MostReportsInFlight == 2), "a second report to start while the first is held");
        harness.Claims.HoldReports = null;
        hold.SetResult();
        await harness.AllSucceededAsync(jobs);

        Assert.That(harness.Claims.MostReportsInFlight, Is.EqualTo(2), "never more reports in flight than CompletionConcurrency");
    }

    [TestCase(0)]
    [TestCase(17)]
    public async Task CompletionConcurrency_out_of_range_stops_the_start(int value)
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.CompletionConcurrency = value;
            worker.HandleAny((_, _) => Task.CompletedTask);
        });

        Assert.That(() => harness.StartAsync(), Throws.TypeOf<OrderLibConfigurationException>().With.Message.Contains("CompletionConcurrency"));
    }

    [TestCase(-1)]
    [TestCase(1001)]
    public async Task MaxClaimAhead_out_of_range_stops_the_start(int value)
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.MaxClaimAhead = value;
            worker.HandleAny((_, _) => Task.CompletedTask);
        });

        Assert.That(() => harness.StartAsync(), Throws.TypeOf<OrderLibConfigurationException>().With.Message.Contains("MaxClaimAhead"));
    }

    private static async Task<List<Job>> EnqueueJobsAsync(WorkerHarness harness, string prefix, int count)
    {
        var jobs = new List<Job>();
        for (var i = 0; i < count; i++)
        {
            var job = await harness.CreateJobAsync($"{prefix}-{i}");
            await harness.EnqueueAsync(job);
            jobs.Add(job);
        }

        return jobs;
    }
}
