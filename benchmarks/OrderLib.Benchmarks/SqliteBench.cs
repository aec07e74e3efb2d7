using OrderLib.Adapters.Sqlite;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Migrations;
using OrderLib.Ports;
using OrderLib.TestSupport;

namespace OrderLib.Benchmarks;

/// <summary>
/// SQLite: one database file per database name under the work directory, in WAL mode (set by the migrations). Templates are
/// checkpointed and copied as files; history is loaded with one recursive-CTE <c>INSERT</c> in one transaction.
/// </summary>
internal sealed class SqliteBench : BenchDatabase
{
    private readonly string _directory;

    public SqliteBench(string workDirectory)
    {
        _directory = Path.Combine(workDirectory, "sqlite");
        Directory.CreateDirectory(_directory);
    }

    public override string Name => "SQLite";

    public override async Task<IReadOnlyList<string>> DescribeAsync(CancellationToken cancellationToken)
    {
        const string probe = "describe";
        await CreateMigratedAsync(probe, cancellationToken);
        var lines = new List<string> { $"database files in {_directory} (a regular file system, not tmpfs: {FileSystemOf(_directory)})" };
        await using (var connection = await OpenAsync(probe, cancellationToken))
        {
            lines.Add("SQLite " + await Sql.ScalarAsync<string>(connection, null, "SELECT sqlite_version()", cancellationToken) +
                      ", Microsoft.Data.Sqlite " + typeof(SqliteConnection).Assembly.GetName().Version);
            lines.Add("journal_mode = " + await Sql.ScalarAsync<string>(connection, null, "PRAGMA journal_mode", cancellationToken) + " (set by MigrateUp)");
            var synchronous = await Sql.ScalarAsync<long>(connection, null, "PRAGMA synchronous", cancellationToken);
            lines.Add($"synchronous = {synchronous} ({synchronous switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", _ => "?" }} on a plain connection; the store sets FULL on its connections unless Synchronous = Normal, which only the sync scenario uses)");
            lines.Add("page_size = " + await Sql.ScalarAsync<long>(connection, null, "PRAGMA page_size", cancellationToken) +
                      ", cache_size = " + await Sql.ScalarAsync<long>(connection, null, "PRAGMA cache_size", cancellationToken) + " (defaults)");
        }

        await DropAsync(probe, cancellationToken);
        lines.Add("no ANALYZE is run on the SQLite files (the library does not run it either)");
        return lines;
    }

    public override Task CreateMigratedAsync(string database, CancellationToken cancellationToken)
    {
        DeleteFiles(database);
        Migrator(database).MigrateUp();
        return Task.CompletedTask;
    }

    public override async Task<string> ExplainAsync(DbConnection connection, string sql, IEnumerable<(string Name, object? Value)> parameters, CancellationToken cancellationToken)
    {
        var nodes = new List<(long Id, long Parent, string Detail)>();
        await using (var command = Sql.Create(connection, null, "EXPLAIN QUERY PLAN " + sql, parameters))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                nodes.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(3)));
            }
        }

        var depth = new Dictionary<long, int> { [0] = 0 };
        var text = new System.Text.StringBuilder("Query Text: ").AppendLine(sql).AppendLine("QUERY PLAN");
        foreach (var (id, parent, detail) in nodes)
        {
            depth[id] = depth.GetValueOrDefault(parent) + 1;
            text.Append(' ', 2 * depth[id]).Append("|--").AppendLine(detail);
        }

        return text.ToString().TrimEnd();
    }

    public override string JobRunIndexesSql => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job_runs' ORDER BY name";

    public override IOrderLibMigrator Migrator(string database) => SqliteOrderLibMigrations.Create(ConnectionString(database, pooled: false));

    public override Task CopyAsync(string source, string target, CancellationToken cancellationToken)
    {
        DeleteFiles(target);
        File.Copy(PathOf(source), PathOf(target));
        return Task.CompletedTask;
    }

    public override Task DropAsync(string database, CancellationToken cancellationToken)
    {
        SqliteConnection.ClearAllPools();
        DeleteFiles(database);
        return Task.CompletedTask;
    }

    public override async Task SealAsync(string database, CancellationToken cancellationToken)
    {
        SqliteConnection.ClearAllPools();
        await using (var connection = await OpenAsync(database, cancellationToken))
        {
            await Sql.ExecuteAsync(connection, null, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken);
        }

        SqliteConnection.ClearAllPools();
        foreach (var suffix in (string[])["-wal", "-shm"])
        {
            var file = PathOf(database) + suffix;
            if (File.Exists(file) && new FileInfo(file).Length > 0 && suffix == "-wal")
            {
                throw new InvalidOperationException($"{file} still holds WAL frames after a checkpoint; the template would be copied incompletely.");
            }
        }
    }

    /// <summary>The synchronous level of the stores this engine registers (the sync scenario measures both).</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    public override void UseStore(OrderLibBuilder builder, string database) =>
        builder.UseSqlite(ConnectionString(database, pooled: true), Synchronous);

    public override async Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString(database, pooled: false));
        await connection.OpenAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, null, "PRAGMA busy_timeout = 60000", cancellationToken);
        return connection;
    }

    public override async Task LoadHistoryAsync(string database, int runs, int jobs, CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenAsync(database, cancellationToken);
        await Sql.ExecuteAsync(connection, null, "PRAGMA cache_size = -262144", cancellationToken); // 256 MB for the load only
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var now = TimeProvider.System.GetUtcNow();
        var created = Text(now.AddDays(-400));
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @jobs)
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'history-' || substr('00000' || g, -5), 'history job ' || g, g % 5, 3,
                   NULL, @created, @created
            FROM s ORDER BY g
            """,
            cancellationToken,
            ("client", Client),
            ("jobs", jobs),
            ("created", created));
        var firstJob = await Sql.ScalarAsync<long>(connection, transaction, "SELECT min(id) FROM jobs WHERE client_id = @client AND name LIKE 'history-%'", cancellationToken, ("client", Client));
        var lastJob = await Sql.ScalarAsync<long>(connection, transaction, "SELECT max(id) FROM jobs WHERE client_id = @client AND name LIKE 'history-%'", cancellationToken, ("client", Client));
        if (lastJob - firstJob + 1 != jobs)
        {
            throw new InvalidOperationException($"History jobs do not have consecutive ids ({firstJob}..{lastJob}).");
        }

        // The same rows as on PostgreSQL: spread over the last year, oldest first; about 1 in 97 failed and 1 in 389 was
        // cancelled, every job's latest run Succeeded. Timestamps in the store's format: ISO 8601 "O" of the UTC value.
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @runs),
            r AS (
                SELECT g,
                       CASE WHEN g > @runs - @jobs THEN 'Succeeded'
                            WHEN g % 97 = 0 THEN 'Failed'
                            WHEN g % 389 = 0 THEN 'Cancelled'
                            ELSE 'Succeeded' END AS status,
                       @base + g * (@span / @runs) AS at
                FROM s)
            INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at, started_at, finished_at,
                                  lease_expires_at, worker_id, error)
            SELECT @firstJob + (g - 1) % @jobs, @client, status, 1, ((g - 1) % @jobs + 1) % 5, 0,
                   strftime('%Y-%m-%dT%H:%M:%S', at, 'unixepoch') || '.0000000Z',
                   strftime('%Y-%m-%dT%H:%M:%S', at, 'unixepoch') || '.0000000Z',
                   CASE WHEN status = 'Cancelled' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', at + 1, 'unixepoch') || '.0000000Z' END,
                   strftime('%Y-%m-%dT%H:%M:%S', at + 1 + g % 120, 'unixepoch') || '.0000000Z',
                   NULL,
                   CASE WHEN status = 'Cancelled' THEN NULL ELSE 'worker-' || (g % 16) END,
                   CASE status WHEN 'Failed' THEN 'simulated failure: exit code 1' WHEN 'Cancelled' THEN 'cancelled by operator' END
            FROM r ORDER BY g
            """,
            cancellationToken,
            ("firstJob", firstJob),
            ("client", Client),
            ("jobs", jobs),
            ("runs", runs),
            ("base", now.AddDays(-366).ToUnixTimeSeconds()),
            ("span", 365.0 * 86400));
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            UPDATE jobs SET latest_run_id = (SELECT max(r.id) FROM job_runs r WHERE r.job_id = jobs.id), latest_status = 'Succeeded'
            WHERE client_id = @client AND name LIKE 'history-%' AND EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = jobs.id)
            """,
            cancellationToken,
            ("client", Client));
        await transaction.CommitAsync(cancellationToken);
    }

    public override async Task<IReadOnlyList<long>> CreateQueueJobsAsync(string database, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        var now = Text(TimeProvider.System.GetUtcNow());
        await Sql.ExecuteAsync(
            connection,
            null,
            """
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @count)
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'queue-' || substr('0000000' || g, -7), NULL, g % 3, 3, NULL, @now, @now
            FROM s ORDER BY g
            """,
            cancellationToken,
            ("client", Client),
            ("count", count),
            ("now", now));
        return await QueueJobIdsAsync(connection, cancellationToken);
    }

    public override async Task<(long RootId, long Edges)> CreateDagAsync(string database, int layers, int width, CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenAsync(database, cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var now = Text(TimeProvider.System.GetUtcNow());
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            VALUES (@client, 'dag-0-0', 'DAG root', 0, 3, NULL, @now, @now);
            WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < @layers * @width - 1)
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'dag-' || (1 + g / @width) || '-' || (g % @width), NULL, 0, 3, NULL, @now, @now
            FROM s ORDER BY g;
            """,
            cancellationToken,
            ("client", Client),
            ("layers", layers),
            ("width", width),
            ("now", now));
        var edges = await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            WITH RECURSIVE
            w(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM w WHERE i < @width - 1),
            s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < (@layers - 1) * @width - 1),
            e(child, parent) AS (
                SELECT 'dag-1-' || i, 'dag-0-0' FROM w
                UNION ALL
                SELECT 'dag-' || (2 + g / @width) || '-' || (g % @width), 'dag-' || (1 + g / @width) || '-' || (g % @width)
                FROM s
                UNION ALL
                SELECT 'dag-' || (2 + g / @width) || '-' || (g % @width), 'dag-' || (1 + g / @width) || '-' || ((g % @width * 7 + 3) % @width)
                FROM s
                WHERE (g % @width) % 2 = 1 AND (g % @width * 7 + 3) % @width <> g % @width)
            INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at)
            SELECT c.id, p.id, @now
            FROM e
            JOIN jobs c ON c.client_id = @client AND c.name = e.child
            JOIN jobs p ON p.client_id = @client AND p.name = e.parent
            WHERE @layers >= 1
            """,
            cancellationToken,
            ("client", Client),
            ("layers", layers),
            ("width", width),
            ("now", now));
        var root = await Sql.ScalarAsync<long>(
            connection,
            transaction,
            "SELECT id FROM jobs WHERE client_id = @client AND name = 'dag-0-0'",
            cancellationToken,
            ("client", Client));
        await transaction.CommitAsync(cancellationToken);
        return (root, edges);
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Deleting {_directory} failed: {ex.Message}");
        }

        return ValueTask.CompletedTask;
    }

    protected override void AfterServicesDisposed() => SqliteConnection.ClearAllPools();

    public override object DbTime(DateTimeOffset value) => Text(value);

    public override string ReferenceDefineDescription =>
        "one prepared INSERT per job (RETURNING id), one prepared INSERT per edge, reused; one immediate transaction";

    public override async Task<double> ReferenceDefineAsync(string database, GraphSpec spec, CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenAsync(database, cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var transaction = connection.BeginTransaction(deferred: false);
        var now = Text(TimeProvider.System.GetUtcNow());
        var ids = new long[spec.Names.Count];
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO jobs (client_id, name, priority, max_attempts, created_at, updated_at) VALUES (@client, @name, 0, 1, @now, @now) RETURNING id";
            insert.Parameters.AddWithValue("@client", Client);
            var name = insert.Parameters.Add("@name", SqliteType.Text);
            insert.Parameters.AddWithValue("@now", now);
            insert.Prepare();
            for (var i = 0; i < ids.Length; i++)
            {
                name.Value = spec.Names[i];
                ids[i] = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
            }
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES (@job, @dependsOn, @now)";
            var job = insert.Parameters.Add("@job", SqliteType.Integer);
            var dependsOn = insert.Parameters.Add("@dependsOn", SqliteType.Integer);
            insert.Parameters.AddWithValue("@now", now);
            insert.Prepare();
            foreach (var edge in spec.Edges)
            {
                job.Value = ids[edge.Job];
                dependsOn.Value = ids[edge.DependsOn];
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Nothing to prepare: the statements are traced on the store's own connection.</summary>
    public override Task<bool> PreparePlanCaptureAsync(string database, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>
    /// Runs <paramref name="action"/> once so that the store leaves a connection in its pool, takes that connection out of
    /// the pool by opening one with the store's own connection string (the pool's key), installs SQLite's trace hook on
    /// its handle (the statement text with its parameters expanded), returns it to the pool, runs the action again, and
    /// explains every statement traced meanwhile on a connection of the harness. The action must use one connection at a
    /// time, and must be read-only.
    /// </summary>
    public override async Task<IReadOnlyList<string>> CapturePlansAsync(string database, Func<Task> action, CancellationToken cancellationToken)
    {
        await action();
        var traced = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var storeConnectionString = new SqliteConnectionStringBuilder(ConnectionString(database, pooled: true)) { ForeignKeys = true }.ToString();
        await using (var pooled = new SqliteConnection(storeConnectionString))
        {
            await pooled.OpenAsync(cancellationToken);
            SQLitePCL.raw.sqlite3_trace(pooled.Handle, (_, statement) => traced.Enqueue(statement.utf8_to_string()), null);
        }

        try
        {
            await action();
        }
        finally
        {
            await using var pooled = new SqliteConnection(storeConnectionString);
            await pooled.OpenAsync(cancellationToken);
            SQLitePCL.raw.sqlite3_trace(pooled.Handle, (SQLitePCL.delegate_trace?)null, null);
        }

        await using var connection = await OpenAsync(database, cancellationToken);
        var plans = new List<string>();
        foreach (var statement in traced.Where(t => !t.TrimStart().StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)))
        {
            plans.Add(await ExplainAsync(connection, statement.Trim(), [], cancellationToken));
        }

        return plans;
    }

    private static string Text(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static string FileSystemOf(string directory)
    {
        try
        {
            return ThrowawayPostgresCluster.Run("stat", ["-f", "-c", "%T", directory], asPostgresUser: false, TimeSpan.FromSeconds(10)).Trim();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    private string PathOf(string database) => Path.Combine(_directory, database + ".db");

    private string ConnectionString(string database, bool pooled) => new SqliteConnectionStringBuilder
    {
        DataSource = PathOf(database),
        Pooling = pooled,
    }.ToString();

    private void DeleteFiles(string database)
    {
        foreach (var suffix in (string[])[string.Empty, "-wal", "-shm", "-journal"])
        {
            File.Delete(PathOf(database) + suffix);
        }
    }
}
