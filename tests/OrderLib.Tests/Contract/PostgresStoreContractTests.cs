using NUnit.Framework;
using OrderLib.Adapters.Postgres;
using OrderLib.Migrations;

namespace OrderLib.Tests.Contract;

/// <summary>
/// The contract suite against PostgreSQL: one fresh, migrated database for the fixture; each test is isolated by
/// its own client id (see <see cref="StoreContractTests.Client"/>).
/// </summary>
[TestFixture]
public sealed class PostgresStoreContractTests : StoreContractTests
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
    protected override Task<StoreSet> CreateStoreAsync() =>
        Task.FromResult(StoreOf(new PostgresOrderLibStore(_connectionString ?? throw new InvalidOperationException("No database."))));
}
