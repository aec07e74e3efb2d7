using Microsoft.Data.Sqlite;
using Npgsql;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Import;

/// <summary>Where a test's Python Order-lib database lives.</summary>
public enum SourceKind
{
    /// <summary>A SQLite file of its own.</summary>
    Sqlite,

    /// <summary>A schema of its own in a PostgreSQL database (the URL's <c>options</c> set the search path).</summary>
    Postgres,
}

/// <summary>
/// A Python Order-lib database built with plain SQL (no Python): <see cref="CreateDocumentedShapeAsync"/> and
/// <see cref="CreateLaterShapeAsync"/> create the tables as Order-lib's migrations did; <see cref="Url"/> is its DATABASE_URL.
/// </summary>
internal sealed class OrderLibSourceDatabase : IAsyncDisposable
{
    private readonly SourceKind _kind;
    private readonly string? _directory;
    private readonly string _connectionString;

    private OrderLibSourceDatabase(SourceKind kind, string url, string connectionString, string? directory)
    {
        _kind = kind;
        Url = url;
        _connectionString = connectionString;
        _directory = directory;
    }

    /// <summary>The source's DATABASE_URL.</summary>
    public string Url { get; }

    /// <summary>A fresh, empty SQLite file.</summary>
    public static OrderLibSourceDatabase Sqlite()
    {
        var directory = Path.Combine(Path.GetTempPath(), "orderlib-import-source-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "orderlib_python.db");
        return new OrderLibSourceDatabase(SourceKind.Sqlite, "sqlite:///" + path, new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString(), directory);
    }

    /// <summary>A fresh, empty schema in the PostgreSQL database <paramref name="databaseConnectionString"/>.</summary>
    public static async Task<OrderLibSourceDatabase> PostgresAsync(string databaseConnectionString)
    {
        var schema = "src_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(databaseConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema};", connection);
            await command.ExecuteNonQueryAsync();
        }

