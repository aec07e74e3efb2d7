using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OrderLib.Adapters.Postgres;
using OrderLib.Tests.Hosting;
using OrderLib.Tests.Infrastructure;
using OrderLib.Testing;

namespace OrderLib.Tests.Observability;

/// <summary>
/// The health checks' states and the queue gauges: healthy on a migrated database with a live worker; Unhealthy for
/// readiness, not for liveness, when the database is gone (a deleted SQLite file, a stopped PostgreSQL server, which
/// is healthy again once started); Degraded beyond the backlog thresholds; a stale worker loop Unhealthy.
/// </summary>
[NonParallelizable]
public sealed class HealthAndGaugeTests
{
    [Test]
    public async Task A_migrated_sqlite_database_with_a_live_worker_is_healthy()
    {
        using var file = new MigratedSqliteFile("health");
        await using var services = Services(o => o.UseSqlite(file.ConnectionString).AddWorker(w => w.Handle("noop", (_, _) => Task.CompletedTask)), _ => { });
        var worker = services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OrderLibWorker>().Single();
        await worker.StartAsync(CancellationToken.None);
        try
        {
            var heartbeats = services.GetRequiredService<OrderLibWorkerHeartbeats>();
            await WaitAsync(() => heartbeats.Workers.Count == 1);
            var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            Assert.That(Statuses(report), Is.EqualTo(AllHealthy("orderlib-database", "orderlib-schema", "orderlib-worker")));
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task An_unreachable_sqlite_database_is_unhealthy_for_readiness_but_not_for_liveness()
    {
        // The store is created while the directory exists; then the directory (and with it the database) goes away.
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"orderlib-missing-{Guid.NewGuid():N}"));
        var missing = Path.Combine(directory.FullName, "nowhere.db");
        await using var services = Services(o => o.UseSqlite($"Data Source={missing};Mode=ReadWrite"), _ => { });
        var health = services.GetRequiredService<HealthCheckService>();
        _ = services.GetRequiredService<OrderLib.Ports.IHistoryStore>();
        _ = services.GetService<OrderLib.Ports.IOrderLibMigrator>();
        directory.Delete(recursive: true);

        var ready = await health.CheckHealthAsync(c => c.Tags.Contains("ready"));
        var live = await health.CheckHealthAsync(c => c.Tags.Contains("live"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ready.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(ready.Entries["orderlib-database"].Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(ready.Entries["orderlib-database"].Exception, Is.InstanceOf<OrderLibDatabaseUnavailableException>());
            Assert.That(ready.Entries["orderlib-schema"].Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(live.Status, Is.EqualTo(HealthStatus.Healthy), "no worker is running");
        }
    }

    [Test]
    public async Task A_stopped_postgres_server_is_unhealthy_for_readiness_while_the_worker_stays_live_and_is_healthy_again_once_started()
    {
        // A cluster of the test's own: the suite's shared server cannot be stopped.
        using var cluster = OwnPostgresCluster.Start("pghealth", ["fsync=off"]);
        var connectionString = cluster.AdminConnectionString;
        PostgresOrderLibMigrations.Create(connectionString).MigrateUp();
        var staleAfter = TimeSpan.FromSeconds(2);
        await using var services = Services(
            o => o.UsePostgres(connectionString).AddWorker(w =>
            {
                w.Handle("noop", (_, _) => Task.CompletedTask);
                w.IdlePollIntervalMax = TimeSpan.FromMilliseconds(200);
                w.NotifiedIdlePollInterval = TimeSpan.FromMilliseconds(200);
            }),
            h => h.WorkerStaleAfter = staleAfter);
        var health = services.GetRequiredService<HealthCheckService>();
        var worker = services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OrderLibWorker>().Single();
        await worker.StartAsync(CancellationToken.None);
        try
        {
            await WaitAsync(() => services.GetRequiredService<OrderLibWorkerHeartbeats>().Workers.Count == 1);
            Assert.That(Statuses(await health.CheckHealthAsync(c => c.Tags.Contains("ready"))), Is.EqualTo(AllHealthy("orderlib-database", "orderlib-schema")), "server running");

            cluster.StopImmediate();
            await Task.Delay(staleAfter * 2); // the worker's claims fail all this time; its loop must go on beating
            var ready = await health.CheckHealthAsync(c => c.Tags.Contains("ready"));
            var live = await health.CheckHealthAsync(c => c.Tags.Contains("live"));
            var database = ready.Entries["orderlib-database"];
            using (Assert.EnterMultipleScope())
            {
                Assert.That(ready.Status, Is.EqualTo(HealthStatus.Unhealthy), "server stopped");
                Assert.That(database.Status, Is.EqualTo(HealthStatus.Unhealthy));
                Assert.That(database.Description, Is.EqualTo("The OrderLib database cannot be reached."));
                Assert.That(database.Exception, Is.InstanceOf<OrderLibDatabaseUnavailableException>()
                    .With.Property(nameof(OrderLibDatabaseUnavailableException.Provider)).EqualTo("Postgres")
                    .And.Message.Contains("Failed to connect to 127.0.0.1"));
                Assert.That(ready.Entries["orderlib-schema"].Status, Is.EqualTo(HealthStatus.Unhealthy));
                Assert.That(Statuses(live), Is.EqualTo(AllHealthy("orderlib-worker")), $"liveness does not depend on the database: {live.Entries["orderlib-worker"].Description}");
            }

            cluster.StartAgain();
            Assert.That(Statuses(await health.CheckHealthAsync(c => c.Tags.Contains("ready"))), Is.EqualTo(AllHealthy("orderlib-database", "orderlib-schema")), "server started again");
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task A_backlog_beyond_the_thresholds_is_degraded_and_a_stale_worker_loop_unhealthy()
    {
        await using var services = Services(o => o.UseInMemory(), h => { h.MaxReadyRuns = 1; h.WorkerStaleAfter = TimeSpan.FromSeconds(30); });
        var orderLib = services.GetRequiredService<IOrderLib>();
        var health = services.GetRequiredService<HealthCheckService>();
        var first = await orderLib.Jobs.CreateAsync(new JobDefinition("first"));
        await orderLib.Runs.EnqueueAsync(first.Id);
        Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy), "one ready run is within the threshold");

        var second = await orderLib.Jobs.CreateAsync(new JobDefinition("second"));
        await orderLib.Runs.EnqueueAsync(second.Id);
        await services.GetRequiredService<OrderLibQueueMetrics>().RefreshAsync();
        var degraded = await health.CheckHealthAsync();
        Assert.That((degraded.Status, degraded.Entries["orderlib-backlog"].Status), Is.EqualTo((HealthStatus.Degraded, HealthStatus.Degraded)));
        Assert.That(degraded.Entries["orderlib-backlog"].Data["ready"], Is.EqualTo(2L));

        var heartbeats = services.GetRequiredService<OrderLibWorkerHeartbeats>();
        heartbeats.Beat("stuck-worker", TimeProvider.System.GetUtcNow().AddMinutes(-2));
        var live = await health.CheckHealthAsync(c => c.Tags.Contains("live"));
        Assert.That(live.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(live.Entries["orderlib-worker"].Description, Does.Contain("stuck-worker"));
        heartbeats.Beat("stuck-worker", TimeProvider.System.GetUtcNow());
        Assert.That((await health.CheckHealthAsync(c => c.Tags.Contains("live"))).Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public async Task The_queue_gauges_report_the_cached_depth_per_client_and_refresh_only_after_the_interval()
    {
        var client = $"gauges-{Guid.NewGuid():N}";
        await using var services = Services(o => o.UseInMemory().Configure(options => { options.DefaultClientId = client; options.QueueMetricsRefreshInterval = TimeSpan.FromHours(1); }), _ => { });
        var orderLib = services.GetRequiredService<IOrderLib>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await orderLib.Runs.EnqueueAsync((await orderLib.Jobs.CreateAsync(new JobDefinition(name))).Id);
        }

        using var capture = new TelemetryCapture();
        var gauges = services.GetRequiredService<OrderLibQueueMetrics>();
        capture.ObserveGauges(); // the first observation starts the one background read
        await WaitAsync(() => gauges.ReadAt > DateTimeOffset.MinValue);
        var readAt = gauges.ReadAt;
        capture.ObserveGauges();
        capture.ObserveGauges();

        var ours = capture.Measurements.Where(m => (string?)m.Tag(OrderLibTelemetry.Attributes.Client) == client).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ours.Where(m => m.Name == OrderLibTelemetry.Metrics.QueueReady).Select(m => m.Value), Has.Member(3.0));
            Assert.That(ours.Where(m => m.Name == OrderLibTelemetry.Metrics.QueueOldestReadyAge).Select(m => m.Unit), Is.All.EqualTo("s"));
            Assert.That(ours.Where(m => m.Name == OrderLibTelemetry.Metrics.QueueOldestReadyAge).Select(m => m.Value), Is.All.GreaterThanOrEqualTo(0));
            Assert.That(gauges.ReadAt, Is.EqualTo(readAt), "scrapes within the interval read the cache, not the store");
        }
    }

    private static Dictionary<string, HealthStatus> Statuses(HealthReport report) =>
        report.Entries.ToDictionary(e => e.Key, e => e.Value.Status);

    private static Dictionary<string, HealthStatus> AllHealthy(params string[] checks) =>
        checks.ToDictionary(check => check, _ => HealthStatus.Healthy);

    private static ServiceProvider Services(Action<OrderLibBuilder> orderLib, Action<HealthChecks.OrderLibHealthCheckOptions> health)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        orderLib(collection.AddOrderLib());
        collection.AddHealthChecks().AddOrderLibHealthChecks(health);
        return collection.BuildServiceProvider();
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(10);
        while (!condition())
        {
            Assert.That(TimeProvider.System.GetUtcNow(), Is.LessThan(deadline), "timed out");
            await Task.Delay(20);
        }
    }
}
