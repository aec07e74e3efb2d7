using Microsoft.Data.Sqlite;

namespace OrderLib.Tests.Cli;

/// <summary>The tool against SQLite files, connected with a <c>sqlite:////absolute/path</c> URL.</summary>
[TestFixture]
public sealed class SqliteCliTests : CliTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"orderlib-cli-{Guid.NewGuid():N}");

    protected override string[] Connection => ["--database-url", "sqlite:///" + Path.Combine(_directory, "main.db")];

    public override Task CreateDatabasesAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public override Task DropDatabasesAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    protected override Task<string[]> CreateEmptyDatabaseAsync() =>
        Task.FromResult<string[]>(["--provider", "sqlite", "--connection", $"Data Source={Path.Combine(_directory, $"other-{Guid.NewGuid():N}.db")}"]);

    protected override async Task ExecuteByHandAsync(string[] connection, string sql)
    {
        await using var db = new SqliteConnection(ConnectionString(connection));
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task<IReadOnlyList<string>> TablesAsync(string[] connection) =>
        await DbQuery.ListAsync(
            new SqliteConnection(ConnectionString(connection)),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            r => r.GetString(0));

    private static string ConnectionString(string[] connection) => connection[0] == "--database-url"
        ? $"Data Source={connection[1]["sqlite:///".Length..]};Pooling=false"
        : connection[3] + ";Pooling=false";
}
