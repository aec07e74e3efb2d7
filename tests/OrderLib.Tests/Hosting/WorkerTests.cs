using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;

namespace OrderLib.Tests.Hosting;

/// <summary>The worker host (<c>AddWorker</c>, <see cref="OrderLibWorker"/>) over the in-memory store.</summary>
public sealed class WorkerTests
{
    [Test]
    public async Task In_a_generic_host_handlers_run_and_their_runs_succeed()
    {
        var seen = new ConcurrentDictionary<string, JobExecutionContext>();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddOrderLib(o => o.UseInMemory().AddWorker(worker =>
        {
            worker.WorkerId = "host-worker";
            worker.Handle("extract", (context, _) =>
            {
                seen[context.JobName] = context;
                return Task.CompletedTask;
            });
            worker.Handle("load", async (context, cancellationToken) =>
            {
                await Task.Delay(10, cancellationToken);
                seen[context.JobName] = context;
            });
        }));
        using var host = builder.Build();
        var orderLib = host.Services.GetRequiredService<IOrderLib>();
        var extract = await orderLib.Jobs.CreateAsync(new JobDefinition("extract") { MaxAttempts = 2 });
        var load = await orderLib.Jobs.CreateAsync(new JobDefinition("load"));
        var extractRun = (await orderLib.Runs.EnqueueAsync(extract.Id)).Run;
        await orderLib.Runs.EnqueueAsync(load.Id);

        await host.StartAsync();
        var clock = Stopwatch.StartNew();
        while (seen.Count < 2 || (await orderLib.Runs.ListLatestAsync()).Items.Any(j => j.LatestRun?.Status != RunStatus.Succeeded))
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the runs did not succeed in time");
            await Task.Delay(10);
        }

