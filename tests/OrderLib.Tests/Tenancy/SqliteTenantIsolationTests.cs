using OrderLib.Adapters.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Migrations;

namespace OrderLib.Tests.Tenancy;

/// <summary>The tenant isolation matrix on SQLite: one migrated database file for the fixture; each test runs as two fresh clients.</summary>
[TestFixture]
public sealed class SqliteTenantIsolationTests : TenantIsolationTests
{
    private string? _directory;
    private string? _connectionString;

    [OneTimeSetUp]
    public void CreateDatabase()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-tenancy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "orderlib.db") }.ToString();
        SqliteOrderLibMigrations.Create(_connectionString).MigrateUp();
    }

    [OneTimeTearDown]
    public void DeleteDatabase()
    {
        SqliteConnection.ClearAllPools();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        _directory = null;
    }

    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) =>
        builder.UseSqlite(_connectionString ?? throw new InvalidOperationException("No database."));
}
