using System.Data.Common;
using Microsoft.Data.Sqlite;
using NUnit.Framework;
using OrderLib.Adapters.Sqlite;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>The migration tests against a SQLite file in a temporary directory, fresh for every test.</summary>
[TestFixture]
public sealed class SqliteMigrationTests : MigrationTests
{
    private string? _file;

    private string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = _file ?? throw new InvalidOperationException("No database yet."),
        ForeignKeys = true,
        Pooling = false, // every check sees the file as a new connection would (an idle pooled one caches the journal mode)
    }.ConnectionString;

    protected override Task<IOrderLibMigrator> CreateDatabaseAsync()
    {
        _file = Path.Combine(Path.GetTempPath(), $"orderlib-migrations-{Guid.NewGuid():N}.db");
        return Task.FromResult(CreateMigratorForSameDatabase());
    }

    protected override IOrderLibMigrator CreateMigratorForSameDatabase() =>
        SqliteOrderLibMigrations.Create($"Data Source={_file ?? throw new InvalidOperationException("No database yet.")}");

    protected override Task DropDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_file is not null)
        {
            foreach (var path in new[] { _file, _file + "-wal", _file + "-shm" })
            {
                File.Delete(path);
            }
        }

        _file = null;
        return Task.CompletedTask;
    }

    protected override async Task<IReadOnlyList<string>> SchemaSignatureAsync()
    {
        return await DbQuery.ListAsync(
            new SqliteConnection(ConnectionString), // DbQuery opens and disposes it
            "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            r => $"{r.GetString(0)} {r.GetString(1)} on {r.GetString(2)}: {r.GetString(3)}");
    }

    protected override async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<string> QueryPlanAsync(string query)
    {
        await using var connection = await OpenConnectionAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + query;
        var plan = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join("\n", plan);
    }

    protected override IJobStore CreateStore() => new SqliteOrderLibStore(ConnectionString);

    protected override async Task<bool> TableExistsAsync(string table) =>
        await ScalarAsync<long>($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'") == 1;

    protected override async Task<string?> IndexDefinitionAsync(string index) =>
        await ScalarAsync<object>($"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{index}'") as string;

    [Test]
    public async Task MigrateUp_switches_the_database_file_to_write_ahead_logging()
    {
        Assert.That(await ScalarAsync<string>("PRAGMA journal_mode"), Is.EqualTo("delete"), "a new SQLite file starts in rollback-journal mode");

        Migrator.MigrateUp();

        Assert.That(await ScalarAsync<string>("PRAGMA journal_mode"), Is.EqualTo("wal"), "WAL persists in the file, so a new connection sees it");
    }

    [Test]
    public async Task The_scheduler_queries_read_an_index()
    {
        Migrator.MigrateUp();

        // The due jobs and the earliest due time read ix_jobs_next_due in its order (no sort). With a client filter SQLite,
        // which has no statistics, prefers the equality on ux_jobs_client_name: the clients' jobs, then a small sort.
        const string due = "j.next_due_at <= " + T;
        const string scheduled = "j.next_due_at IS NOT NULL";
        const string filter = " AND j.client_id IN ('c1')";
        string LockDue(string where) => $"SELECT j.id FROM jobs j WHERE {where} ORDER BY j.next_due_at, j.id LIMIT 10";
        string Earliest(string where) => $"SELECT j.next_due_at FROM jobs j WHERE {where} ORDER BY j.next_due_at, j.id LIMIT 1";

        foreach (var query in new[] { LockDue(due), Earliest(scheduled) })
        {
            Assert.That(await QueryPlanAsync(query), Does.Contain("INDEX ix_jobs_next_due").And.Not.Contains("TEMP B-TREE"), query);
        }

        foreach (var query in new[] { LockDue(due + filter), Earliest(scheduled + filter) })
        {
            Assert.That(await QueryPlanAsync(query), Does.Contain("INDEX ix_jobs_next_due").Or.Contains("INDEX ux_jobs_client_name"), query);
        }
    }

    [Test]
    public void ForSqlite_refuses_an_empty_or_malformed_connection_string()
    {
        Assert.That(() => SqliteOrderLibMigrations.Create(""), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => SqliteOrderLibMigrations.Create("Data Source=x.db;Bogus Keyword=1"), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void A_database_that_cannot_be_opened_gives_OrderLibDatabaseUnavailableException()
    {
        var migrator = SqliteOrderLibMigrations.Create($"Data Source={Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "missing-dir", "x.db")}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => migrator.MigrateUp(), Throws.InstanceOf<OrderLib.OrderLibDatabaseUnavailableException>().With.InnerException.InstanceOf<Microsoft.Data.Sqlite.SqliteException>());
            Assert.That(() => migrator.CheckSchema(), Throws.InstanceOf<OrderLib.OrderLibDatabaseUnavailableException>());
        }
    }
}
