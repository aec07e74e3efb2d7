using Npgsql;

namespace OrderLib.Tests.Cli;

/// <summary>The tool against the test suite's PostgreSQL server, connected with <c>--provider postgres --connection</c> and OrderLib in a schema of its own.</summary>
[TestFixture]
public sealed class PostgresCliTests : CliTests
{
    private const string Schema = "cli_app";
    private readonly List<string> _databases = [];

    protected override string[] Connection => Options(_databases[0]);

    public override async Task CreateDatabasesAsync() => _databases.Add(await PostgresServer.CreateDatabaseAsync());

    public override async Task DropDatabasesAsync()
    {
        foreach (var database in _databases)
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    protected override async Task<string[]> CreateEmptyDatabaseAsync()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        _databases.Add(database);
        return Options(database);
    }

    protected override async Task ExecuteByHandAsync(string[] connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection[3]);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task<IReadOnlyList<string>> TablesAsync(string[] connection) =>
        await DbQuery.ListAsync(
            new NpgsqlConnection(connection[3]),
            $"SELECT table_name::text FROM information_schema.tables WHERE table_schema = '{Schema}' ORDER BY table_name",
            r => r.GetString(0));

    private static string[] Options(string database) => ["--provider", "postgres", "--connection", database, "--schema", Schema];
}
