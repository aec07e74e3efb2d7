using OrderLib.Adapters.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Migrations;

namespace OrderLib.Tests.Validation;

/// <summary>The bad-input catalogue on SQLite: one migrated database file for the fixture; each test runs as a fresh client.</summary>
[TestFixture]
public sealed class SqliteBadInputCatalogueTests : BadInputCatalogueTests
{
    private string? _directory;
    private string? _connectionString;

    [OneTimeSetUp]
    public void CreateDatabase()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-bad-input-" + Guid.NewGuid().ToString("N"));
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
