using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OrderLib.Tests.Validation;

/// <summary>The bad-input catalogue on PostgreSQL: one migrated database for the fixture; each test runs as a fresh client.</summary>
[TestFixture]
public sealed class PostgresBadInputCatalogueTests : BadInputCatalogueTests
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
