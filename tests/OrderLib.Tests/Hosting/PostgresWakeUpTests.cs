using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrderLib.Adapters.Postgres;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Tests.Hosting;

/// <summary>
/// On PostgreSQL an idle worker is woken by writes of other processes (LISTEN/NOTIFY): a run enqueued through another store
/// instance, with its own data source, starts long before the worker's next poll. Poll-only does not wake it; a killed
/// listener connection comes back; a rolled-back write notifies nobody; two schemas do not wake each other.
/// </summary>
[TestFixture]
public sealed class PostgresWakeUpTests
{
    // Every poll of the workers here: a run that starts well before it was woken by a notification.
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Woken = TimeSpan.FromSeconds(10);
    private const string OtherSchema = "other_orderlib";

    private readonly MigratedPostgresDatabase _database = new();

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await _database.CreateAsync();
        PostgresOrderLibMigrations.Create(_database.ConnectionString, OtherSchema).MigrateUp();
    }

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    private static string UniqueName() => "job-" + Guid.NewGuid().ToString("N");

    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    [Test]
    public async Task An_idle_worker_starts_a_run_enqueued_through_another_store_long_before_its_next_poll()
    {
        await using var host = await WorkerHost.StartAsync(_database.ConnectionString, PostgresNotifications.Listen);
        await using var other = new PostgresOrderLibStore(_database.ConnectionString);
        var job = await other.CreateJobAsync(ClientId.Default, new JobDefinition(UniqueName()), Now, CancellationToken.None);
        await host.IdleAndListeningAsync(_database.ConnectionString);

        var clock = Stopwatch.StartNew();
        await other.EnqueueRunAsync(ClientId.Default, job.Id, null, null, Now, CancellationToken.None);
        await host.StartedAsync(job.Name, Woken);

        Assert.That(clock.Elapsed, Is.LessThan(Woken), $"woken by the other store's NOTIFY, not by the {LongPoll} poll");
    }

    [Test]
    public async Task With_poll_only_an_idle_worker_does_not_start_a_run_of_another_store_before_its_poll()
    {
        await using var host = await WorkerHost.StartAsync(_database.ConnectionString, PostgresNotifications.PollOnly);
        await using var other = new PostgresOrderLibStore(_database.ConnectionString, notifications: PostgresNotifications.PollOnly);
        var job = await other.CreateJobAsync(ClientId.Default, new JobDefinition(UniqueName()), Now, CancellationToken.None);
        await Eventually(() => Task.FromResult(host.Claims.Count >= 1), "the worker's first claim");
        await Task.Delay(TimeSpan.FromSeconds(1)); // that claim is done: the worker now waits for its 30 s poll

        await other.EnqueueRunAsync(ClientId.Default, job.Id, null, null, Now, CancellationToken.None);
        var started = await host.StartedWithinAsync(job.Name, TimeSpan.FromSeconds(3));

        Assert.Multiple(async () =>
        {
            Assert.That(started, Is.False, "nothing wakes a poll-only worker before its poll");
            Assert.That(await ListenerPidAsync(_database.ConnectionString, "public"), Is.Null, "a poll-only store holds no LISTEN connection");
        });
    }

    [Test]
    public async Task A_killed_listener_connection_reconnects_and_later_notifications_still_wake_the_worker()
    {
        await using var host = await WorkerHost.StartAsync(_database.ConnectionString, PostgresNotifications.Listen);
        await using var other = new PostgresOrderLibStore(_database.ConnectionString);
        var job = await other.CreateJobAsync(ClientId.Default, new JobDefinition(UniqueName()), Now, CancellationToken.None);
        var first = await host.IdleAndListeningAsync(_database.ConnectionString);

        await using (var admin = new NpgsqlConnection(_database.ConnectionString))
        {
            Assert.That(await admin.ExecuteScalarAsync<bool>("SELECT pg_terminate_backend(@first)", new { first }), Is.True);
        }

        var claimsBefore = host.Claims.Count;
        await Eventually(async () => await ListenerPidAsync(_database.ConnectionString, "public") is { } pid && pid != first, "a new LISTEN connection");
        await Eventually(() => Task.FromResult(host.Claims.Count > claimsBefore), "the claim of the wake-up after the reconnect");
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        await other.EnqueueRunAsync(ClientId.Default, job.Id, null, null, Now, CancellationToken.None);
        await host.StartedAsync(job.Name, Woken);

        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(Woken), "woken through the new connection");
            Assert.That(host.Logs.Text, Does.Contain("listening for ready runs failed or its connection broke"));
            Assert.That(host.Logs.Text, Does.Contain("listening for ready runs again"));
        });
    }

    [Test]
    public async Task A_write_that_rolls_back_notifies_nobody_and_a_committed_one_names_its_client()
    {
        await using var recorder = await Recorder.ListenAsync(_database.ConnectionString, "public");

        await using var other = new PostgresOrderLibStore(_database.ConnectionString);
        var client = new ClientId("acme-" + Guid.NewGuid().ToString("N")[..8]);
        var job = await other.CreateJobAsync(client, new JobDefinition(UniqueName()), Now, CancellationToken.None);
        await using var admin = new NpgsqlConnection(_database.ConnectionString);
        await admin.ExecuteAsync("""
            CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON public.job_runs DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION public.refuse_at_commit();
            """);
        try
        {
            Assert.ThrowsAsync<PostgresException>(() => other.EnqueueRunAsync(client, job.Id, null, null, Now, CancellationToken.None));
            Assert.That(await recorder.NextWithinAsync(TimeSpan.FromSeconds(2)), Is.Null, "the NOTIFY went with the rolled-back transaction");
        }
        finally
        {
            await admin.ExecuteAsync("DROP TRIGGER refuse_at_commit ON public.job_runs; DROP FUNCTION public.refuse_at_commit();");
        }

        await other.EnqueueRunAsync(client, job.Id, null, null, Now, CancellationToken.None);
        var woken = await recorder.NextWithinAsync(Woken);
        Assert.That(woken?.Client, Is.EqualTo(client), "the committed enqueue notifies, naming its client");
    }

    [Test]
    public async Task Only_writes_that_make_runs_claimable_now_notify()
    {
        await using var recorder = await Recorder.ListenAsync(_database.ConnectionString, "public");
        await using var store = new PostgresOrderLibStore(_database.ConnectionString);
        var (client, up, down, lone, flaky) = await NotifyRulesJobs.CreateAsync(store);
        var worker = new WorkerId("rules-worker");
        var quiet = NotifyRulesJobs.Quiet;
        var immediateRetry = NotifyRulesJobs.ImmediateRetry;

        async Task<RunId> StartedAsync(Job job)
        {
            var run = (await store.EnqueueRunAsync(client, job.Id, null, null, Now, CancellationToken.None)).Run;
            Assert.That((await recorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(client), $"enqueueing {job.Name}, which waits on nothing");
            await store.StartRunAsync(client, run.Id, worker, Now, Now.AddMinutes(5), CancellationToken.None);
            return run.Id;
        }

        await store.EnqueueRunAsync(client, down.Id, null, null, Now, CancellationToken.None);
        Assert.That(await recorder.NextWithinAsync(quiet), Is.Null, "an enqueue whose run waits on its upstream job");

        await store.FinishRunAsync(client, await StartedAsync(lone), RunStatus.Succeeded, null, null, Now, RetryPolicy.Default, CancellationToken.None);
        Assert.That(await recorder.NextWithinAsync(quiet), Is.Null, "a success that releases no dependent");

        await store.FinishRunAsync(client, await StartedAsync(up), RunStatus.Succeeded, null, null, Now, RetryPolicy.Default, CancellationToken.None);
        Assert.That((await recorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(client), "a success that releases a dependent");

        var first = await StartedAsync(flaky);
        var retry = await store.FinishRunAsync(client, first, RunStatus.Failed, "boom", null, Now, immediateRetry, CancellationToken.None);
        Assert.That((await recorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(client), "a retry available at once");

        await store.StartRunAsync(client, retry.Retry!.Id, worker, Now, Now.AddMinutes(5), CancellationToken.None);
        await store.FinishRunAsync(client, retry.Retry.Id, RunStatus.Failed, "boom", null, Now, RetryPolicy.Default, CancellationToken.None);
        Assert.That(await recorder.NextWithinAsync(quiet), Is.Null, "a retry after a backoff is left to the polls");
    }

    [Test]
    public async Task A_batch_of_outcomes_notifies_only_when_it_releases_a_dependent_or_retries_at_once()
    {
        await using var recorder = await Recorder.ListenAsync(_database.ConnectionString, "public");
        await using var store = new PostgresOrderLibStore(_database.ConnectionString);
        var (client, up, down, lone, flaky) = await NotifyRulesJobs.CreateAsync(store);
        var worker = new WorkerId("batch-worker");
        var quiet = NotifyRulesJobs.Quiet;
        var immediateRetry = NotifyRulesJobs.ImmediateRetry;
        await store.EnqueueRunAsync(client, down.Id, null, null, Now, CancellationToken.None);

        async Task<RunOutcome> OutcomeAsync(Job job, RunStatus status)
        {
            var run = (await store.EnqueueRunAsync(client, job.Id, null, null, Now, CancellationToken.None)).Run;
            await recorder.NextWithinAsync(Woken);
            await store.StartRunAsync(client, run.Id, worker, Now, Now.AddMinutes(5), CancellationToken.None);
            return new RunOutcome(run.Id, worker, status, status == RunStatus.Failed ? "boom" : null);
        }

        var loneSuccess = await OutcomeAsync(lone, RunStatus.Succeeded);
        await store.CompleteRunsAsync([loneSuccess], Now, immediateRetry, CancellationToken.None);
        Assert.That(await recorder.NextWithinAsync(quiet), Is.Null, "a batch whose successes release no dependent");

        var upSuccess = await OutcomeAsync(up, RunStatus.Succeeded);
        var loneAgain = await OutcomeAsync(lone, RunStatus.Succeeded);
        await store.CompleteRunsAsync([loneAgain, upSuccess], Now, immediateRetry, CancellationToken.None);
        Assert.That((await recorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(client), "a batch with a success that releases a dependent");

        var failure = await OutcomeAsync(flaky, RunStatus.Failed);
        await store.CompleteRunsAsync([failure], Now, immediateRetry, CancellationToken.None);
        Assert.That((await recorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(client), "a batch with a retry available at once");
    }

    [Test]
    public async Task Two_schemas_in_one_database_do_not_wake_each_other()
    {
        await using var publicRecorder = await Recorder.ListenAsync(_database.ConnectionString, "public");
        await using var otherRecorder = await Recorder.ListenAsync(_database.ConnectionString, OtherSchema);

        await using var writer = new PostgresOrderLibStore(_database.ConnectionString);
        var job = await writer.CreateJobAsync(ClientId.Default, new JobDefinition(UniqueName()), Now, CancellationToken.None);
        await writer.EnqueueRunAsync(ClientId.Default, job.Id, null, null, Now, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await publicRecorder.NextWithinAsync(Woken))?.Client, Is.EqualTo(ClientId.Default), "the schema written to is told");
            Assert.That(await otherRecorder.NextWithinAsync(TimeSpan.FromSeconds(2)), Is.Null, "the other schema is not");
        });
    }

    /// <summary>
    /// The jobs of the notification-rule tests, for a fresh client: <c>Down</c> depends on <c>Up</c>, <c>Lone</c> on
    /// nothing, and <c>Flaky</c> may run three times.
    /// </summary>
    private sealed record NotifyRulesJobs(ClientId Client, Job Up, Job Down, Job Lone, Job Flaky)
    {
        /// <summary>How long a test waits to be sure that no notification comes.</summary>
        public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1.5);

        /// <summary>A retry available at once.</summary>
        public static readonly RetryPolicy ImmediateRetry = new(TimeSpan.Zero, TimeSpan.Zero, 0);

        public static async Task<NotifyRulesJobs> CreateAsync(PostgresOrderLibStore store)
        {
            var client = new ClientId("rules-" + Guid.NewGuid().ToString("N")[..8]);
            Task<Job> CreateAsync(int maxAttempts = 1) =>
                store.CreateJobAsync(client, new JobDefinition(UniqueName()) { MaxAttempts = maxAttempts }, Now, CancellationToken.None);
            var up = await CreateAsync();
            var down = await CreateAsync();
            var lone = await CreateAsync();
            var flaky = await CreateAsync(maxAttempts: 3);
            await store.AddDependencyAsync(client, down.Id, up.Id, Now, CancellationToken.None);
            return new NotifyRulesJobs(client, up, down, lone, flaky);
        }
    }

    /// <summary>The pid of the backend that holds the LISTEN of <paramref name="schema"/>'s channel, or null.</summary>
    private static async Task<int?> ListenerPidAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<int?>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = @listen LIMIT 1",
            new { listen = "LISTEN orderlib_" + schema });
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>What the notifications of a store of its own over a schema report, for store-level tests.</summary>
    private sealed class Recorder : IReadyRunsListener, IAsyncDisposable
    {
        private readonly Channel<ClientId?> _ready = Channel.CreateUnbounded<ClientId?>();
        private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private PostgresOrderLibStore? _store;
        private IDisposable? _subscription;

        /// <summary>Subscribes to a new store's notifications over <paramref name="schema"/> and waits until it listens.</summary>
        public static async Task<Recorder> ListenAsync(string connectionString, string schema)
        {
            var recorder = new Recorder { _store = new PostgresOrderLibStore(connectionString, schema) };
            recorder._subscription = recorder._store.Notifications!.Subscribe(recorder);
            await recorder.ConnectedAsync();
            return recorder;
        }

        public async ValueTask DisposeAsync()
        {
            _subscription?.Dispose();
            if (_store is not null)
            {
                await _store.DisposeAsync();
            }
        }

        public void RunsMayBeReady(ClientId? client) => _ready.Writer.TryWrite(client);

        public void Listening(bool reconnected) => _connected.TrySetResult();

        public void ListeningFailed(Exception exception, TimeSpan retryIn)
        {
        }

        /// <summary>Waits until listening, then takes the wake-up every connect reports (for any client).</summary>
        private async Task ConnectedAsync()
        {
            await _connected.Task.WaitAsync(Woken);
            var connectWake = await NextWithinAsync(Woken);
            Assert.That(connectWake, Is.Not.Null.And.Property(nameof(Notified.Client)).Null, "a connect wakes for every client");
        }

        /// <summary>The next report within <paramref name="timeout"/>, or null when none came.</summary>
        public async Task<Notified?> NextWithinAsync(TimeSpan timeout)
        {
            using var wait = new CancellationTokenSource(timeout);
            try
            {
                return new Notified(await _ready.Reader.ReadAsync(wait.Token));
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>One report: the client it names, or null for any client.</summary>
    private sealed record Notified(ClientId? Client);

    /// <summary>A hosted worker on the PostgreSQL store (schema public) whose every poll is 30 s, with a claim counter and its logs.</summary>
    private sealed class WorkerHost : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly OrderLibWorker _worker;
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _started;

        private WorkerHost(ServiceProvider provider, ConcurrentDictionary<string, TaskCompletionSource> started, ListLoggerProvider logs)
        {
            _provider = provider;
            _started = started;
            Logs = logs;
            Claims = (ClaimCountingQueueStore)provider.GetRequiredService<IRunQueueStore>();
            _worker = provider.GetServices<IHostedService>().OfType<OrderLibWorker>().Single();
        }

        public ClaimCountingQueueStore Claims { get; }

        public ListLoggerProvider Logs { get; }

        public static async Task<WorkerHost> StartAsync(string connectionString, PostgresNotifications notifications)
        {
            var started = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
            var logs = new ListLoggerProvider();
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
            services.AddOrderLib(o => o
                .UsePostgres(connectionString, "public", notifications)
                .AddWorker(worker =>
                {
                    worker.WorkerId = "wake-" + Guid.NewGuid().ToString("N")[..8];
                    worker.IdlePollIntervalMin = LongPoll;
                    worker.IdlePollIntervalMax = LongPoll;
                    worker.NotifiedIdlePollInterval = LongPoll;
                    worker.RescueInterval = LongPoll;
                    worker.HandleAny((context, _) =>
                    {
                        Of(started, context.JobName).TrySetResult();
                        return Task.CompletedTask;
                    });
                }));
            services.Replace(ServiceDescriptor.Singleton<IRunQueueStore>(sp => new ClaimCountingQueueStore(sp.GetRequiredService<PostgresOrderLibStore>())));
            var host = new WorkerHost(services.BuildServiceProvider(), started, logs);
            await host._worker.StartAsync(CancellationToken.None);
            return host;
        }

        /// <summary>
        /// Waits until the store listens and the worker made the claim of the connect's wake-up after it (so that from now
        /// on only a notification or the 30 s poll makes it claim); returns the listener's backend pid.
        /// </summary>
        public async Task<int> IdleAndListeningAsync(string connectionString)
        {
            int? pid = null;
            await Eventually(async () => (pid = await ListenerPidAsync(connectionString, "public")) is not null, "the LISTEN connection");
            await Eventually(() => Task.FromResult(Claims.Count >= 2), "the start's claim and the connect's wake-up claim");
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // that claim is done
            return pid!.Value;
        }

        public Task StartedAsync(string jobName, TimeSpan within) => Of(_started, jobName).Task.WaitAsync(within);

        public async Task<bool> StartedWithinAsync(string jobName, TimeSpan within)
        {
            var started = Of(_started, jobName).Task;
            return await Task.WhenAny(started, Task.Delay(within)) == started;
        }

        public async ValueTask DisposeAsync()
        {
            await _worker.StopAsync(CancellationToken.None);
            await _provider.DisposeAsync();
        }

        private static TaskCompletionSource Of(ConcurrentDictionary<string, TaskCompletionSource> started, string jobName) =>
            started.GetOrAdd(jobName, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