        var b = new NpgsqlConnectionStringBuilder(databaseConnectionString);
        var user = b.Username is { Length: > 0 } u ? Uri.EscapeDataString(u) + (b.Password is { } p ? ":" + Uri.EscapeDataString(p) : "") + "@" : "";
        var url = $"postgresql://{user}{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database!)}?options={Uri.EscapeDataString("-c search_path=" + schema)}";
        var connectionString = new NpgsqlConnectionStringBuilder(databaseConnectionString) { SearchPath = schema, Pooling = false }.ConnectionString;
        return new OrderLibSourceDatabase(SourceKind.Postgres, url, connectionString, null);
    }

    /// <summary>Runs <paramref name="sql"/> (several statements) on the source.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using System.Data.Common.DbConnection connection = _kind == SourceKind.Sqlite
            ? new SqliteConnection(_connectionString)
            : new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The shape the Python library documented: integer ids, <c>jobs(id, name, description)</c>,
    /// <c>job_dependencies(id, job_id, depends_on_id)</c>, <c>job_runs(id, job_id, status, started_at, finished_at)</c>;
    /// with a cycle (a, b), a dependency on itself, a duplicate, dangling ids, an invalid name, unknown and active statuses
    /// and missing times.
    /// </summary>
    public Task CreateDocumentedShapeAsync() => ExecuteAsync("""
        CREATE TABLE jobs (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, description TEXT);
        CREATE TABLE job_dependencies (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, depends_on_id INTEGER NOT NULL);
        CREATE TABLE job_runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, status VARCHAR(20), started_at TIMESTAMP, finished_at TIMESTAMP);
        INSERT INTO jobs (id, name, description) VALUES
            (1, 'extract', 'Pull data'), (2, 'transform', NULL), (3, 'load', NULL), (4, 'a', NULL), (5, 'b', NULL), (6, '   ', NULL);
        INSERT INTO job_dependencies (id, job_id, depends_on_id) VALUES
            (1, 2, 1), (2, 3, 2), (3, 4, 5), (4, 5, 4), (5, 3, 99), (6, 3, 3), (7, 2, 1), (8, 6, 1);
        INSERT INTO job_runs (id, job_id, status, started_at, finished_at) VALUES
            (1, 1, 'COMPLETED', '2024-01-01 10:00:00', '2024-01-01 10:05:00'),
            (2, 1, 'SUCCESS', '2024-01-02 10:00:00.250000', NULL),
            (3, 2, 'FAILED', '2024-01-02 11:00:00', '2024-01-02 11:01:00'),
            (4, 2, 'COMPLETED', '2024-01-01 09:00:00', '2024-01-01 09:01:00'),
            (5, 3, 'RUNNING', '2024-01-02 12:00:00', NULL),
            (6, 3, 'exploded', '2024-01-02 12:30:00', '2024-01-02 12:31:00'),
            (7, 4, 'PENDING', NULL, NULL),
            (8, 99, 'COMPLETED', '2024-01-01 10:00:00', '2024-01-01 10:05:00'),
            (9, 6, 'COMPLETED', '2024-01-01 10:00:00', '2024-01-01 10:05:00'),
            (10, 5, 'completed', NULL, NULL);
        """);

    /// <summary>
    /// The later shape: UUID ids (36-character text; PostgreSQL's uuid type on PostgreSQL), <c>client_id</c>, <c>schedule</c>,
    /// <c>status</c>, <c>retries</c>, <c>priority</c> (default 5), <c>created_at</c>, <c>updated_at</c>; two clients named
    /// <paramref name="acme"/> and <paramref name="globex"/> and one job without a client.
    /// </summary>
    public Task CreateLaterShapeAsync(string acme, string globex)
    {
        var id = _kind == SourceKind.Sqlite ? "VARCHAR(36)" : "UUID";
        return ExecuteAsync($"""
            CREATE TABLE jobs (
                id {id} PRIMARY KEY, client_id VARCHAR(100), name VARCHAR(255) NOT NULL, description TEXT, schedule VARCHAR(100),
                status VARCHAR(20) DEFAULT 'PENDING', retries INTEGER DEFAULT 0, priority INTEGER DEFAULT 5,
                created_at TIMESTAMP, updated_at TIMESTAMP);
            CREATE TABLE job_dependencies (id {id} PRIMARY KEY, job_id {id} NOT NULL, depends_on_id {id} NOT NULL);
            CREATE TABLE job_runs (id {id} PRIMARY KEY, job_id {id} NOT NULL, status VARCHAR(20), started_at TIMESTAMP, finished_at TIMESTAMP);
            INSERT INTO jobs (id, client_id, name, description, schedule, status, retries, priority, created_at, updated_at) VALUES
                ('00000000-0000-0000-0000-000000000001', '{acme}', 'ingest', 'Ingest feeds', '0 3 * * *', 'FAILED', 2, 9, '2024-03-01 08:00:00', '2024-03-02 08:00:00'),
                ('00000000-0000-0000-0000-000000000002', '{acme}', 'report', NULL, 'every banana', 'COMPLETED', 0, 5, '2024-03-01 08:00:00', NULL),
                ('00000000-0000-0000-0000-000000000003', '{acme}', 'publish', NULL, 'every 15m', 'PENDING', NULL, NULL, NULL, NULL),
                ('00000000-0000-0000-0000-000000000004', '{globex}', 'ingest', NULL, NULL, 'COMPLETED', 5, 1, '2024-03-05 08:00:00', '2024-03-05 08:00:00');
            INSERT INTO jobs (id, client_id, name, retries, created_at) VALUES
                ('00000000-0000-0000-0000-000000000005', NULL, 'orphan', 1, '2024-03-06 08:00:00');
            INSERT INTO job_dependencies (id, job_id, depends_on_id) VALUES
                ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001'),
                ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000002'),
                ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000001'),
                ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000003');
            INSERT INTO job_runs (id, job_id, status, started_at, finished_at) VALUES
                ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'COMPLETED', '2024-03-01 03:00:00', '2024-03-01 03:10:00'),
                ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-000000000001', 'FAILED', '2024-03-02 03:00:00', '2024-03-02 03:05:00'),
                ('00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-000000000004', 'SUCCESS', '2024-03-05 09:00:00', '2024-03-05 09:30:00'),
                ('00000000-0000-0000-0000-0000000000a4', '00000000-0000-0000-0000-000000000002', 'RETRYING', '2024-03-02 04:00:00', NULL),
                ('00000000-0000-0000-0000-0000000000a5', '00000000-0000-0000-0000-000000000005', 'PENDING', NULL, NULL);
            """);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        else
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString) { SearchPath = null }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {new NpgsqlConnectionStringBuilder(_connectionString).SearchPath} CASCADE;", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>A PostgreSQL database for a fixture's sources, created on first use.</summary>
    internal sealed class PostgresHost
    {
        private string? _connectionString;

        public async Task<string> ConnectionStringAsync() => _connectionString ??= await PostgresServer.CreateDatabaseAsync();

        public async Task DropAsync()
        {
            if (_connectionString is not null)
            {
                await PostgresServer.DropDatabaseAsync(_connectionString);
                _connectionString = null;
            }
        }
    }
}
