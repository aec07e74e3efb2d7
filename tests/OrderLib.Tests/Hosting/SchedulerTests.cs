using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;

namespace OrderLib.Tests.Hosting;

/// <summary>The hosted scheduler (<c>AddScheduler</c>, <see cref="OrderLibScheduler"/>) over the in-memory store, on a fake clock.</summary>
public sealed class SchedulerTests
{
    private static readonly DateTimeOffset Start = SchedulerHarness.Start;

    [Test]
    public async Task In_a_generic_host_an_every_minute_job_gets_a_run_when_it_is_due_and_its_next_due_time_advances()
    {
        var time = new SleepRecordingTimeProvider(Start);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddOrderLib(o => o.UseInMemory().AddScheduler());
        using var host = builder.Build();
        var orderLib = host.Services.GetRequiredService<IOrderLib>();
        var job = await orderLib.Jobs.CreateAsync(new JobDefinition("report") { Schedule = "every 1m" });
        Assert.That(job.NextDueAt, Is.EqualTo(Start.AddMinutes(1)));

        await host.StartAsync();
        await WaitUntil(() => time.Sleeping == 1 && time.Sleeps.Count == 1, "the scheduler's first sleep");
        time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntil(() => time.Sleeping == 1 && time.Sleeps.Count == 2, "the scheduler's second sleep");
        Assert.That((await orderLib.Runs.ListForJobAsync(job.Id)).Items, Is.Empty, "not due yet at 30 s");

        time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntil(() => time.Sleeping == 1 && time.Sleeps.Count == 3, "the scheduler's third sleep");
        var runs = (await orderLib.Runs.ListForJobAsync(job.Id)).Items;
        var advanced = await orderLib.Jobs.GetAsync(job.Id);
        var clock = Stopwatch.StartNew();
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(runs, Has.Count.EqualTo(1));
            Assert.That(runs[0].Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(runs[0].EnqueuedAt, Is.EqualTo(Start.AddMinutes(1)));
            Assert.That(advanced.NextDueAt, Is.EqualTo(Start.AddMinutes(2)));
            Assert.That(time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30) }), "a minute away, so each sleep is capped at MaxSleep (30 s)");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "the host stopped promptly");
        });
    }

    [Test]
    public async Task The_scheduler_sleeps_until_the_next_due_time_without_polling_the_store_meanwhile()
    {
        await using var harness = SchedulerHarness.Create(s => s.MaxSleep = TimeSpan.FromHours(1));
        var job = await harness.CreateJobAsync("every-ten", "every 10m");

        await harness.StartAsync();
        Assert.Multiple(() =>
        {
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(10) }), "it sleeps exactly until the job is due");
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(1));
            Assert.That(harness.Store.EarliestCalls, Is.EqualTo(1));
        });

        await harness.AdvanceAsync(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Is.Empty, "one second short of the due time");
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(1), "the store was not asked again while the scheduler slept");
            Assert.That(harness.Store.EarliestCalls, Is.EqualTo(1));
        });

        await harness.AdvanceAsync(TimeSpan.FromSeconds(1));
        var runs = await harness.RunsOfAsync(job);
        Assert.Multiple(async () =>
        {
            Assert.That(runs, Has.Count.EqualTo(1));
            Assert.That(runs[0].EnqueuedAt, Is.EqualTo(Start.AddMinutes(10)), "enqueued right at the due time");
            Assert.That((await harness.OrderLib.Jobs.GetAsync(job.Id)).NextDueAt, Is.EqualTo(Start.AddMinutes(20)));
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(2), "two passes in ten minutes");
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10) }));
        });
    }

    [Test]
    public async Task With_nothing_due_soon_it_looks_again_every_MaxSleep_and_so_picks_up_a_new_schedule()
    {
        await using var harness = SchedulerHarness.Create();
        await harness.StartAsync();
        Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromSeconds(30) }), "nothing scheduled: MaxSleep");

        var job = await harness.CreateJobAsync("created-later", "every 2m"); // while the scheduler sleeps; due at 10:02
        for (var i = 0; i < 3; i++)
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(30));
        }

        Assert.That(await harness.RunsOfAsync(job), Is.Empty, "10:01:30, not due yet");
        await harness.AdvanceAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1));
            Assert.That(harness.Time.Sleeps, Has.Count.EqualTo(5).And.All.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Occurrences_missed_while_no_scheduler_ran_collapse_into_one_run()
    {
        await using var harness = SchedulerHarness.Create(s => s.MaxSleep = TimeSpan.FromHours(1));
        var job = await harness.CreateJobAsync("minutely", "every 1m");
        harness.Time.Advance(TimeSpan.FromHours(1)); // down for an hour: 60 occurrences missed

        await harness.StartAsync();

        var handedOut = harness.Store.HandedOut;
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1));
            Assert.That(handedOut, Has.Count.EqualTo(1));
            Assert.That(handedOut[0].DueAt, Is.EqualTo(Start.AddMinutes(1)), "the first missed occurrence");
            Assert.That(handedOut[0].NextDueAt, Is.EqualTo(Start.AddMinutes(61)), "the next one after now");
            Assert.That((await harness.OrderLib.Jobs.GetAsync(job.Id)).NextDueAt, Is.EqualTo(Start.AddMinutes(61)));
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(1) }));
        });

        // The schedule then goes on as usual.
        Assert.That(await harness.FinishReadyRunsAsync(), Is.EqualTo(1));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Two_schedulers_at_once_enqueue_each_occurrence_once()
    {
        await using var harness = SchedulerHarness.Create(s => s.BatchSize = 1, schedulers: 2);
        var jobs = new List<Job>();
        for (var i = 0; i < 5; i++)
        {
            jobs.Add(await harness.CreateJobAsync($"job-{i}", "every 1m"));
        }

        await harness.StartAsync();
        for (var minute = 1; minute <= 3; minute++)
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(30));
            await harness.AdvanceAsync(TimeSpan.FromSeconds(30));
            Assert.That(await harness.FinishReadyRunsAsync(), Is.EqualTo(5), $"minute {minute}: one run per job");
        }

        var handedOut = harness.Store.HandedOut;
        Assert.Multiple(async () =>
        {
            Assert.That(handedOut, Has.Count.EqualTo(15));
            Assert.That(handedOut.Select(o => (o.JobId, o.DueAt)).Distinct().Count(), Is.EqualTo(15), "no occurrence handed out twice");
            Assert.That(handedOut.All(o => o.Enqueue.Created), Is.True);
            foreach (var job in jobs)
            {
                var runs = await harness.RunsOfAsync(job);
                Assert.That(runs.Select(r => (r.EnqueuedAt, r.Status)), Is.EqualTo(new[]
                {
                    (Start.AddMinutes(1), RunStatus.Succeeded),
                    (Start.AddMinutes(2), RunStatus.Succeeded),
                    (Start.AddMinutes(3), RunStatus.Succeeded),
                }), job.Name);
            }
        });
    }

    [Test]
    public async Task A_full_batch_is_followed_at_once_by_another_and_each_occurrence_is_logged()
    {
        await using var harness = SchedulerHarness.Create(s =>
        {
            s.BatchSize = 2;
            s.MaxSleep = TimeSpan.FromHours(1);
        });
        var jobs = new List<Job>();
        for (var i = 0; i < 5; i++)
        {
            jobs.Add(await harness.CreateJobAsync($"job-{i}", "every 1m"));
        }

        await harness.StartAsync();
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));

        var lines = harness.Logs.Lines;
        Assert.Multiple(async () =>
        {
            foreach (var job in jobs)
            {
                Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1), job.Name);
            }

            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(1 + 3), "at the due time: batches of 2, 2 and 1");
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) }));
            Assert.That(lines.Count(l => l.StartsWith("Debug OrderLibScheduler: OrderLib scheduler: job 'job-", StringComparison.Ordinal) && l.Contains("enqueued run", StringComparison.Ordinal)), Is.EqualTo(5));
            Assert.That(lines.Count(l => l.StartsWith("Information OrderLibScheduler: OrderLib scheduler: enqueued", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(lines, Has.One.EqualTo("Information OrderLibScheduler: OrderLib scheduler: enqueued 5 run(s) for 5 due occurrence(s)"));
        });
    }

    [Test]
    public async Task An_occurrence_while_the_previous_run_is_active_is_consumed_without_a_second_run()
    {
        await using var harness = SchedulerHarness.Create(s => s.MaxSleep = TimeSpan.FromHours(1));
        var job = await harness.CreateJobAsync("slow", "every 1m");

        await harness.StartAsync();
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1)); // the first run is still Pending

        var lines = harness.Logs.Lines;
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1));
            Assert.That(harness.Store.HandedOut.Select(o => o.Enqueue.Created), Is.EqualTo(new[] { true, false }));
            Assert.That((await harness.OrderLib.Jobs.GetAsync(job.Id)).NextDueAt, Is.EqualTo(Start.AddMinutes(3)));
            Assert.That(lines.Count(l => l.StartsWith("Information OrderLibScheduler: OrderLib scheduler: enqueued", StringComparison.Ordinal)), Is.EqualTo(1), "a summary at Information only when runs were enqueued");
            Assert.That(lines, Has.Some.Contains("kept by its Pending run"));
        });
    }

    [Test]
    public async Task A_due_time_the_store_keeps_reporting_without_handing_it_out_is_retried_every_MinSleep_not_in_a_tight_loop()
    {
        await using var harness = SchedulerHarness.Create();
        harness.Store.StuckDueAt = Start.AddMinutes(-1); // e.g. another scheduler holds the job

        await harness.StartAsync();
        for (var i = 0; i < 10; i++)
        {
            await harness.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        }

        Assert.Multiple(() =>
        {
            Assert.That(harness.Time.Sleeps, Has.Count.EqualTo(11).And.All.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(11), "one pass per MinSleep");
        });
    }

    [Test]
    public async Task A_due_time_still_past_after_a_pass_that_consumed_occurrences_means_another_pass_at_once()
    {
        await using var harness = SchedulerHarness.Create(s => s.MaxSleep = TimeSpan.FromHours(1));
        await harness.CreateJobAsync("minutely", "every 1m");
        await harness.StartAsync();

        harness.Store.PastDueReportsLeft = 1; // the next earliest-due answer is in the past
        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(harness.Store.EnqueueCalls, Is.EqualTo(1 + 2), "at the due time: the pass, then one more at once");
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) }), "no sleep between the two passes");
            Assert.That(harness.Store.HandedOut, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Store_errors_are_logged_and_retried_with_a_doubling_backoff_and_do_not_stop_the_scheduler()
    {
        await using var harness = QuickBackoffHarness();
        var job = await harness.CreateJobAsync("every-second", "every 1s"); // due at 10:00:01
        harness.Store.FailuresLeft = 4;

        await harness.StartAsync(); // fails at 0 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(100)); // fails at 100 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(200)); // fails at 300 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(250)); // fails at 550 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(250)); // succeeds at 800 ms: due in 200 ms
        Assert.That(await harness.RunsOfAsync(job), Is.Empty);
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(200));

        var errors = harness.Logs.Lines.Where(l => l.StartsWith("Error OrderLibScheduler: OrderLib scheduler:", StringComparison.Ordinal)).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1));
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { 100, 200, 250, 250, 200, 250 }.Select(ms => TimeSpan.FromMilliseconds(ms))));
            Assert.That(errors, Has.Count.EqualTo(4));
            Assert.That(errors, Has.All.Contains("InvalidOperationException: the database is down"));
            Assert.That(harness.Schedulers[0].ExecuteTask!.IsCompleted, Is.False, "still running");
        });
    }

    [Test]
    public async Task An_unavailable_database_is_logged_as_a_warning_not_an_error_and_ridden_out()
    {
        await using var harness = QuickBackoffHarness();
        var job = await harness.CreateJobAsync("every-second", "every 1s"); // due at 10:00:01
        harness.Store.Failure = () => new OrderLibDatabaseUnavailableException("Postgres", new IOException("connection refused"));
        harness.Store.FailuresLeft = 2;

        await harness.StartAsync(); // fails at 0 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(100)); // fails at 100 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(200)); // succeeds at 300 ms: due in 700 ms
        await harness.AdvanceAsync(TimeSpan.FromMilliseconds(700));

        var lines = harness.Logs.Lines.Where(l => l.Contains("OrderLibScheduler: OrderLib scheduler:", StringComparison.Ordinal)).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(job), Has.Count.EqualTo(1), "the pass after the outage enqueued the due run");
            Assert.That(lines.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("database is unavailable", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(2));
            Assert.That(lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)), Is.Empty, "an outage is not an error of the scheduler");
        });
    }

    // A scheduler whose failure backoff runs 100 ms, 200 ms, then 250 ms.
    private static SchedulerHarness QuickBackoffHarness() => SchedulerHarness.Create(s =>
    {
        s.MinSleep = TimeSpan.FromMilliseconds(100);
        s.MaxSleep = TimeSpan.FromMilliseconds(250);
    });

    [Test]
    public async Task A_scheduler_serving_some_clients_enqueues_and_wakes_for_their_jobs_only()
    {
        await using var harness = SchedulerHarness.Create(s =>
        {
            s.Clients = ["acme"];
            s.MaxSleep = TimeSpan.FromHours(1);
        });
        var acme = harness.OrderLib.ForClient(new ClientId("acme"));
        var acmeJob = await harness.CreateJobAsync("report", "every 10m", acme);
        var otherJob = await harness.CreateJobAsync("report", "every 1m");

        await harness.StartAsync();
        Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(10) }), "the other client's job, due in a minute, does not wake it");
        await harness.AdvanceAsync(TimeSpan.FromMinutes(10));

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.RunsOfAsync(acmeJob, acme), Has.Count.EqualTo(1));
            Assert.That(await harness.RunsOfAsync(otherJob), Is.Empty);
            Assert.That((await harness.OrderLib.Jobs.GetAsync(otherJob.Id)).NextDueAt, Is.EqualTo(Start.AddMinutes(1)), "left for a scheduler that serves it");
            Assert.That(harness.Store.HandedOut.Select(o => o.ClientId), Has.All.EqualTo(new ClientId("acme")));
        });
    }

    [Test]
    public async Task Stopping_a_sleeping_scheduler_returns_promptly()
    {
        await using var harness = SchedulerHarness.Create(s => s.MaxSleep = TimeSpan.FromHours(1));
        await harness.StartAsync();

        var clock = Stopwatch.StartNew();
        await harness.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            Assert.That(harness.Schedulers[0].ExecuteTask!.IsCompletedSuccessfully, Is.True);
            Assert.That(harness.Time.Sleeping, Is.Zero, "its sleep was cancelled");
            Assert.That(harness.Logs.Lines, Has.Some.EqualTo("Information OrderLibScheduler: OrderLib scheduler stopped"));
        });
    }

    private static readonly (string Option, Action<OrderLibSchedulerOptions> Break)[] InvalidOptions =
    [
        ("BatchSize", o => o.BatchSize = 0),
        ("BatchSize", o => o.BatchSize = 1001),
        ("MinSleep", o => o.MinSleep = TimeSpan.Zero),
        ("MinSleep", o => o.MinSleep = TimeSpan.FromSeconds(-1)),
        ("MaxSleep", o => o.MaxSleep = TimeSpan.FromMilliseconds(50)),
        ("MaxSleep", o => o.MaxSleep = TimeSpan.FromDays(2)),
        ("Clients", o => o.Clients = []),
        ("Clients", o => o.Clients = [" "]),
    ];

    private static IEnumerable<TestCaseData> InvalidOptionCases() =>
        InvalidOptions.Select((c, i) => new TestCaseData(i).SetArgDisplayNames($"{c.Option}#{i}"));

    [TestCaseSource(nameof(InvalidOptionCases))]
    public async Task Invalid_options_stop_the_scheduler_from_starting_with_a_message_naming_the_option(int index)
    {
        var (option, breakIt) = InvalidOptions[index];
        await using var harness = SchedulerHarness.Create(breakIt);

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(() => harness.Schedulers[0].StartAsync(CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("OrderLib scheduler option " + option));
    }

    [Test]
    public void A_scheduler_without_a_store_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddOrderLib().AddScheduler();
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("needs a store"));
    }

    [Test]
    public void Default_options_serve_every_client_in_batches_of_100_sleeping_100_ms_to_30_s()
    {
        var options = new OrderLibSchedulerOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.Clients, Is.Null);
            Assert.That(options.BatchSize, Is.EqualTo(100));
            Assert.That(options.MinSleep, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(options.MaxSleep, Is.EqualTo(TimeSpan.FromSeconds(30)));
        });
    }

    /// <summary>Polls <paramref name="condition"/> every 5 ms for up to 5 s.</summary>
    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), $"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }
}
