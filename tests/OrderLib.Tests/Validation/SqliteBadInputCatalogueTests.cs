using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Validation;

/// <summary>The bad-input catalogue on SQLite: one migrated database file for the fixture; each test runs as a fresh client.</summary>
[TestFixture]
public sealed class SqliteBadInputCatalogueTests : BadInputCatalogueTests
{
    private MigratedSqliteFile? _database;

    [OneTimeSetUp]
    public void CreateDatabase() => _database = new MigratedSqliteFile("bad-input");

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
