namespace OrderLib.Tests.Hosting;

/// <summary>The hosted worker's completer: outcomes recorded in batches, kept through an outage while the lease lasts, given up only after it.</summary>
public sealed class CompleterTests
{
    [Test]
    public async Task Outcomes_that_end_while_a_report_is_in_flight_go_together_in_the_next_report()
    {
        var othersMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 10;
            worker.BatchSize = 10;
            worker.CompletionConcurrency = 1;
            worker.Handle("first", (_, _) => Task.CompletedTask);
            worker.HandleAny(async (_, _) => await othersMayEnd.Task);
        });
        var jobs = new List<Job> { await harness.CreateJobAsync("first") };
        for (var i = 0; i < 9; i++)
        {
            jobs.Add(await harness.CreateJobAsync($"other-{i}"));
        }

        foreach (var job in jobs)
        {
            await harness.EnqueueAsync(job);
        }

        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Claims.HoldReports = hold;
        await harness.StartAsync();

        // The first outcome's report is in flight (held); the nine others end meanwhile.
        await harness.Claims.ReportWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));
        othersMayEnd.SetResult();
        await harness.Eventually(() => Task.FromResult(harness.Worker.RunningCount == 0), "the nine other handlers to end");
        harness.Claims.HoldReports = null;
        hold.SetResult();

        await harness.AllSucceededAsync(jobs);
        Assert.That(harness.Claims.ReportedBatches, Is.EqualTo(new[] { 1, 9 }), "one report for the first outcome, one for the nine that ended while it was in flight");
    }

    [Test]
    public async Task An_outage_keeps_the_outcomes_and_records_each_once_when_the_store_is_back()
    {
        var mayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 4;
            worker.HandleAny(async (context, _) =>
            {
                executions.AddOrUpdate(context.JobName, 1, (_, n) => n + 1);
                await mayEnd.Task;
            });
        });
        var jobs = new List<Job>();
        for (var i = 0; i < 4; i++)
        {
            jobs.Add(await harness.CreateJobAsync($"job-{i}"));
            await harness.EnqueueAsync(jobs[^1]);
        }

        await harness.StartAsync();
        await harness.Eventually(() => Task.FromResult(harness.Worker.RunningCount == 4), "four handlers to run");

        harness.Claims.Unreachable = true;
        mayEnd.SetResult();
        await harness.Eventually(
            () => Task.FromResult(harness.Logs.Lines.Count(line => line.Contains("could not record", StringComparison.Ordinal)) >= 3),
            "three failed attempts to record the outcomes");
        var failedAttempts = harness.Logs.Lines.Where(line => line.Contains("could not record", StringComparison.Ordinal)).ToArray();
        harness.Claims.Unreachable = false;

        await harness.AllSucceededAsync(jobs);
        await harness.Eventually(() => Task.FromResult(harness.Logs.Lines.Any(line => line.Contains("the store is reachable again", StringComparison.Ordinal))), "the recovery to be logged");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failedAttempts, Has.All.StartWith("Warning"), "pending outcomes are a warning, not an error");
            Assert.That(executions.Values, Is.All.EqualTo(1), "no handler ran twice");
            Assert.That(harness.Logs.Lines, Has.None.StartWith("Error"));
            foreach (var job in jobs)
            {
                Assert.That((await harness.RunsOfAsync(job)).Select(r => r.Status), Is.EqualTo(new[] { RunStatus.Succeeded }), $"{job.Name}: one run, recorded once");
            }
        }
    }

    [Test]
    public async Task An_outcome_still_unrecorded_when_its_lease_ends_is_given_up_and_the_run_is_rescued_and_redone()
    {
        var attempts = 0;
        ClaimCountingQueueStore? store = null;
        await using var harness = WorkerHarness.Create(
            worker =>
            {
                worker.Concurrency = 1;
                worker.HandleAny((_, _) =>
                {
                    if (Interlocked.Increment(ref attempts) == 1)
                    {
                        // The database goes away just as the first attempt ends, and stays away past its lease.
                        store!.Unreachable = true;
                    }

                    return Task.CompletedTask;
                });
            },
            orderLib => orderLib.LeaseDuration = TimeSpan.FromSeconds(1));
        store = harness.Claims;
        var job = await harness.CreateJobAsync("short-lease", maxAttempts: 2);
        await harness.EnqueueAsync(job);
        await harness.StartAsync();

        await harness.Eventually(
            () => Task.FromResult(harness.Logs.Lines.Any(line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains("gave up the Succeeded outcome", StringComparison.Ordinal))),
            "the outcome to be given up once its lease ended");
        harness.Claims.Unreachable = false;

        await harness.AllSucceededAsync([job]);
        var runs = await harness.RunsOfAsync(job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(runs.Select(r => (r.Status, r.Error)), Is.EqualTo(new (RunStatus, string?)[] { (RunStatus.Failed, "worker lost"), (RunStatus.Succeeded, null) }));
            Assert.That(attempts, Is.EqualTo(2), "the given-up attempt is redone, at least once, never doubled as Succeeded");
            Assert.That(harness.Logs.Lines.Single(line => line.Contains("gave up", StringComparison.Ordinal)), Does.Contain("rescued as 'worker lost'"));
        }
    }

    [Test]
    public async Task A_stopping_worker_records_the_outcomes_it_holds()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 2;
            worker.HandleAny((_, _) => Task.CompletedTask);
        });
        var a = await harness.CreateJobAsync("a");
        var b = await harness.CreateJobAsync("b");
        await harness.EnqueueAsync(a);
        await harness.EnqueueAsync(b);
        harness.Claims.HoldReports = hold;
        await harness.StartAsync();
        await harness.Claims.ReportWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var stopping = harness.StopAsync();
        harness.Claims.HoldReports = null;
        hold.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(new[] { await harness.LatestStatusAsync(a), await harness.LatestStatusAsync(b) }, Is.All.EqualTo(RunStatus.Succeeded));
    }

    [TestCase(0)]
    [TestCase(1001)]
    public async Task Completion_batch_size_out_of_range_is_refused_at_start(int size)
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.CompletionBatchSize = size;
            worker.HandleAny((_, _) => Task.CompletedTask);
        });
        Assert.That(() => harness.StartAsync(), Throws.TypeOf<OrderLibConfigurationException>().With.Message.Contains("CompletionBatchSize"));
    }
}
