using NUnit.Framework;
using OrderLib.Adapters.Postgres;

namespace OrderLib.Tests.Contract;

/// <summary>
/// The contract suite against PostgreSQL: one fresh, migrated database for the fixture; each test is isolated by
/// its own client id (see <see cref="StoreContractTests.Client"/>).
/// </summary>
[TestFixture]
public sealed class PostgresStoreContractTests : StoreContractTests
{
    private readonly MigratedPostgresDatabase _database = new();

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    /// <inheritdoc />
    protected override Task<StoreSet> CreateStoreAsync() =>
        Task.FromResult(StoreOf(new PostgresOrderLibStore(_database.ConnectionString)));
}