        await host.StopAsync();
        var context = seen["extract"];
        var finished = await orderLib.Runs.GetAsync(extractRun.Id);
        Assert.Multiple(() =>
        {
            Assert.That(context.RunId, Is.EqualTo(extractRun.Id));
            Assert.That(context.JobId, Is.EqualTo(extract.Id));
            Assert.That(context.ClientId, Is.EqualTo(ClientId.Default));
            Assert.That(context.Attempt, Is.EqualTo(1));
            Assert.That(context.MaxAttempts, Is.EqualTo(2));
            Assert.That(context.IsLastAttempt, Is.False);
            Assert.That(context.WorkerId, Is.EqualTo(new WorkerId("host-worker")));
            Assert.That(finished.WorkerId, Is.EqualTo(new WorkerId("host-worker")));
            Assert.That(finished.Status, Is.EqualTo(RunStatus.Succeeded));
        });
    }

    [Test]
    public async Task A_throwing_handler_fails_the_attempt_with_the_exception_type_and_message_and_the_retry_runs()
    {
        await using var harness = WorkerHarness.Create(worker => worker.Handle("flaky", (context, _) =>
            context.Attempt == 1 ? throw new InvalidOperationException("boom on attempt 1") : Task.CompletedTask));
        var job = await harness.CreateJobAsync("flaky", maxAttempts: 3);
        await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await harness.AllSucceededAsync([job]);

        var runs = await harness.RunsOfAsync(job);
        Assert.That(runs.Select(r => (r.Attempt, r.Status, r.Error)), Is.EqualTo(new (int, RunStatus, string?)[]
        {
            (1, RunStatus.Failed, "InvalidOperationException: boom on attempt 1"),
            (2, RunStatus.Succeeded, null),
        }));
    }

    [Test]
    public async Task A_job_without_a_handler_fails_with_a_message_naming_it()
    {
        await using var harness = WorkerHarness.Create(worker => worker.Handle("known", (_, _) => Task.CompletedTask));
        var job = await harness.CreateJobAsync("unknown");
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await harness.Eventually(async () => await harness.LatestStatusAsync(job) == RunStatus.Failed, "the run to fail");

        var failed = await harness.OrderLib.Runs.GetAsync(run.Id);
        Assert.That(failed.Error, Is.EqualTo("No handler registered for job 'unknown'"));
    }

    [Test]
    public async Task HandleAny_runs_the_jobs_that_have_no_handler_of_their_own()
    {
        var ranBy = new ConcurrentDictionary<string, string>();
        await using var harness = WorkerHarness.Create(worker => worker
            .Handle("special", (context, _) => Record(context, "named"))
            .HandleAny((context, _) => Record(context, "fallback")));
        var jobs = new[] { await harness.CreateJobAsync("special"), await harness.CreateJobAsync("plain-1"), await harness.CreateJobAsync("plain-2") };
        foreach (var job in jobs)
        {
            await harness.EnqueueAsync(job);
        }

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs);

        Assert.That(ranBy, Is.EquivalentTo(new Dictionary<string, string> { ["special"] = "named", ["plain-1"] = "fallback", ["plain-2"] = "fallback" }));

        Task Record(JobExecutionContext context, string handler)
        {
            ranBy[context.JobName] = handler;
            return Task.CompletedTask;
        }
    }

    [Test]
    public async Task Typed_handlers_come_from_a_new_DI_scope_for_each_run()
    {
        var recorder = new ScopeRecorder();
        await using var harness = WorkerHarness.Create(
            worker => worker.Handle<ScopedHandler>("typed").HandleAny<ScopedHandler>(),
            services: services => services.AddSingleton(recorder).AddScoped<PerRunService>());
        var jobs = new[] { await harness.CreateJobAsync("typed"), await harness.CreateJobAsync("other") };
        foreach (var job in jobs)
        {
            await harness.EnqueueAsync(job);
        }

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs);

        Assert.Multiple(() =>
        {
            Assert.That(recorder.Seen.Select(s => s.JobName), Is.EquivalentTo(new[] { "typed", "other" }));
            Assert.That(recorder.Seen.Select(s => s.ServiceId).Distinct().Count(), Is.EqualTo(2), "one scoped service per run");
            Assert.That(recorder.Seen.All(s => s.SameInstanceInContext), Is.True, "the handler and the context share the run's scope");
        });
    }

    [Test]
    public async Task Never_more_than_Concurrency_handlers_execute_at_once()
    {
        var current = 0;
        var max = 0;
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 3;
            worker.BatchSize = 10;
            worker.HandleAny(async (_, cancellationToken) =>
            {
                var now = Interlocked.Increment(ref current);
                Counters.RaiseTo(ref max, now);
                await Task.Delay(60, cancellationToken);
                Interlocked.Decrement(ref current);
            });
        });
        var jobs = new List<Job>();
        for (var i = 0; i < 12; i++)
        {
            var job = await harness.CreateJobAsync($"job-{i}");
            await harness.EnqueueAsync(job);
            jobs.Add(job);
        }

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs);

        Assert.Multiple(() =>
        {
            Assert.That(max, Is.EqualTo(3), "the slots are used, and never more of them");
            Assert.That(harness.Claims.Limits, Has.All.InRange(1, 3), "a claim asks only for the free slots");
        });
    }

    [Test]
    public async Task Runs_of_a_triggered_pipeline_start_only_after_their_upstream_jobs_succeeded()
    {
        var events = new ConcurrentQueue<string>();
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 4;
            worker.HandleAny(async (context, cancellationToken) =>
            {
                events.Enqueue("start " + context.JobName);
                await Task.Delay(Random.Shared.Next(5, 25), cancellationToken);
                events.Enqueue("end " + context.JobName);
            });
        });
        // root -> a, b, c; a, b -> d; b, c -> e; d, e -> f
        var names = new[] { "root", "a", "b", "c", "d", "e", "f" };
        var jobs = new Dictionary<string, Job>();
        foreach (var name in names)
        {
            jobs[name] = await harness.CreateJobAsync(name);
        }

        var edges = new[] { ("a", "root"), ("b", "root"), ("c", "root"), ("d", "a"), ("d", "b"), ("e", "b"), ("e", "c"), ("f", "d"), ("f", "e") };
        foreach (var (job, dependsOn) in edges)
        {
            await harness.OrderLib.Dependencies.AddAsync(jobs[job].Id, jobs[dependsOn].Id);
        }

        var triggered = await harness.OrderLib.Runs.TriggerAsync(jobs["root"].Id);
        Assert.That(triggered.Runs, Has.Count.EqualTo(7));

        await harness.StartAsync();
        await harness.AllSucceededAsync(jobs.Values);

        var order = events.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(order, Has.Count.EqualTo(14), "each job ran once");
            foreach (var (job, dependsOn) in edges)
            {
                Assert.That(order.IndexOf("end " + dependsOn), Is.LessThan(order.IndexOf("start " + job)), $"{job} started before {dependsOn} ended");
            }
        });
    }

    [Test]
    public async Task A_cancel_request_reaches_the_handlers_token_and_the_run_ends_Cancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenFired = false;
        await using var harness = WorkerHarness.Create(
            worker =>
            {
                worker.HeartbeatInterval = TimeSpan.FromMilliseconds(20);
                worker.Handle("long", async (_, cancellationToken) =>
                {
                    started.TrySetResult();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        tokenFired = true;
                        throw;
                    }
                });
            },
            orderLib: options => options.LeaseDuration = TimeSpan.FromSeconds(5));
        var job = await harness.CreateJobAsync("long", maxAttempts: 3);
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var marked = await harness.OrderLib.Runs.CancelAsync(run.Id, "operator says stop");
        Assert.That(marked.Status, Is.EqualTo(RunStatus.Running), "a running run is only marked; its worker stops it");
        await harness.Eventually(async () => await harness.LatestStatusAsync(job) == RunStatus.Cancelled, "the run to end Cancelled");

        var runs = await harness.RunsOfAsync(job);
        Assert.Multiple(() =>
        {
            Assert.That(tokenFired, Is.True);
            Assert.That(runs, Has.Count.EqualTo(1), "a cancelled run is not retried");
            Assert.That(runs[0].WorkerId, Is.EqualTo(new WorkerId("test-worker")));
        });
    }

    [Test]
    public async Task A_lost_lease_stops_the_handler_and_its_outcome_is_not_reported()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(
            worker =>
            {
                worker.HeartbeatInterval = TimeSpan.FromMilliseconds(20);
                worker.Handle("long", async (_, cancellationToken) =>
                {
                    started.TrySetResult();
                    await using var registration = cancellationToken.Register(() => stopped.TrySetResult());
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                });
            },
            orderLib: options => options.LeaseDuration = TimeSpan.FromSeconds(5));
        var job = await harness.CreateJobAsync("long", maxAttempts: 3);
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await harness.OrderLib.Runs.MarkFailedAsync(run.Id, "an operator ended it"); // the worker no longer holds the run
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // The operator's failure created the next attempt, which the worker may already execute: wait for the lost run's
        // executor itself to end (it logs that it drops the outcome), not for every slot to be free.
        await harness.Eventually(
            () => Task.FromResult(harness.Logs.Lines.Any(line => line.Contains($"run {run.Id} of job 'long' was lost", StringComparison.Ordinal))),
            "the lost run's executor to end without reporting");

        var runs = await harness.RunsOfAsync(job);
        Assert.Multiple(() =>
        {
            Assert.That(runs[0].Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(runs[0].Error, Is.EqualTo("an operator ended it"), "the worker did not overwrite the outcome");
            Assert.That(harness.Logs.Lines, Has.Some.Contains($"lost run {run.Id}"));
        });
    }

    [Test]
    public async Task Stopping_stops_claiming_and_waits_for_running_handlers_to_finish()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenFired = false;
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Concurrency = 1;
            worker.ShutdownTimeout = TimeSpan.FromSeconds(10);
            worker.HandleAny(async (context, cancellationToken) =>
            {
                started.TrySetResult();
                await Task.Delay(300, CancellationToken.None);
                tokenFired = cancellationToken.IsCancellationRequested;
                Assert.That(context.WorkerStopping.IsCancellationRequested, Is.True, "the handler can see that the worker is stopping");
            });
        });
        var first = await harness.CreateJobAsync("first");
        var second = await harness.CreateJobAsync("second");
        await harness.EnqueueAsync(first);

        await harness.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await harness.EnqueueAsync(second);
        await harness.StopAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.LatestStatusAsync(first), Is.EqualTo(RunStatus.Succeeded), "stop waited for the running handler");
            Assert.That(tokenFired, Is.False, "the handler finished within the shutdown timeout, so its token never fired");
            Assert.That(await harness.LatestStatusAsync(second), Is.EqualTo(RunStatus.Pending), "nothing is claimed once stopping");
        });
    }

    [Test]
    public async Task Handlers_still_running_at_the_shutdown_timeout_are_cancelled_and_their_runs_left_to_be_rescued()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenFired = false;
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.ShutdownTimeout = TimeSpan.FromMilliseconds(100);
            worker.HandleAny(async (_, cancellationToken) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    tokenFired = true;
                    throw;
                }
            });
        });
        var job = await harness.CreateJobAsync("stuck", maxAttempts: 2);
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        await harness.StopAsync();

        var left = await harness.OrderLib.Runs.GetAsync(run.Id);
        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
            Assert.That(tokenFired, Is.True);
            Assert.That(left.Status, Is.EqualTo(RunStatus.Running), "an abandoned run is not reported");
            Assert.That(left.WorkerId, Is.EqualTo(new WorkerId("test-worker")));
        });
    }

    [Test]
    public async Task The_host_stopping_before_the_shutdown_timeout_cancels_the_handlers()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.ShutdownTimeout = TimeSpan.FromMinutes(5);
            worker.HandleAny(async (_, cancellationToken) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            });
        });
        var job = await harness.CreateJobAsync("stuck");
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        using var hostGivesUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        await harness.StopAsync(hostGivesUp.Token);
        await harness.Eventually(() => Task.FromResult(harness.Worker.RunningCount == 0), "the handler to be cancelled");

        Assert.Multiple(async () =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
            Assert.That((await harness.OrderLib.Runs.GetAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "left to be rescued");
        });
    }

    [Test]
    public async Task An_idle_worker_backs_off_instead_of_hammering_the_store()
    {
        await using var harness = WorkerHarness.Create(worker => worker.HandleAny((_, _) => Task.CompletedTask));

        await harness.StartAsync();
        await Task.Delay(1000);
        var claims = harness.Claims.Count;

        // 50 ms doubling: claims at about 0, 50, 150, 350 and 750 ms.
        Assert.That(claims, Is.InRange(2, 8));
    }

    [Test]
    public async Task Work_is_claimed_at_once_when_a_local_run_releases_its_dependents()
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.IdlePollIntervalMin = TimeSpan.FromSeconds(2); // polling alone would take seconds per step
            worker.IdlePollIntervalMax = TimeSpan.FromSeconds(2);
            worker.HandleAny((_, _) => Task.CompletedTask);
        });
        Job? previous = null;
        var chain = new List<Job>();
        for (var i = 0; i < 5; i++)
        {
            var job = await harness.CreateJobAsync($"step-{i}");
            if (previous is not null)
            {
                await harness.OrderLib.Dependencies.AddAsync(job.Id, previous.Id);
            }

            chain.Add(job);
            previous = job;
        }

        await harness.OrderLib.Runs.TriggerAsync(chain[0].Id);
        var clock = Stopwatch.StartNew();
        await harness.StartAsync();
        await harness.AllSucceededAsync(chain);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)), "each completion woke the claim loop");
    }

    [Test]
    public async Task A_worker_rescues_runs_whose_worker_is_gone_and_runs_their_retry()
    {
        await using var harness = WorkerHarness.Create(
            worker => worker.HandleAny((_, _) => Task.CompletedTask),
            orderLib: options => options.LeaseDuration = TimeSpan.FromMilliseconds(300));
        var job = await harness.CreateJobAsync("orphaned", maxAttempts: 2);
        await harness.EnqueueAsync(job);
        var ghostClaim = await harness.Queue.ClaimAsync(new WorkerId("ghost"), 1);
        Assert.That(ghostClaim, Has.Count.EqualTo(1));

        await harness.StartAsync();
        await harness.AllSucceededAsync([job]);

        var runs = await harness.RunsOfAsync(job);
        Assert.That(runs.Select(r => (r.Attempt, r.Status, r.WorkerId, r.Error)), Is.EqualTo(new (int, RunStatus, WorkerId?, string?)[]
        {
            (1, RunStatus.Failed, new WorkerId("ghost"), "worker lost"),
            (2, RunStatus.Succeeded, new WorkerId("test-worker"), null),
        }));
    }

    [Test]
    public async Task A_worker_serving_some_clients_takes_only_their_runs()
    {
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Clients = ["acme"];
            worker.HandleAny((_, _) => Task.CompletedTask);
        });
        var acme = harness.OrderLib.ForClient(new ClientId("acme"));
        var acmeJob = await acme.Jobs.CreateAsync(new JobDefinition("report"));
        await acme.Runs.EnqueueAsync(acmeJob.Id);
        var otherJob = await harness.CreateJobAsync("report");
        await harness.EnqueueAsync(otherJob);

        await harness.StartAsync();
        await harness.Eventually(async () => (await acme.Runs.ListForJobAsync(acmeJob.Id)).Items[0].Status == RunStatus.Succeeded, "acme's run to succeed");
        await Task.Delay(100);

        Assert.That(await harness.LatestStatusAsync(otherJob), Is.EqualTo(RunStatus.Pending));
    }

    private static readonly (string Option, Action<OrderLibWorkerOptions> Break)[] InvalidOptions =
    [
        ("WorkerId", o => o.WorkerId = " "),
        ("WorkerId", o => o.WorkerId = new string('w', 201)),
        ("Concurrency", o => o.Concurrency = 0),
        ("BatchSize", o => o.BatchSize = 0),
        ("BatchSize", o => o.BatchSize = 1001),
        ("IdlePollIntervalMin", o => o.IdlePollIntervalMin = TimeSpan.Zero),
        ("IdlePollIntervalMax", o => o.IdlePollIntervalMax = TimeSpan.FromMilliseconds(10)),
        ("NotifiedIdlePollInterval", o => o.NotifiedIdlePollInterval = TimeSpan.Zero),
        ("HeartbeatInterval", o => o.HeartbeatInterval = TimeSpan.FromMinutes(5)),
        ("HeartbeatInterval", o => o.HeartbeatInterval = TimeSpan.Zero),
        ("RescueInterval", o => o.RescueInterval = TimeSpan.Zero),
        ("ShutdownTimeout", o => o.ShutdownTimeout = TimeSpan.FromSeconds(-1)),
        ("Clients", o => o.Clients = []),
        ("Clients", o => o.Clients = [" "]),
    ];

    private static IEnumerable<TestCaseData> InvalidOptionCases() =>
        InvalidOptions.Select((c, i) => new TestCaseData(i).SetArgDisplayNames($"{c.Option}#{i}"));

    [TestCaseSource(nameof(InvalidOptionCases))]
    public async Task Invalid_options_stop_the_worker_from_starting_with_a_message_naming_the_option(int index)
    {
        var (option, breakIt) = InvalidOptions[index];
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.HandleAny((_, _) => Task.CompletedTask);
            breakIt(worker);
        });

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(harness.StartAsync);
        Assert.That(error!.Message, Does.Contain(option));
    }

    [Test]
    public async Task A_worker_without_handlers_does_not_start()
    {
        await using var harness = WorkerHarness.Create(_ => { });

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(harness.StartAsync);
        Assert.That(error!.Message, Does.Contain("no handler"));
    }

    [Test]
    public void A_worker_without_a_store_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddOrderLib().AddWorker(worker => worker.HandleAny((_, _) => Task.CompletedTask));
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("AddWorker needs a store"));
    }

    [Test]
    public void Registering_two_handlers_for_one_job_is_refused()
    {
        var options = new OrderLibWorkerOptions().Handle("a", (_, _) => Task.CompletedTask);

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => options.Handle(" a ", (_, _) => Task.CompletedTask));
            Assert.Throws<ArgumentException>(() => options.Handle(" ", (_, _) => Task.CompletedTask));
            Assert.That(options.HandledJobNames, Is.EqualTo(new[] { "a" }));
        });
    }

    [Test]
    public void Default_options_describe_a_unique_worker()
    {
        var first = new OrderLibWorkerOptions();
        var second = new OrderLibWorkerOptions();

        Assert.Multiple(() =>
        {
            Assert.That(first.WorkerId, Does.StartWith($"{Environment.MachineName}-{Environment.ProcessId}-"));
            Assert.That(first.WorkerId, Is.Not.EqualTo(second.WorkerId));
            Assert.That(first.Concurrency, Is.EqualTo(Environment.ProcessorCount));
            Assert.That(first.BatchSize, Is.EqualTo(10));
            Assert.That(first.Clients, Is.Null);
            Assert.That(first.HeartbeatInterval, Is.Null);
            Assert.That(first.RescueInterval, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(first.ShutdownTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
        });
    }

    internal sealed class PerRunService
    {
        public Guid Id { get; } = Guid.NewGuid();
    }

    internal sealed class ScopeRecorder
    {
        public ConcurrentBag<(string JobName, Guid ServiceId, bool SameInstanceInContext)> Seen { get; } = [];
    }

    internal sealed class ScopedHandler(PerRunService service, ScopeRecorder recorder) : IJobHandler
    {
        public Task ExecuteAsync(JobExecutionContext context, CancellationToken cancellationToken)
        {
            var fromContext = context.Services.GetRequiredService<PerRunService>();
            recorder.Seen.Add((context.JobName, service.Id, ReferenceEquals(fromContext, service)));
            return Task.CompletedTask;
        }
    }
}
