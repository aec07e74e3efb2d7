using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Migrations;

namespace OrderLib.Tests.Tenancy;

/// <summary>The tenant isolation matrix on PostgreSQL: one migrated database for the fixture; each test runs as two fresh clients.</summary>
[TestFixture]
public sealed class PostgresTenantIsolationTests : TenantIsolationTests
{
    private string? _connectionString;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _connectionString = await PostgresServer.CreateDatabaseAsync();
        OrderLibMigrations.ForPostgres(_connectionString, "public").MigrateUp();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        if (_connectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_connectionString);
            _connectionString = null;
        }
    }

    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) =>
        builder.UsePostgres(_connectionString ?? throw new InvalidOperationException("No database."));
}
