using Npgsql;
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

    /// <inheritdoc />
    protected override async Task StoreScheduleTextAsync(JobId jobId, string schedule)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE jobs SET schedule = @schedule WHERE id = @id;", connection);
        command.Parameters.AddWithValue("schedule", schedule);
        command.Parameters.AddWithValue("id", jobId.Value);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }

    /// <inheritdoc />
    protected override async Task<string?> StoredInputAsync(RunId runId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT input FROM job_runs WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", runId.Value);
        return await command.ExecuteScalarAsync() as string;
    }
}
