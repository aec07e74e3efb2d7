using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OrderLib.Tests.Tenancy;

/// <summary>The tenant isolation matrix on PostgreSQL: one migrated database for the fixture; each test runs as two fresh clients.</summary>
[TestFixture]
public sealed class PostgresTenantIsolationTests : TenantIsolationTests
{
    private readonly MigratedPostgresDatabase _database = new();

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) =>
        builder.UsePostgres(_database.ConnectionString);
}
