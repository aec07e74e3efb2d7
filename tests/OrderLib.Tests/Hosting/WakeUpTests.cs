using System.Diagnostics;

namespace OrderLib.Tests.Hosting;

/// <summary>An idle worker wakes when this process makes runs ready, instead of waiting for its next poll.</summary>
public sealed class WakeUpTests
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);

    [Test]
    public async Task An_idle_worker_starts_a_run_enqueued_in_its_process_at_once_not_at_its_next_poll()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.IdlePollIntervalMin = LongPoll;
            worker.IdlePollIntervalMax = LongPoll;
            worker.HandleAny((_, _) =>
            {
                started.TrySetResult();
                return Task.CompletedTask;
            });
        });
        var job = await harness.CreateJobAsync("a");
        await harness.StartAsync();
        await harness.Eventually(() => Task.FromResult(harness.Claims.Count >= 1), "the first, empty claim");

        var clock = Stopwatch.StartNew();
        await harness.EnqueueAsync(job);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), $"woken by the enqueue, not by a {LongPoll} poll");
    }

    [Test]
    public async Task An_idle_worker_wakes_when_another_worker_of_its_process_records_an_upstream_success()
    {
        var downstreamStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.IdlePollIntervalMin = LongPoll;
            worker.IdlePollIntervalMax = LongPoll;
            worker.HandleAny((_, _) =>
            {
                downstreamStarted.TrySetResult();
                return Task.CompletedTask;
            });
        });
        var upstream = await harness.CreateJobAsync("upstream");
        var downstream = await harness.CreateJobAsync("downstream");
        await harness.OrderLib.Dependencies.AddAsync(downstream.Id, upstream.Id);
        await harness.EnqueueAsync(downstream);
        var upstreamRun = await harness.EnqueueAsync(upstream);
        var elsewhere = new WorkerId("another-worker");
        var claimed = await harness.Queue.ClaimAsync(elsewhere, 1);
        Assert.That(claimed.Single().Run.Id, Is.EqualTo(upstreamRun.Id));
        await harness.StartAsync();
        await harness.Eventually(() => Task.FromResult(harness.Claims.Count >= 2), "the worker to go idle (downstream waits)");

        var clock = Stopwatch.StartNew();
        await harness.Queue.ReportSucceededAsync(upstreamRun.Id, elsewhere);
        await downstreamStarted.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "woken by the recorded success");
    }
}
