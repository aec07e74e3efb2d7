using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Tenancy;

/// <summary>The tenant isolation matrix on SQLite: one migrated database file for the fixture; each test runs as two fresh clients.</summary>
[TestFixture]
public sealed class SqliteTenantIsolationTests : TenantIsolationTests
{
    private MigratedSqliteFile? _database;

    [OneTimeSetUp]
    public void CreateDatabase() => _database = new MigratedSqliteFile("tenancy");

    [OneTimeTearDown]
    public void DeleteDatabase()
    {
        _database?.Dispose();
        _database = null;
    }

    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) =>
        builder.UseSqlite(_database?.ConnectionString ?? throw new InvalidOperationException("No database."));
}
