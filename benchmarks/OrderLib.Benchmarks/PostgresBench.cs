using OrderLib.Adapters.Postgres;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Benchmarks;

/// <summary>
/// PostgreSQL: a throwaway cluster of this process (fsync=off), or the server in <c>ORDERLIB_BENCH_POSTGRES</c>. Templates
/// are databases copied with <c>CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY</c>; history is loaded with one
/// <c>INSERT ... SELECT generate_series</c>.
/// </summary>
internal sealed class PostgresBench : BenchDatabase
{
    public const string ConnectionStringVariable = "ORDERLIB_BENCH_POSTGRES";

    private readonly PostgresCluster? _cluster;
    private readonly string _adminConnectionString;
    private readonly string _prefix;
    private readonly HashSet<string> _created = [];

    private PostgresBench(PostgresCluster? cluster, string adminConnectionString)
    {
        _cluster = cluster;
        _adminConnectionString = adminConnectionString;
        _prefix = string.Create(CultureInfo.InvariantCulture, $"orderlib_bench_{Environment.ProcessId}_");
    }

    public override string Name => "PostgreSQL";

    public override int? ServerPid => _cluster?.ServerPid;

    /// <summary>The server log, when this process owns the server (needed for auto_explain).</summary>
    public string? LogPath => _cluster?.LogPath;

