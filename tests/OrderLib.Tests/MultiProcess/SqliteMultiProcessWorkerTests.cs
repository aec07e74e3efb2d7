using OrderLib.Adapters.Sqlite;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Tests.MultiProcess;

/// <summary>The multi-process test against one SQLite file shared by every worker process.</summary>
[TestFixture]
public sealed class SqliteMultiProcessWorkerTests : MultiProcessWorkerTests
{
    private string? _directory;

    protected override string ProviderName => "Sqlite";

    // A claim reads the clock and then waits for SQLite's single write lock; the transactions it waits behind during the
    // pipeline are short (claims, completions, heartbeats, rescues).
    protected override TimeSpan ClockReadTolerance => TimeSpan.FromMilliseconds(250);

    protected override int CreationParallelism => 1;

    protected override Task<string> CreateDatabaseAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-multiprocess-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        return Task.FromResult(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "orderlib.db"), DefaultTimeout = 60 }.ToString());
    }

    protected override Task DropDatabaseAsync(string connectionString)
    {
        SqliteConnection.ClearAllPools();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        _directory = null;
        return Task.CompletedTask;
    }

    protected override void UseStore(OrderLibBuilder builder, string connectionString) => builder.UseSqlite(connectionString);

    protected override IOrderLibMigrator CreateMigrator(string connectionString) => SqliteOrderLibMigrations.Create(connectionString);

    protected override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);
}
