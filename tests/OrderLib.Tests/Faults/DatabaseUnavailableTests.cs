using Microsoft.Data.Sqlite;
using Npgsql;
using OrderLib.Adapters.Postgres;
using OrderLib.Adapters.Sqlite;
using OrderLib.TestSupport;

namespace OrderLib.Tests.Faults;

/// <summary>
/// A database that cannot be reached or cannot serve surfaces from every store call as
/// <see cref="OrderLibDatabaseUnavailableException"/> wrapping the driver's error, never as the raw driver exception.
/// </summary>
[TestFixture]
[Category("Faults")]
public sealed class PostgresUnavailableTests
{
    private static readonly ClientId Client = new("unavailable");

    private ThrowawayPostgresCluster? _cluster;

    [OneTimeSetUp]
    public void StartCluster() => _cluster = OwnPostgresCluster.Start("pgdown", ["fsync=off", "max_connections=50"]);

    [OneTimeTearDown]
    public void StopCluster() => _cluster?.Dispose();

    [Test]
    public async Task Every_call_of_a_store_pointed_at_a_port_where_nothing_listens_throws_OrderLibDatabaseUnavailableException()
    {
        var nowhere = new NpgsqlConnectionStringBuilder(_cluster!.AdminConnectionString) { Host = "127.0.0.1", Port = FreePort(), Timeout = 2 }.ConnectionString;
        await using var store = new PostgresOrderLibStore(nowhere);

        var errors = await EveryStoreCall.AssertEveryCallThrowsAsync<OrderLibDatabaseUnavailableException>(store);

        Assert.That(errors, Has.All.Matches<OrderLibDatabaseUnavailableException>(e => e.InnerException is NpgsqlException && e.Provider == "Postgres"));
    }

    [Test]
    public async Task A_server_stopped_mid_use_gives_OrderLibDatabaseUnavailableException_and_the_store_works_again_after_it_restarts()
    {
        var cluster = _cluster!;
        const string schema = "orderlib_down";
        PostgresOrderLibMigrations.Create(cluster.AdminConnectionString, schema).MigrateUp();
        await using var store = new PostgresOrderLibStore(new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString) { Timeout = 2 }.ConnectionString, schema);
        var job = await store.CreateJobAsync(Client, new JobDefinition("before"), DateTimeOffset.UnixEpoch, default);

        cluster.StopImmediate();
        try
        {
            var read = Assert.ThrowsAsync<OrderLibDatabaseUnavailableException>(() => store.GetJobAsync(Client, job.Id, default));
            var write = Assert.ThrowsAsync<OrderLibDatabaseUnavailableException>(() => store.CreateJobAsync(Client, new JobDefinition("during"), DateTimeOffset.UnixEpoch, default));
            Assert.That(new Exception?[] { read?.InnerException, write?.InnerException }, Has.All.InstanceOf<NpgsqlException>());
        }
        finally
        {
            cluster.StartAgain();
        }

        // Connections the pool still holds from before the stop are found broken on use: that too is "unavailable", and
        // the next call gets a fresh one.
        var after = await WhileUnavailableAsync(() => store.CreateJobAsync(Client, new JobDefinition("after"), DateTimeOffset.UnixEpoch, default));
        var jobs = await WhileUnavailableAsync(() => store.ListJobsAsync(Client, null, 10, default));
        Assert.That(jobs.Select(j => j.Name), Is.EqualTo(new[] { "before", "after" }), $"nothing was written while the server was down (job {after.Id} after it)");
    }

    private static async Task<T> WhileUnavailableAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (OrderLibDatabaseUnavailableException) when (attempt < 5)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>The SQLite cases of <see cref="PostgresUnavailableTests"/>: a file that cannot be opened, and one whose write lock another process holds past the busy timeout.</summary>
[TestFixture]
[Category("Faults")]
public sealed class SqliteUnavailableTests
{
    private static readonly ClientId Client = new("unavailable");

    [Test]
    public async Task Every_call_of_a_store_whose_file_cannot_be_opened_throws_OrderLibDatabaseUnavailableException()
    {
        var path = Path.Combine(Path.GetTempPath(), "orderlib-missing-" + Guid.NewGuid().ToString("N"), "orderlib.db");
        var store = new SqliteOrderLibStore($"Data Source={path}");

        var errors = await EveryStoreCall.AssertEveryCallThrowsAsync<OrderLibDatabaseUnavailableException>(store);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Has.All.Matches<OrderLibDatabaseUnavailableException>(e => e.InnerException is SqliteException { SqliteErrorCode: 14 } && e.Provider == "Sqlite"), "SQLITE_CANTOPEN inside");
            Assert.That(File.Exists(path), Is.False);
        }
    }

    [Test]
    public async Task A_write_while_another_process_holds_the_write_lock_past_the_busy_timeout_throws_OrderLibDatabaseUnavailableException()
    {
        using var file = new MigratedSqliteFile("locked");
        var store = new SqliteOrderLibStore(new SqliteConnectionStringBuilder(file.ConnectionString) { DefaultTimeout = 1 }.ToString());
        var job = await store.CreateJobAsync(Client, new JobDefinition("before"), DateTimeOffset.UnixEpoch, default);

        await using (var holder = await SqliteWriteLockHolder.AcquireAsync(new SqliteConnectionStringBuilder(file.ConnectionString).DataSource))
        {
            var write = Assert.ThrowsAsync<OrderLibDatabaseUnavailableException>(() => store.CreateJobAsync(Client, new JobDefinition("during"), DateTimeOffset.UnixEpoch, default), holder.Description);
            var enqueue = Assert.ThrowsAsync<OrderLibDatabaseUnavailableException>(() => store.EnqueueRunAsync(Client, job.Id, null, null, DateTimeOffset.UnixEpoch, default), holder.Description);
            Assert.That(
                new[] { write?.InnerException, enqueue?.InnerException },
                Has.All.Matches<Exception?>(e => e is SqliteException { SqliteErrorCode: 5 or 6 }),
                "SQLITE_BUSY (or LOCKED) inside");
            await holder.ReleaseAsync();
        }

        await store.CreateJobAsync(Client, new JobDefinition("after"), DateTimeOffset.UnixEpoch, default);
        Assert.That((await store.ListJobsAsync(Client, null, 10, default)).Select(j => j.Name), Is.EqualTo(new[] { "before", "after" }));
    }
}