    public static PostgresBench Start(string workDirectory)
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new PostgresBench(null, configured);
        }

        var cluster = PostgresCluster.Start(workDirectory);
        return new PostgresBench(cluster, cluster.AdminConnectionString);
    }

    public override async Task<IReadOnlyList<string>> DescribeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAdminAsync(cancellationToken);
        var lines = new List<string>
        {
            _cluster is null
                ? $"server from {ConnectionStringVariable} (not started by the harness)"
                : $"throwaway cluster started by the harness (binaries: {_cluster.Binaries}; started with {string.Join(", ", PostgresCluster.Settings)})",
            await Sql.ScalarAsync<string>(connection, null, "SELECT version()", cancellationToken),
        };
        lines.AddRange(await Sql.RowsAsTextAsync(
            connection,
            null,
            """
            SELECT name || ' = ' || setting || COALESCE(' ' || unit, '') FROM pg_settings
            WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'work_mem', 'effective_cache_size',
                           'max_connections', 'wal_level', 'max_wal_size', 'autovacuum', 'random_page_cost', 'jit')
            ORDER BY name
            """,
            cancellationToken));
        lines.Add("client: Npgsql " + typeof(NpgsqlConnection).Assembly.GetName().Version);
        return lines;
    }

    public override async Task CreateMigratedAsync(string database, CancellationToken cancellationToken)
    {
        await using (var admin = await OpenAdminAsync(cancellationToken))
        {
            await Sql.ExecuteAsync(admin, null, $"CREATE DATABASE {Quote(Physical(database))}", cancellationToken);
        }

        _created.Add(database);
        Migrator(database).MigrateUp();
    }

    public override async Task<string> ExplainAsync(DbConnection connection, string sql, IEnumerable<(string Name, object? Value)> parameters, CancellationToken cancellationToken)
    {
        var plan = await Sql.RowsAsTextAsync(connection, null, "EXPLAIN (ANALYZE, BUFFERS) " + sql, cancellationToken, parameters);
        return "Query Text: " + sql + "\n" + string.Join('\n', plan);
    }

    public override string JobRunIndexesSql => "SELECT indexname FROM pg_indexes WHERE tablename = 'job_runs' ORDER BY indexname";

    public override IOrderLibMigrator Migrator(string database) => PostgresOrderLibMigrations.Create(ConnectionString(database, pooled: false));

    public override async Task CopyAsync(string source, string target, CancellationToken cancellationToken)
    {
        await using var admin = await OpenAdminAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // FILE_COPY copies the files (checkpoint first) instead of WAL-logging every block: fast for big templates.
                await Sql.ExecuteAsync(
                    admin,
                    null,
                    $"CREATE DATABASE {Quote(Physical(target))} WITH TEMPLATE {Quote(Physical(source))} STRATEGY = FILE_COPY",
                    cancellationToken);
                break;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                // "source database ... is being accessed by other users": an autovacuum worker or a closing connection.
                await Task.Delay(100 * Math.Min(attempt, 10), cancellationToken);
            }
        }

        _created.Add(target);
    }

    public override async Task DropAsync(string database, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = await OpenAdminAsync(cancellationToken);
        await Sql.ExecuteAsync(admin, null, $"DROP DATABASE IF EXISTS {Quote(Physical(database))} WITH (FORCE)", cancellationToken);
        _created.Remove(database);
    }

    public override async Task SealAsync(string database, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await using (var connection = await OpenAsync(database, cancellationToken))
        {
            // The steady state of a live database: statistics current, visibility map set (autovacuum would get there too).
            await Sql.ExecuteAsync(connection, null, "VACUUM (ANALYZE)", cancellationToken);
            await Sql.ExecuteAsync(connection, null, "CHECKPOINT", cancellationToken);
        }

        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>How the stores this engine registers wake workers of other processes (the idle scenario measures both).</summary>
    public PostgresNotifications Notifications { get; set; } = PostgresNotifications.Listen;

    public override void UseStore(OrderLibBuilder builder, string database) =>
        builder.UsePostgres(ConnectionString(database, pooled: true), "public", Notifications);

    /// <summary>A store of its own (own data source) over <paramref name="database"/>: to PostgreSQL, another process.</summary>
    public PostgresOrderLibStore OtherStore(string database) => new(ConnectionString(database, pooled: true), "public", Notifications);

    public override async Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString(database, pooled: false));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public override async Task LoadHistoryAsync(string database, int runs, int jobs, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'history-' || lpad(g::text, 5, '0'), 'history job ' || g, g % 5, 3,
                   NULL, now() - interval '400 days', now() - interval '400 days'
            FROM generate_series(1, @jobs) AS g ORDER BY g
            """,
            cancellationToken,
            ("client", Client),
            ("jobs", jobs));
        var firstJob = await FirstHistoryJobAsync(connection, jobs, cancellationToken);

        // Spread over the last year, oldest first; about 1 in 97 failed and 1 in 389 was cancelled, but every job's latest
        // run Succeeded, as in a healthy installation. Job i's runs have the job's priority (i % 5), like enqueue copies it.
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at, started_at, finished_at,
                                  lease_expires_at, worker_id, error)
            SELECT @firstJob + (g - 1) % @jobs, @client, s.status, 1, ((g - 1) % @jobs + 1) % 5, 0,
                   t.at, t.at,
                   CASE WHEN s.status = 'Cancelled' THEN NULL ELSE t.at + interval '1 second' END,
                   t.at + (1 + g % 120) * interval '1 second',
                   NULL,
                   CASE WHEN s.status = 'Cancelled' THEN NULL ELSE 'worker-' || (g % 16) END,
                   CASE s.status WHEN 'Failed' THEN 'simulated failure: exit code 1' WHEN 'Cancelled' THEN 'cancelled by operator' END
            FROM generate_series(1, @runs) AS g
            CROSS JOIN LATERAL (SELECT CASE WHEN g > @runs - @jobs THEN 'Succeeded'
                                            WHEN g % 97 = 0 THEN 'Failed'
                                            WHEN g % 389 = 0 THEN 'Cancelled'
                                            ELSE 'Succeeded' END AS status) AS s
            CROSS JOIN LATERAL (SELECT now() - interval '366 days' + g * (@span / @runs) * interval '1 second' AS at) AS t
            ORDER BY g
            """,
            cancellationToken,
            ("firstJob", firstJob),
            ("client", Client),
            ("jobs", jobs),
            ("runs", runs),
            ("span", 365.0 * 86400));
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            UPDATE jobs j SET latest_run_id = m.id, latest_status = 'Succeeded'
            FROM (SELECT job_id, max(id) AS id FROM job_runs GROUP BY job_id) AS m
            WHERE j.id = m.job_id
            """,
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public override async Task<IReadOnlyList<long>> CreateQueueJobsAsync(string database, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        await Sql.ExecuteAsync(
            connection,
            null,
            """
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'queue-' || lpad(g::text, 7, '0'), NULL, g % 3, 3, NULL, now(), now()
            FROM generate_series(1, @count) AS g ORDER BY g
            """,
            cancellationToken,
            ("client", Client),
            ("count", count));
        return await QueueJobIdsAsync(connection, cancellationToken);
    }

    public override async Task<(long RootId, long Edges)> CreateDagAsync(string database, int layers, int width, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            VALUES (@client, 'dag-0-0', 'DAG root', 0, 3, NULL, now(), now());
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            SELECT @client, 'dag-' || (1 + g / @width) || '-' || (g % @width), NULL, 0, 3, NULL, now(), now()
            FROM generate_series(0, @layers * @width - 1) AS g ORDER BY g;
            """,
            cancellationToken,
            ("client", Client),
            ("layers", layers),
            ("width", width));
        var edges = await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at)
            SELECT c.id, p.id, now()
            FROM (
                SELECT 'dag-1-' || w AS child, 'dag-0-0' AS parent FROM generate_series(0, @width - 1) AS w
                UNION ALL
                SELECT 'dag-' || (2 + g / @width) || '-' || (g % @width), 'dag-' || (1 + g / @width) || '-' || (g % @width)
                FROM generate_series(0, (@layers - 1) * @width - 1) AS g
                UNION ALL
                SELECT 'dag-' || (2 + g / @width) || '-' || (g % @width), 'dag-' || (1 + g / @width) || '-' || ((g % @width * 7 + 3) % @width)
                FROM generate_series(0, (@layers - 1) * @width - 1) AS g
                WHERE (g % @width) % 2 = 1 AND (g % @width * 7 + 3) % @width <> g % @width
            ) AS e
            JOIN jobs c ON c.client_id = @client AND c.name = e.child
            JOIN jobs p ON p.client_id = @client AND p.name = e.parent
            """,
            cancellationToken,
            ("client", Client),
            ("layers", layers),
            ("width", width));
        var root = await Sql.ScalarAsync<long>(
            connection,
            transaction,
            "SELECT id FROM jobs WHERE client_id = @client AND name = 'dag-0-0'",
            cancellationToken,
            ("client", Client));
        await transaction.CommitAsync(cancellationToken);
        return (root, edges);
    }

    /// <summary>
    /// Captures the plans of the statements one <c>ClaimAsync(limit)</c> and one <c>SucceedAsync</c> issue, with their real
    /// parameters (<see cref="CapturePlansAsync"/>). Needs the harness's own cluster (the log file).
    /// </summary>
    public async Task<ExplainCapture?> ExplainClaimAsync(string database, int limit, CancellationToken cancellationToken)
    {
        if (!await PreparePlanCaptureAsync(database, cancellationToken))
        {
            return null;
        }

        var (claimed, runId, plans) = await WithServicesAsync(database, async services =>
        {
            var queue = services.GetRequiredService<WorkerRunService>();
            var (count, id) = (0, 0L);
            var captured = await CapturePlansAsync(database, async () =>
            {
                var runs = await queue.ClaimAsync(new WorkerId("bench-explain"), limit, null, cancellationToken);
                if (runs.Count > 0)
                {
                    await queue.ReportSucceededAsync(runs[0].Run.Id, new WorkerId("bench-explain"), cancellationToken);
                }

                (count, id) = (runs.Count, runs.Count > 0 ? runs[0].Run.Id.Value : 0L);
            }, cancellationToken);
            return (count, id, captured);
        });
        return new ExplainCapture(limit, claimed, runId, plans);
    }

    /// <summary>Loads <c>auto_explain</c> (every statement, ANALYZE, BUFFERS, nested statements) for new sessions of <paramref name="database"/> only.</summary>
    public override async Task<bool> PreparePlanCaptureAsync(string database, CancellationToken cancellationToken)
    {
        if (LogPath is null)
        {
            return false;
        }

        foreach (var setting in (string[])
                 [
                     "session_preload_libraries = 'auto_explain'",
                     "auto_explain.log_min_duration = 0",
                     "auto_explain.log_analyze = on",
                     "auto_explain.log_buffers = on",
                     "auto_explain.log_timing = on",
                     "auto_explain.log_nested_statements = on",
                 ])
        {
            await AlterDatabaseAsync(database, setting, cancellationToken);
        }

        NpgsqlConnection.ClearAllPools();
        return true;
    }

    /// <summary>The plans <c>auto_explain</c> logged while <paramref name="action"/> ran (see <see cref="PreparePlanCaptureAsync"/>).</summary>
    public override async Task<IReadOnlyList<string>> CapturePlansAsync(string database, Func<Task> action, CancellationToken cancellationToken)
    {
        var logPath = LogPath ?? throw new InvalidOperationException("The server's log is not readable: no plans to capture.");
        var logStart = new FileInfo(logPath).Length;
        await action();
        await Task.Delay(500, cancellationToken); // let the server flush its log
        await using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(logStart, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return ParsePlans(await reader.ReadToEndAsync(cancellationToken));
    }

    /// <summary><c>ALTER DATABASE ... SET</c> <paramref name="setting"/> (e.g. <c>log_statement = 'all'</c>) for new sessions of that database.</summary>
    public async Task AlterDatabaseAsync(string database, string setting, CancellationToken cancellationToken)
    {
        await using var admin = await OpenAdminAsync(cancellationToken);
        await Sql.ExecuteAsync(admin, null, $"ALTER DATABASE {Quote(Physical(database))} SET {setting}", cancellationToken);
    }

    /// <summary>
    /// <c>pg_stat_database.xact_commit + xact_rollback</c> of the database, read from the admin database (so the reading itself
    /// is not counted). Backends flush these counters when they go idle (at most once a second, at the latest ~10 s later) and when they exit.
    /// </summary>
    public async Task<long> TransactionsAsync(string database, CancellationToken cancellationToken)
    {
        await using var admin = await OpenAdminAsync(cancellationToken);
        return await Sql.ScalarAsync<long>(
            admin,
            null,
            "SELECT COALESCE(sum(xact_commit + xact_rollback), 0) FROM pg_stat_database WHERE datname = @name",
            cancellationToken,
            ("name", Physical(database)));
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is null)
        {
            foreach (var database in _created.ToArray())
            {
                try
                {
                    await DropAsync(database, CancellationToken.None);
                }
                catch (NpgsqlException ex)
                {
                    Console.Error.WriteLine($"Dropping {Physical(database)} failed: {ex.Message}");
                }
            }
        }

        _cluster?.Dispose();
    }

    protected override void AfterServicesDisposed() => NpgsqlConnection.ClearAllPools();

    public override object DbTime(DateTimeOffset value) => value.ToUniversalTime();

    public override string ReferenceDefineDescription =>
        "Npgsql binary COPY of the jobs, one SELECT of their ids by name, binary COPY of the edges; one transaction";

    public override async Task<double> ReferenceDefineAsync(string database, GraphSpec spec, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await OpenAsync(database, cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = TimeProvider.System.GetUtcNow();
        await using (var jobs = await connection.BeginBinaryImportAsync(
            "COPY jobs (client_id, name, priority, max_attempts, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var name in spec.Names)
            {
                await jobs.StartRowAsync(cancellationToken);
                await jobs.WriteAsync(Client, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
                await jobs.WriteAsync(name, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
                await jobs.WriteAsync(0, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
                await jobs.WriteAsync(1, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
                await jobs.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
                await jobs.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await jobs.CompleteAsync(cancellationToken);
        }

        var ids = new Dictionary<string, long>(spec.Names.Count, StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT name, id FROM jobs WHERE client_id = @client", connection, transaction))
        {
            command.Parameters.AddWithValue("client", Client);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using (var edges = await connection.BeginBinaryImportAsync(
            "COPY job_dependencies (job_id, depends_on_job_id, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (job, dependsOn) in spec.Edges)
            {
                await edges.StartRowAsync(cancellationToken);
                await edges.WriteAsync(ids[spec.Names[job]], NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
                await edges.WriteAsync(ids[spec.Names[dependsOn]], NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
                await edges.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await edges.CompleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Splits auto_explain's log entries ("duration: ... plan:" followed by tab-indented lines).</summary>
    private static List<string> ParsePlans(string logText)
    {
        var plans = new List<string>();
        StringBuilder? current = null;
        foreach (var line in logText.Split('\n'))
        {
            if (line.Contains("LOG:  duration:", StringComparison.Ordinal) && line.Contains("plan:", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    plans.Add(current.ToString().TrimEnd());
                }

                current = new StringBuilder(line[line.IndexOf("duration:", StringComparison.Ordinal)..]).Append('\n');
            }
            else if (current is not null && line.StartsWith('\t'))
            {
                current.Append(line[1..]).Append('\n');
            }
            else if (current is not null)
            {
                plans.Add(current.ToString().TrimEnd());
                current = null;
            }
        }

        if (current is not null)
        {
            plans.Add(current.ToString().TrimEnd());
        }

        return plans;
    }

    private static async Task<long> FirstHistoryJobAsync(NpgsqlConnection connection, int jobs, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT min(id), max(id), count(*) FROM jobs WHERE client_id = @client AND name LIKE 'history-%'", connection);
        command.Parameters.AddWithValue("client", Client);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (min, max, count) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        if (count != jobs || max - min + 1 != jobs)
        {
            throw new InvalidOperationException($"History jobs do not have consecutive ids ({min}..{max}, {count} jobs).");
        }

        return min;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private string Physical(string database) => _prefix + database;

    private string ConnectionString(string database, bool pooled) => new NpgsqlConnectionStringBuilder(_adminConnectionString)
    {
        Database = Physical(database),
        Pooling = pooled,
        CommandTimeout = 0,
        MaxPoolSize = 100,
    }.ConnectionString;

    private async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_adminConnectionString) { Pooling = false, CommandTimeout = 0 }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

/// <summary>What auto_explain logged while one claim (and one completion) ran.</summary>
/// <param name="Limit">The claim limit asked for.</param>
/// <param name="Claimed">How many runs the claim returned.</param>
/// <param name="CompletedRunId">The run completed afterwards.</param>
/// <param name="Plans">Every plan logged, in order (each starts with "duration: ... plan:" and the query text).</param>
internal sealed record ExplainCapture(int Limit, int Claimed, long CompletedRunId, IReadOnlyList<string> Plans);
