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
    private string? _connectionString;

    /// <inheritdoc />
    protected override Task<StoreSet> CreateStoreAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-contract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "orderlib.db") }.ToString();
        SqliteOrderLibMigrations.Create(_connectionString).MigrateUp();
        return Task.FromResult(StoreOf(new SqliteOrderLibStore(_connectionString)));
    }

    /// <inheritdoc />
    protected override async Task StoreScheduleTextAsync(JobId jobId, string schedule)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET schedule = $schedule WHERE id = $id;";
        command.Parameters.AddWithValue("$schedule", schedule);
        command.Parameters.AddWithValue("$id", jobId.Value);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }

    /// <inheritdoc />
    protected override async Task<string?> StoredInputAsync(RunId runId)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT input FROM job_runs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", runId.Value);
        return await command.ExecuteScalarAsync() as string;
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
