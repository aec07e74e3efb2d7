using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace OrderLib.Benchmarks;

/// <summary>
/// The hand-written reference queue: no OrderLib code at all, plain ADO.NET against OrderLib's own <c>job_runs</c> table in a
/// fresh copy of the queue template (same rows, same partial index <c>ix_job_runs_ready</c>). Each worker has its own
/// connection, opened before the clock starts. Per round trip it claims up to <c>limit</c> runs in one statement, and
/// completes everything it claimed in ONE statement:
/// <list type="bullet">
/// <item>PostgreSQL: <c>WITH c AS MATERIALIZED (SELECT id ... ORDER BY priority DESC, id LIMIT n FOR UPDATE SKIP LOCKED)
/// UPDATE ... FROM c RETURNING id</c>, then <c>UPDATE ... FROM unnest(@ids) ... WHERE status = 'Running' AND worker_id = @w</c>,
/// both prepared on each connection (OrderLib's own data source prepares its statements too).</item>
/// <item>SQLite: <c>BEGIN IMMEDIATE</c>; <c>UPDATE ... WHERE id IN (SELECT id ... LIMIT n) RETURNING id</c>; <c>COMMIT</c>, then
/// one <c>UPDATE ... WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'Running' AND worker_id = @w</c>.</item>
/// </list>
/// It does not touch <c>jobs.latest_status</c> or readiness counters (there are no dependencies in the queue), which is
/// exactly the gap between a plain queue and a dependency-aware one.
/// </summary>
internal sealed class RawQueue : IDrainTarget, IAsyncDisposable
{
    private const string PostgresClaim = """
        WITH c AS MATERIALIZED (
            SELECT id FROM job_runs
            WHERE status = 'Pending' AND waiting_on = 0
            ORDER BY priority DESC, id
            LIMIT @limit FOR UPDATE SKIP LOCKED)
        UPDATE job_runs r SET status = 'Running', worker_id = @worker, started_at = now(), lease_expires_at = now() + interval '5 minutes'
        FROM c WHERE r.id = c.id
        RETURNING r.id
        """;

    private const string PostgresComplete = """
        UPDATE job_runs r SET status = 'Succeeded', finished_at = now(), lease_expires_at = NULL
        FROM unnest(@ids) AS u(id)
        WHERE r.id = u.id AND r.status = 'Running' AND r.worker_id = @worker
        """;

    private const string SqliteClaim = """
        UPDATE job_runs SET status = 'Running', worker_id = @worker, started_at = @now, lease_expires_at = @lease
        WHERE id IN (SELECT id FROM job_runs WHERE status = 'Pending' AND waiting_on = 0 ORDER BY priority DESC, id LIMIT @limit)
        RETURNING id
        """;

    private const string SqliteComplete = """
        UPDATE job_runs SET status = 'Succeeded', finished_at = @now, lease_expires_at = NULL
        WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'Running' AND worker_id = @worker
        """;

    private readonly DbConnection[] _connections;
    private readonly bool _sqlite;

    private RawQueue(DbConnection[] connections, bool sqlite)
    {
        _connections = connections;
        _sqlite = sqlite;
    }

    /// <summary>What the reference sends, for the report.</summary>
    public static string Describe(bool sqlite) => sqlite ? SqliteClaim + "\n\n" + SqliteComplete : PostgresClaim + "\n\n" + PostgresComplete;

    /// <summary>Opens one connection per worker on <paramref name="database"/>.</summary>
    public static async Task<RawQueue> OpenAsync(BenchDatabase engine, string database, int workers, CancellationToken cancellationToken)
    {
        var connections = new DbConnection[workers];
        for (var i = 0; i < workers; i++)
        {
            connections[i] = await engine.OpenAsync(database, cancellationToken);
        }

        return new RawQueue(connections, engine is SqliteBench);
    }

    public async Task<IReadOnlyList<long>> ClaimAsync(int worker, WorkerId workerId, int limit, CancellationToken cancellationToken)
    {
        var connection = _connections[worker];
        var ids = new List<long>(limit);
        if (!_sqlite)
        {
            await using var command = new NpgsqlCommand(PostgresClaim, (NpgsqlConnection)connection);
            command.Parameters.AddWithValue("limit", limit);
            command.Parameters.AddWithValue("worker", workerId.Value);
            await command.PrepareAsync(cancellationToken); // once per connection: Npgsql keeps it and finds it again by its text
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }

            return ids;
        }

        var sqlite = (SqliteConnection)connection;
        await using var transaction = sqlite.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
        await using (var command = sqlite.CreateCommand())
        {
            var now = TimeProvider.System.GetUtcNow();
            command.Transaction = transaction;
            command.CommandText = SqliteClaim;
            command.Parameters.AddWithValue("@limit", limit);
            command.Parameters.AddWithValue("@worker", workerId.Value);
            command.Parameters.AddWithValue("@now", Text(now));
            command.Parameters.AddWithValue("@lease", Text(now.AddMinutes(5)));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    public async Task CompleteAsync(int worker, WorkerId workerId, IReadOnlyList<long> runIds, List<long> completeTicks, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        int updated;
        if (!_sqlite)
        {
            await using var command = new NpgsqlCommand(PostgresComplete, (NpgsqlConnection)_connections[worker]);
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = runIds.ToArray() });
            command.Parameters.AddWithValue("worker", workerId.Value);
            await command.PrepareAsync(cancellationToken);
            updated = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            await using var command = (SqliteCommand)_connections[worker].CreateCommand();
            command.CommandText = SqliteComplete;
            command.Parameters.AddWithValue("@ids", JsonSerializer.Serialize(runIds));
            command.Parameters.AddWithValue("@worker", workerId.Value);
            command.Parameters.AddWithValue("@now", Text(TimeProvider.System.GetUtcNow()));
            updated = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        completeTicks.Add(Stopwatch.GetTimestamp() - started);
        if (updated != runIds.Count)
        {
            throw new InvalidOperationException($"The reference completion updated {updated} of {runIds.Count} runs of {workerId.Value}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static string Text(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
