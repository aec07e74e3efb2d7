using OrderLib.Adapters.Postgres;
using OrderLib.Migrations;

namespace OrderLib.Tests.Infrastructure;

/// <summary>
/// A test fixture's own PostgreSQL database, migrated to the latest version (schema <c>public</c>): created by
/// <see cref="CreateAsync"/> in the fixture's <c>[OneTimeSetUp]</c> and dropped by <see cref="DropAsync"/> in its
/// <c>[OneTimeTearDown]</c>.
/// </summary>
internal sealed class MigratedPostgresDatabase
{
    private string? _connectionString;

    /// <summary>The connection string to the database; throws when it has not been created (or was dropped).</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("No database.");

    /// <summary>Creates the database with <see cref="PostgresServer.CreateDatabaseAsync"/> and migrates it up.</summary>
    public async Task CreateAsync()
    {
        _connectionString = await PostgresServer.CreateDatabaseAsync();
        PostgresOrderLibMigrations.Create(_connectionString, "public").MigrateUp();
    }

    /// <summary>Drops the database, if it was created. Idempotent.</summary>
    public async Task DropAsync()
    {
        if (_connectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_connectionString);
            _connectionString = null;
        }
    }
}
