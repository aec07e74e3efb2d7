using System.Data.Common;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// The workers' queue: claim, heartbeat and fenced completion (which ends the run as finishing does, see
// RelationalOrderLibStore.Runs.cs). The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One statement (on PostgreSQL without BEGIN and COMMIT round trips). The claim's time is read from
    /// <see cref="ClaimRequest.Clock"/> as the statement starts (on SQLite inside the write transaction, after the write lock). On PostgreSQL concurrent claims skip each other's candidates (<c>FOR UPDATE SKIP LOCKED</c>)
    /// instead of waiting.
    /// </remarks>
    public async Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Limit, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Clock, nameof(request));
        var sql = request.Clients.IsAll ? _queueSql.ClaimRuns : _queueSql.ClaimClientRuns;
        return await WriteOneStatementAsync(
            async (connection, transaction) =>
            {
                // Read now, not before the transaction began: on SQLite it waited for the write lock, behind writes
                // that may have made these runs ready, and a run must not start before what it waited for ended. (PostgreSQL
                // runs the statement on its own: its snapshot is taken when it starts, as it was after a BEGIN.)
                var now = OrderLibClock.Now(request.Clock);
                var param = new
                {
                    workerId = request.WorkerId.Value,
                    clients = ClientValues(request.Clients),
                    limit = request.Limit,
                    now = _dialect.ToDb(now),
                    leaseExpiresAt = _dialect.ToDb(OrderLibClock.LeaseEnd(now, request.LeaseDuration)),
                };
                var rows = await connection.QueryAsync<RunRow, ClaimJobRow, (RunRow Run, ClaimJobRow Job)>(
                    Command(sql, param, transaction, cancellationToken),
                    (run, job) => (run, job),
                    splitOn: "ClientId");
                return rows
                    .OrderByDescending(x => x.Run.Priority)
                    .ThenBy(x => x.Run.Id)
                    .Select(x => new ClaimedRun(x.Run.ToRun(_dialect), new ClientId(x.Job.ClientId), x.Job.JobName, x.Job.MaxAttempts, StoredPayload.Of(x.Job.Input), x.Run.Trace))
                    .ToArray();
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        var param = new { runId = runId.Value, workerId = workerId.Value, leaseExpiresAt = _dialect.ToDb(leaseExpiresAt) };
        return WriteAsync(
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(_queueSql.Heartbeat, param, transaction, cancellationToken));
                if (row is null)
                {
                    throw await LeaseLostAsync(connection, transaction, runId, workerId, cancellationToken);
                }

                var run = row.ToRun(_dialect);
                return new HeartbeatResult(run, run.CancelRequested);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A worker completes a run as Succeeded, Failed or Cancelled.");
        }

        RunOutcome.CheckOutput(runId, outcome, output, nameof(output));
        return EndRunAsync(new RunEnd(runId, outcome, RunEnding.ErrorOf(outcome, errorText), output, now.ToUniversalTime(), retryPolicy, null, workerId), cancellationToken);
    }

    // Why a fenced call changed nothing: the run is gone, or it is not (any more) Running under this worker.
    private async Task<Exception> LeaseLostAsync(DbConnection connection, DbTransaction transaction, RunId runId, WorkerId workerId, CancellationToken cancellationToken)
    {
        var current = await connection.QuerySingleOrDefaultAsync<RunHolderRow>(Command(
            _queueSql.GetRunHolder, new { runId = runId.Value }, transaction, cancellationToken));
        if (current is null)
        {
            return new RunNotFoundException(runId);
        }

        var status = StatusText.Parse(current.Status);
        return new LeaseLostException(runId, workerId, status, status == RunStatus.Running && current.WorkerId is { } holder ? new WorkerId(holder) : null);
    }

    /// <summary>The statements of the workers' queue, beside the code that reads their results.</summary>
    private sealed class QueueSql
    {
        public QueueSql(SqlDialect dialect)
        {
            // The run's status and holder, to explain a refused heartbeat or completion.
            GetRunHolder = "SELECT status AS Status, worker_id AS WorkerId FROM job_runs WHERE id = @runId;";

            // Claims up to @limit ready runs in claim order (priority, then id) in one statement. On PostgreSQL the
            // candidates are locked FOR UPDATE SKIP LOCKED in a materialised CTE, so concurrent claims pass each other
            // instead of queueing; on SQLite the immediate transaction serialises them. The claim locks no job row
            // and leaves jobs.latest_status at 'Pending' (see StartRun): it may then never wait while holding run rows.
            // The run's input comes back with it (its own column: no join, no second read).
            string Claim(bool filtered) => $"""
                WITH picked AS MATERIALIZED (
                    SELECT r.id FROM job_runs r{(filtered ? " CROSS JOIN jobs j" : "")}
                    WHERE r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now
                      {(filtered ? "AND j.id = r.job_id AND " + dialect.InList("j.client_id", "@clients") : "")}
                    ORDER BY r.priority DESC, r.id
                    LIMIT @limit{dialect.ForUpdateOf("r")}{dialect.SkipLocked}
                )
                UPDATE job_runs SET status = 'Running', worker_id = @workerId, started_at = @now, lease_expires_at = @leaseExpiresAt
                WHERE id IN (SELECT id FROM picked) AND status = 'Pending'
                RETURNING {RunColumns("")}, {TraceColumns("")},
                    (SELECT cj.client_id FROM jobs cj WHERE cj.id = job_runs.job_id) AS ClientId,
                    (SELECT cj.name FROM jobs cj WHERE cj.id = job_runs.job_id) AS JobName,
                    (SELECT cj.max_attempts FROM jobs cj WHERE cj.id = job_runs.job_id) AS MaxAttempts,
                    input AS Input;
                """;
            ClaimRuns = Claim(filtered: false);
            ClaimClientRuns = Claim(filtered: true);

            // Extends the lease only while the worker holds the run (fencing); touches the run's row only.
            Heartbeat = $"""
                UPDATE job_runs SET lease_expires_at = @leaseExpiresAt
                WHERE id = @runId AND {StatusIs("status", "Running")} AND worker_id = @workerId
                RETURNING {RunColumns("")};
                """;
        }

        public string GetRunHolder { get; }

        public string ClaimRuns { get; }

        public string ClaimClientRuns { get; }

        public string Heartbeat { get; }
    }
}
