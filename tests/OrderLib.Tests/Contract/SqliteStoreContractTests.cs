using Microsoft.Data.Sqlite;
using NUnit.Framework;
using OrderLib.Adapters.Sqlite;
using OrderLib.Migrations;

namespace OrderLib.Tests.Contract;

/// <summary>The contract suite against SQLite: a fresh, migrated database file per test.</summary>
[TestFixture]
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private string? _directory;

    /// <inheritdoc />
    protected override Task<StoreSet> CreateStoreAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-contract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "orderlib.db") }.ToString();
        SqliteOrderLibMigrations.Create(connectionString).MigrateUp();
        return Task.FromResult(StoreOf(new SqliteOrderLibStore(connectionString)));
    }

    /// <inheritdoc />
    protected override async Task DisposeStoreAsync(StoreSet stores)
    {
        await base.DisposeStoreAsync(stores);
        SqliteConnection.ClearAllPools();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        _directory = null;
    }
}
