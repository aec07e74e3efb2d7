using System.Data.Common;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Runs: enqueue, start, finish, cancel and the reads, with the ending of one run (retry or cascade) that finishing and
// a worker's completion (RelationalOrderLibStore.Queue.cs) share. The lock discipline is described on the class
// (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    private const string OneActiveRun = "ux_job_runs_one_active";

    /// <inheritdoc />
    /// <remarks>
    /// The new run's <c>waiting_on</c> counts the upstream jobs whose latest run has not succeeded, plus one when the job is
    /// paused; the upstream rows are share-locked on PostgreSQL, the job's row (which a pause locks too) locked for update.
    /// </remarks>
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public async Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, RunPayload? input, RunTraceContext? traceContext, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var param = new { client = client.Value, jobId = jobId.Value };
        return await RetryOnChangeAsync(
            async () =>
            {
                try
                {
                    return await TryWriteAsync((connection, transaction) => EnqueueAsync(connection, transaction, client, jobId, input, traceContext, now, cancellationToken), cancellationToken);
                }
                catch (DbException ex) when (_dialect.IsUniqueViolation(ex, OneActiveRun, "job_runs"))
                {
                    // Another caller created the job's active run first (the unique index is the last guard): return theirs,
                    // or try again when it ended meanwhile.
                    var winner = await ConnectAsync(
                        connection => connection.QuerySingleOrDefaultAsync<RunRow>(Command(_runSql.GetActiveRun, param, null, cancellationToken)),
                        cancellationToken);
                    return winner is null ? null : new EnqueueResult(winner.ToRun(_dialect), Created: false);
                }
            },
            $"Job {jobId} could not be enqueued: its dependencies or its active run kept changing while it was being enqueued.",
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Starts the run only when its <c>waiting_on</c> count is zero; a refused start is diagnosed by a second query (the run's facts, <see cref="RunFacts.EnsureStartable"/>).</remarks>
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public async Task<JobRun> StartRunAsync(ClientId client, RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        var param = new
        {
            client = client.Value,
            runId = runId.Value,
            workerId = workerId.Value,
            now = _dialect.ToDb(now),
            leaseExpiresAt = _dialect.ToDb(leaseExpiresAt),
        };

        // A refusal is diagnosed after the fact; if nothing explains it, an upstream job succeeded in between
        // (PostgreSQL, READ COMMITTED), so the start is tried again.
        return await WriteOrRetryAsync(
            async (connection, transaction) =>
            {
                var run = await ChangeRunAsync(connection, transaction, _runSql.StartRun, param, cancellationToken);
                if (run is not null)
                {
                    return run;
                }

                var facts = await ReadRunFactsAsync(connection, transaction, client, runId, cancellationToken) ?? throw new RunNotFoundException(runId);
                facts.EnsureStartable(now);
                return null;
            },
            $"Run {runId} could not be started: it is pending and available, but the jobs it depends on kept changing between its start and the check of its dependencies.",
            cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public Task<RunCompletion> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A run finishes as Succeeded or Failed.");
        }

        RunOutcome.CheckOutput(runId, outcome, output, nameof(output));
        return EndRunAsync(new RunEnd(runId, outcome, RunEnding.ErrorOf(outcome, errorText), output, now.ToUniversalTime(), retryPolicy, client, null), cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public Task<JobRun> CancelRunAsync(ClientId client, RunId runId, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        now = now.ToUniversalTime();
        return WriteOrRetryAsync(
            async (connection, transaction) =>
            {
                var param = new { client = client.Value, runId = runId.Value, reason, now = _dialect.ToDb(now), upstreamReason = (string?)null };
                JobRow? job;
                RunRow? row;
                // Result sets: the job; the run.
                await using (var grid = await connection.QueryMultipleAsync(Command(_runSql.CancelRunPrepare, param, transaction, cancellationToken)))
                {
                    job = await grid.ReadSingleOrDefaultAsync<JobRow>();
                    row = await grid.ReadSingleOrDefaultAsync<RunRow>();
                }

                if (job is null || row is null)
                {
                    throw new RunNotFoundException(runId);
                }

                var status = StatusText.Parse(row.Status);
                RunTransitions.Ensure(runId, status, RunStatus.Cancelled);
                if (status == RunStatus.Running)
                {
                    // Cannot be null: only a transaction holding the job row ends a Running run, and this one holds it.
                    var marked = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(_runSql.MarkCancelRequested, param, transaction, cancellationToken))
                                 ?? throw new InvalidOperationException($"Run {runId} stopped running while its job was locked.");
                    return marked.ToRun(_dialect);
                }

                var cancelled = (await connection.QueryAsync<RunRow>(Command(
                    _runSql.CancelPendingRun,
                    param with { upstreamReason = RunEnding.Of(RunStatus.Cancelled, row.Attempt, job.MaxAttempts, job.Name).CascadeReason },
                    transaction,
                    cancellationToken))).ToArray();

                // A claim took the run between the read and the lock: roll back and look again (it is Running now).
                return cancelled.FirstOrDefault(r => r.Id == runId.Value)?.ToRun(_dialect);
            },
            $"Run {runId} could not be cancelled: its status kept changing.",
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        var row = await ConnectAsync(
            connection => connection.QuerySingleOrDefaultAsync<RunRow>(Command(
                _runSql.GetRun, new { client = client.Value, runId = runId.Value }, null, cancellationToken)),
            cancellationToken);
        return row?.ToRun(_dialect);
    }

    /// <inheritdoc />
    public async Task<RunPayloads?> GetRunPayloadsAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        var row = await ConnectAsync(
            connection => connection.QuerySingleOrDefaultAsync<PayloadsRow>(Command(
                _runSql.GetRunPayloads, new { client = client.Value, runId = runId.Value }, null, cancellationToken)),
            cancellationToken);
        return row?.ToPayloads();
    }

    /// <inheritdoc />
    /// <remarks>One statement: the job, left-joined to its upstream jobs and each one's latest Succeeded run (found backwards through <c>ix_job_runs_job</c>).</remarks>
    public async Task<IReadOnlyList<UpstreamOutput>> GetUpstreamOutputsAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        var rows = (await ConnectAsync(
            connection => connection.QueryAsync<UpstreamOutputRow>(Command(
                _runSql.GetUpstreamOutputs, new { client = client.Value, jobId = jobId.Value }, null, cancellationToken)),
            cancellationToken)).ToArray();
        if (rows.Length == 0)
        {
            throw new JobNotFoundException(jobId);
        }

        return rows
            .Where(r => r.JobId is not null)
            .Select(r => r.ToUpstreamOutput())
            .OrderBy(u => u.JobName, StringComparer.Ordinal)
            .ToArray();
    }

    /// <inheritdoc />
    /// <remarks>One batch of three statements, without a transaction: each reads what committed before it started.</remarks>
    public async Task<RunFacts> GetRunFactsAsync(ClientId client, RunId runId, CancellationToken cancellationToken) =>
        await ConnectAsync(connection => ReadRunFactsAsync(connection, null, client, runId, cancellationToken), cancellationToken)
        ?? throw new RunNotFoundException(runId);

    // The run's facts (RunSql.RunFacts), or null when the client has no such run.
    private async Task<RunFacts?> ReadRunFactsAsync(DbConnection connection, DbTransaction? transaction, ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        // Result sets: the run; its job; its unsatisfied upstream jobs.
        await using var grid = await connection.QueryMultipleAsync(Command(
            _runSql.RunFacts, new { client = client.Value, runId = runId.Value }, transaction, cancellationToken));
        var run = await grid.ReadSingleOrDefaultAsync<RunRow>();
        var job = await grid.ReadSingleOrDefaultAsync<JobRow>();
        var unsatisfied = (await grid.ReadAsync<UpstreamRow>()).Select(u => u.ToUnsatisfied()).ToArray();
        return run is null || job is null ? null : new RunFacts(run.ToRun(_dialect), job.ToJob(_dialect), unsatisfied);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRun>> ListRunsAsync(ClientId client, JobId jobId, RunId? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return await ConnectAsync<IReadOnlyList<JobRun>>(
            async connection =>
            {
                // Result sets: the count of the job; its runs.
                await using var grid = await connection.QueryMultipleAsync(Command(
                    _runSql.ListRuns,
                    new { client = client.Value, jobId = jobId.Value, before = before?.Value ?? long.MaxValue, limit },
                    null,
                    cancellationToken));
                if (await grid.ReadSingleAsync<long>() == 0)
                {
                    throw new JobNotFoundException(jobId);
                }

                return (await grid.ReadAsync<RunRow>()).Select(r => r.ToRun(_dialect)).ToArray();
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobWithLatestRun>> ListLatestRunsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var rows = await ConnectAsync(
            connection => connection.QueryAsync<JobRow, RunRow?, JobWithLatestRun>(
                Command(_runSql.ListLatestRuns, new { client = client.Value, after = after?.Value ?? 0L, limit }, null, cancellationToken),
                (job, run) => new JobWithLatestRun(job.ToJob(_dialect), run?.ToRun(_dialect)),
                splitOn: "Id"),
            cancellationToken);
        return rows.ToArray();
    }

    /// <inheritdoc />
    /// <remarks>Reads a partial index of the pending runs that wait on no upstream job.</remarks>
    public async Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var rows = await ConnectAsync(
            connection => connection.QueryAsync<RunRow>(Command(
                _runSql.ListReadyRuns, new { client = client.Value, now = _dialect.ToDb(now), limit }, null, cancellationToken)),
            cancellationToken);
        return rows.Select(r => r.ToRun(_dialect)).ToArray();
    }

    // Null when an edge was added between locking the upstream jobs and reading them (the caller tries again).
    private async Task<EnqueueResult?> EnqueueAsync(DbConnection connection, DbTransaction transaction, ClientId client, JobId jobId, RunPayload? input, RunTraceContext? traceContext, DateTimeOffset now, CancellationToken cancellationToken)
    {
        JobRow job;
        RunRow? active;
        UpstreamRow[] upstream;
        HashSet<long> locked;
        // Result sets: upstream ids locked below the job; the job; upstream ids locked above it; its active run; the
        // upstream jobs with their latest statuses.
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _runSql.PrepareEnqueue, new { client = client.Value, jobId = jobId.Value }, transaction, cancellationToken)))
        {
            locked = [.. await grid.ReadAsync<long>()];
            job = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
            locked.UnionWith(await grid.ReadAsync<long>());
            active = await grid.ReadSingleOrDefaultAsync<RunRow>();
            upstream = (await grid.ReadAsync<UpstreamRow>()).ToArray();
        }

        if (active is not null)
        {
            return new EnqueueResult(active.ToRun(_dialect), Created: false);
        }

        // An upstream job that is not locked appeared through an edge added while this transaction waited for the
        // job row; its status could change unseen, so start again (edges removed meanwhile are simply not counted).
        if (upstream.Any(u => !locked.Contains(u.Id)))
        {
            return null;
        }

        var sql = job.LatestStatus == StatusText.Succeeded ? _runSql.InsertRunAfterSuccess : _runSql.InsertRun;
        var param = new
        {
            client = client.Value,
            jobId = jobId.Value,
            priority = job.Priority,
            // A paused job's run waits for the resume too (the job row, read under its lock, is as a pause left it).
            waitingOn = upstream.Count(u => !u.Succeeded) + (job.PausedAt is null ? 0 : 1),
            now = _dialect.ToDb(now),
            input = input?.Json,
            traceParent = traceContext?.TraceParent,
            traceState = traceContext?.TraceState,
        };
        RunRow run;
        await using (var inserted = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken)))
        {
            run = await inserted.ReadSingleAsync<RunRow>();
        }

        if (param.waitingOn == 0)
        {
            await NotifyRunsReadyAsync(connection, transaction, client, cancellationToken);
        }

        return new EnqueueResult(run.ToRun(_dialect), Created: true);
    }

    // Runs a lock-then-update batch (StartRun). Result sets: the locked job id; the changed run (none when the guard
    // refused).
    private async Task<JobRun?> ChangeRunAsync(DbConnection connection, DbTransaction transaction, string sql, object param, CancellationToken cancellationToken)
    {
        await using var grid = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken));
        _ = await grid.ReadAsync<long>();
        var row = await grid.ReadSingleOrDefaultAsync<RunRow>();
        return row?.ToRun(_dialect);
    }

    // ---------------------------------------------------------------- ending one run

    // Ends one Running run — client-scoped (FinishRun: Client set) or fenced on the worker (CompleteRun: WorkerId set) —
    // then retries or cascades. One round trip for a success, two for a failure or cancellation.
    private Task<RunCompletion> EndRunAsync(RunEnd end, CancellationToken cancellationToken)
    {
        var clientScoped = end.Client is not null;
        var sql = (end.Outcome, clientScoped) switch
        {
            (RunStatus.Succeeded, true) => _runSql.FinishSucceeded,
            (RunStatus.Failed, true) => _runSql.FinishFailed,
            (RunStatus.Succeeded, false) => _runSql.CompleteSucceeded,
            (RunStatus.Failed, false) => _runSql.CompleteFailed,
            (RunStatus.Cancelled, false) => _runSql.CompleteCancelled,
            _ => throw new ArgumentOutOfRangeException(nameof(end), end.Outcome, "Not an outcome this call ends a run with."),
        };
        var withUpstream = end.Outcome == RunStatus.Failed;
        var param = new
        {
            client = end.Client?.Value,
            runId = end.RunId.Value,
            workerId = end.WorkerId?.Value,
            outcome = StatusText.Of(end.Outcome),
            error = end.Error,
            output = end.Output?.Json,
            now = _dialect.ToDb(end.Now),
        };

        return WriteOrRetryAsync(
            async (connection, transaction) =>
            {
                var locked = new HashSet<long>();
                JobRow? job;
                UpstreamRow[] upstream = [];
                RunRow? row;
                // Result sets of every ending batch: for a failure, the upstream ids locked below the job, the job, the
                // upstream ids locked above it and the upstream statuses; otherwise the job alone; then the ended run (none
                // when the guard refused).
                await using (var grid = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken)))
                {
                    if (withUpstream)
                    {
                        locked.UnionWith(await grid.ReadAsync<long>());
                    }

                    job = await grid.ReadSingleOrDefaultAsync<JobRow>();
                    if (withUpstream)
                    {
                        locked.UnionWith(await grid.ReadAsync<long>());
                        upstream = (await grid.ReadAsync<UpstreamRow>()).ToArray();
                    }

                    row = await grid.ReadSingleOrDefaultAsync<RunRow>();
                }

                if (job is null || row is null)
                {
                    // Throws; the transaction rolls back whatever the batch's other statements did.
                    throw clientScoped
                        ? await IllegalEndAsync(connection, transaction, end.Client!.Value, end.RunId, end.Outcome, cancellationToken)
                        : await LeaseLostAsync(connection, transaction, end.RunId, end.WorkerId!.Value, cancellationToken);
                }

                var run = row.ToRun(_dialect);
                var ending = RunEnding.Of(run.Status, run.Attempt, job.MaxAttempts, job.Name);
                if (ending.Retries)
                {
                    // The next attempt counts its upstream statuses like an enqueue; an upstream job that is not
                    // locked came through an edge added while this transaction waited: start again.
                    if (upstream.Any(u => !locked.Contains(u.Id)))
                    {
                        return null;
                    }

                    var next = ending.Retry(end.RetryPolicy, end.Now, Random.Shared.NextDouble());
                    var retry = new NewRun(0, job.Id, next.Attempt, job.Priority, upstream.Count(u => !u.Succeeded), next.AvailableAt, row.PipelineRunId, row.Input) { Trace = row.Trace };
                    var retries = await InsertRunsAsync(connection, transaction, [retry], end.Now, cancellationToken);
                    if (AnyReadyNow([retry], end.Now))
                    {
                        await NotifyRunsReadyAsync(connection, transaction, new ClientId(job.ClientId), cancellationToken);
                    }

                    return new RunCompletion(run, retries[0], []);
                }

                if (ending.CascadeReason is { } reason)
                {
                    return new RunCompletion(run, null, await EndForGoodAsync(connection, transaction, run.Id, reason, end.Now, cancellationToken));
                }

                if (run.Status == RunStatus.Succeeded)
                {
                    await NotifyRunsReadyAsync(connection, transaction, new ClientId(job.ClientId), cancellationToken, jobsSucceeded: [job.Id]);
                }

                return new RunCompletion(run, null, []);
            },
            $"Run {end.RunId} could not be ended: the jobs it depends on kept changing.",
            cancellationToken);
    }

    // The run ended Failed for good or Cancelled: its job's latest status follows, and the pending runs of its transitive
    // dependents are cancelled with the ending's cascade reason. Returns their ids in order.
    private async Task<IReadOnlyList<RunId>> EndForGoodAsync(DbConnection connection, DbTransaction transaction, RunId runId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = await connection.QueryAsync<long>(Command(
            _runSql.EndForGood,
            new { runId = runId.Value, reason, now = _dialect.ToDb(now) },
            transaction,
            cancellationToken));
        return ids.Order().Select(id => new RunId(id)).ToArray();
    }

    // Why a client-scoped end changed nothing: the client has no such run, or the run is not Running.
    private async Task<Exception> IllegalEndAsync(DbConnection connection, DbTransaction transaction, ClientId client, RunId runId, RunStatus outcome, CancellationToken cancellationToken)
    {
        var current = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(
            _runSql.GetRun, new { client = client.Value, runId = runId.Value }, transaction, cancellationToken));
        if (current is null)
        {
            return new RunNotFoundException(runId);
        }

        var from = StatusText.Parse(current.Status);
        // Allowed now but refused a moment ago: the run changed status (a claim started it) in between.
        return RunTransitions.IsAllowed(from, outcome)
            ? new OrderLibConcurrencyException($"Run {runId} could not move to {outcome}: its status changed while it was being ended (it is {from} now).")
            : new IllegalRunTransitionException(runId, from, outcome);
    }

    /// <summary>How one run is ended (with the output a success records): client-scoped (<see cref="Client"/>) or fenced on the worker (<see cref="WorkerId"/>).</summary>
    private sealed record RunEnd(RunId RunId, RunStatus Outcome, string? Error, RunPayload? Output, DateTimeOffset Now, RetryPolicy RetryPolicy, ClientId? Client, WorkerId? WorkerId);

    /// <summary>The statements of enqueueing, starting, ending, cancelling and reading runs, beside the code that reads their results.</summary>
    private sealed class RunSql
    {
        // The job of the run @runId (a run never changes job).
        private const string JobOfRun = "(SELECT s.job_id FROM job_runs s WHERE s.id = @runId)";

        public RunSql(SqlDialect dialect, SharedSql shared)
        {
            var jobColumns = JobColumns("j.");
            var runColumns = RunColumns("r.");

            // The job row locked first by every operation that changes the job's latest run.
            var lockJobOfRun = $"""
                SELECT j.id FROM jobs j JOIN job_runs r ON r.job_id = j.id
                WHERE r.id = @runId AND j.client_id = @client{dialect.ForUpdateOf("j")};
                """;

            // The run, when it belongs to the client (for guards inside UPDATEs of job_runs).
            const string runInClient = "EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = job_runs.job_id AND cj.client_id = @client)";

            // Locks the job row for update and its upstream job rows for share, all in ascending id order (upstream
            // below the job, the job, upstream above it), then reads the job's active run and, with a fresh snapshot
            // taken while the job row is held, its upstream jobs' latest statuses. Locking the job first and its
            // upstream jobs after it deadlocks: an enqueue of X holding X would wait for a shared upstream U behind a
            // queued finish of U, which waits for an enqueue of a job depending on both U and X, which waits for X.
            string LockUpstream(string side) => $"""
                SELECT j.id FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                WHERE d.job_id = @jobId AND j.client_id = @client AND j.id {side} @jobId
                ORDER BY j.id{dialect.ForShareOf("j")};
                """;
            PrepareEnqueue = LockUpstream("<") + $"""
                SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client{dialect.ForUpdateOf("j")};
                """ + LockUpstream(">") + $"""
                SELECT {runColumns} FROM job_runs r
                WHERE r.job_id = @jobId AND r.status IN ('Pending', 'Running')
                  AND EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = @jobId AND cj.client_id = @client);
                SELECT j.id AS Id, j.name AS Name, j.latest_status AS LatestStatus
                FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                WHERE d.job_id = @jobId AND j.client_id = @client
                ORDER BY j.id;
                """;

            var insertRun = $"""
                INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at, input, trace_parent, trace_state)
                VALUES (@jobId, @client, 'Pending', 1, @priority, @waitingOn, @now, @now, @input, @traceParent, @traceState)
                RETURNING {RunColumns("")};
                UPDATE jobs SET latest_run_id = (SELECT MAX(n.id) FROM job_runs n WHERE n.job_id = @jobId), latest_status = 'Pending'
                WHERE id = @jobId;
                """;
            InsertRun = insertRun;

            // The job's latest run was a success and no longer is: its dependents' pending runs wait for it again.
            InsertRunAfterSuccess = insertRun + shared.ShiftDependents("+ 1", "SELECT @jobId");

            GetActiveRun = $"""
                SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.job_id = @jobId AND j.client_id = @client AND r.status IN ('Pending', 'Running');
                """;

            // A start leaves jobs.latest_status at 'Pending': only Succeeded versus not-Succeeded drives readiness, and a
            // claim, which locks no job row, cannot write it (see ClaimRuns).
            StartRun = lockJobOfRun + $"""
                UPDATE job_runs SET status = 'Running', started_at = @now, worker_id = @workerId, lease_expires_at = @leaseExpiresAt
                WHERE id = @runId AND {StatusIs("status", "Pending")} AND waiting_on = 0 AND available_at <= @now AND {runInClient}
                RETURNING {RunColumns("")};
                """;

            // What decides whether the run may start (why a start was refused, or an explanation): the run, its job, and the
            // upstream jobs whose latest run has not succeeded, each with the status of that run (read from the run:
            // jobs.latest_status is exact only about being 'Succeeded').
            RunFacts = $"""
                SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.id = @runId AND j.client_id = @client;
                SELECT {jobColumns} FROM jobs j
                WHERE j.id = (SELECT s.job_id FROM job_runs s WHERE s.id = @runId) AND j.client_id = @client;
                SELECT j.id AS Id, j.name AS Name, lr.status AS LatestStatus
                FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                LEFT JOIN job_runs lr ON lr.id = j.latest_run_id
                WHERE d.job_id = (SELECT s.job_id FROM job_runs s WHERE s.id = @runId) AND j.client_id = @client
                  AND (j.latest_status IS NULL OR j.latest_status <> 'Succeeded')
                ORDER BY j.id;
                """;

            // ---- ending one run: FinishRun (client-scoped, any holder) and CompleteRun (fenced on the worker id)

            // The job of the run, locked for update; for a failure (which may enqueue the next attempt, counting upstream
            // statuses like an enqueue) its upstream jobs are share-locked too, all in ascending id order, and their
            // latest statuses read afterwards. The run's own row comes after (run rows last).
            string LockForEnd(bool clientScoped, bool withUpstream)
            {
                var clientFilter = clientScoped ? " AND j.client_id = @client" : "";
                string Upstream(string side) => $"""
                    SELECT j.id FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                    WHERE d.job_id = {JobOfRun}{clientFilter} AND j.id {side} {JobOfRun}
                    ORDER BY j.id{dialect.ForShareOf("j")};
                    """;
                var job = $"""
                    SELECT {jobColumns} FROM jobs j WHERE j.id = {JobOfRun}{clientFilter}{dialect.ForUpdateOf("j")};
                    """;
                return withUpstream
                    ? Upstream("<") + job + Upstream(">") + $"""
                        SELECT j.id AS Id, j.name AS Name, j.latest_status AS LatestStatus
                        FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                        WHERE d.job_id = {JobOfRun}{clientFilter}
                        ORDER BY j.id;
                        """
                    : job;
            }

            // The guard that the caller may end the run: it belongs to the client, or the worker holds it.
            static string Fence(bool clientScoped, string table) => clientScoped
                ? $"EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = {table}.job_id AND cj.client_id = @client)"
                : $"{table}.worker_id = @workerId";

            // thisRun: the ended run as a query, for the one run-row pass (SharedSql.LockedRuns).
            const string thisRun = "SELECT CAST(@runId AS BIGINT)";

            // For a failure or cancellation the run's own row is locked in the same ascending pass as the pending runs its
            // cascade will cancel (the latest runs of the job's transitive dependents, when the ending is for good: not a
            // failure with attempts left, as RunEnding.Of decides), before the run is updated: locking the run alone first,
            // and the cascade's runs after it, deadlocks against a shift that holds one of them (below the run) and waits on
            // the run; the cascade (EndForGood) then finds them held. Such an ending (a failure) may retry the run, so it
            // returns the run's input too, which the retry carries with its pipeline run id.
            string EndRunning(bool clientScoped, bool locksCascade) => $"""
                UPDATE job_runs SET status = @outcome, finished_at = @now, lease_expires_at = NULL, error = @error, output = @output
                WHERE id = @runId AND {StatusIs("status", "Running")} AND {Fence(clientScoped, "job_runs")}{(locksCascade ? $"""

                  AND id IN ({shared.LockedRuns($"""
                    WITH RECURSIVE down(id) AS (
                        SELECT d.job_id FROM job_dependencies d
                        WHERE d.depends_on_job_id = {JobOfRun}
                          AND EXISTS (SELECT 1 FROM job_runs s JOIN jobs sj ON sj.id = s.job_id
                                      WHERE s.id = @runId AND (@outcome <> 'Failed' OR s.attempt >= sj.max_attempts))
                        UNION
                        SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
                    )
                    SELECT dj.latest_run_id FROM down JOIN jobs dj ON dj.id = down.id
                    """, thisRun)})
                """ : "")}
                RETURNING {RunColumns("")}{(locksCascade ? ", input AS Input, " + TraceColumns("") : "")};
                """;

            // Mirrors the ended run's status into its job (whose row this transaction holds).
            const string syncEndedStatus = $"""
                UPDATE jobs SET latest_status = (SELECT s.status FROM job_runs s WHERE s.id = @runId)
                WHERE id = {JobOfRun} AND latest_run_id = @runId;
                """;

            // A success makes the job's dependents' pending runs wait for one job fewer. The decrement comes before the
            // run's own update so that its guard reads the run's state before this call: it applies only while the run
            // is still Running (and held by the caller), so a refused finish changes nothing. The run's own row cannot
            // change status meanwhile: every writer that ends a job's run locks the job row first (a claim only takes
            // Pending runs), and this transaction holds it. The run's own row is locked in the decrement's pass, in id order
            // among its dependents' runs (thisRun): a shift that kept its lock on the run after a claim took it (PostgreSQL
            // keeps a lock the re-check drops) may hold it and wait for a dependent's run above it, so the ending must not
            // hold that run while it waits for its own; and locking its own row alone first would deadlock against a shift
            // holding a dependent's run below it. The set cannot grow before the update: a dependent's new run needs this
            // job's row, held here.
            string EndSucceeded(bool clientScoped) => LockForEnd(clientScoped, withUpstream: false) + shared.ShiftDependents(
                "- 1",
                $"""
                SELECT s.job_id FROM job_runs s
                WHERE s.id = @runId AND {StatusIs("s.status", "Running")} AND {Fence(clientScoped, "s")}
                """,
                thisRun) + EndRunning(clientScoped, locksCascade: false) + syncEndedStatus;

            FinishSucceeded = EndSucceeded(clientScoped: true);
            CompleteSucceeded = EndSucceeded(clientScoped: false);
            FinishFailed = LockForEnd(clientScoped: true, withUpstream: true) + EndRunning(clientScoped: true, locksCascade: true);
            CompleteFailed = LockForEnd(clientScoped: false, withUpstream: true) + EndRunning(clientScoped: false, locksCascade: true);
            CompleteCancelled = LockForEnd(clientScoped: false, withUpstream: false) + EndRunning(clientScoped: false, locksCascade: true);

            // Cancelling: the job row locked, then the run read (client-scoped).
            CancelRunPrepare = LockForEnd(clientScoped: true, withUpstream: false) + $"""
                SELECT {runColumns} FROM job_runs r
                WHERE r.id = @runId AND EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = r.job_id AND cj.client_id = @client);
                """;

            // A Running run is only marked: its worker stops at its next heartbeat and reports it Cancelled. Asking again
            // changes nothing. (Only a transaction holding the job row ends a Running run, and this one holds it.)
            MarkCancelRequested = $"""
                UPDATE job_runs SET cancel_requested = TRUE
                WHERE id = @runId AND {StatusIs("status", "Running")}
                RETURNING {RunColumns("")};
                """;

            // A Pending run is cancelled with @reason together with the pending runs of the job's transitive dependents
            // (@upstreamReason), all locked in ONE pass in id order: locking the run first and the dependents' runs after
            // it deadlocks against another cascade that reaches both. The caller checks that the run itself was among
            // them (a claim may have taken it meanwhile) and rolls back otherwise. Then the job's latest status follows.
            CancelPendingRun = $"""
                WITH RECURSIVE down(id) AS (
                    SELECT s.job_id FROM job_runs s WHERE s.id = @runId
                    UNION
                    SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
                )
                UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL,
                    error = CASE WHEN id = @runId THEN @reason ELSE @upstreamReason END
                WHERE status = 'Pending' AND id IN (
                    SELECT r.id FROM down JOIN jobs dj ON dj.id = down.id JOIN job_runs r ON r.id = dj.latest_run_id
                    WHERE r.status = 'Pending'
                    ORDER BY r.id{dialect.ForUpdateOf("r")})
                RETURNING {RunColumns("")};
                """ + syncEndedStatus;

            // Ends a run Failed or Cancelled for good: its job's latest status follows, and the pending runs of every job
            // that depends on the job, directly or transitively, are cancelled with @reason. The dependents are walked
            // through ix_job_dependencies_depends_on; each one's pending run is its latest run (primary keys only); the
            // runs are locked in id order, and a run that stopped being Pending meanwhile (claimed) is left alone.
            // Their jobs' latest_status is left at 'Pending' (Cancelled is not Succeeded either, so no count changes),
            // which is what keeps this statement from locking job rows after run rows. The ending's one run-row pass
            // (EndRunning) took these runs already; one it did not take became a dependent's pending run after it, and if
            // another transaction holds it, it is skipped (left pending, as if created after this ending), never waited for.
            EndForGood = syncEndedStatus + $"""
                WITH RECURSIVE down(id) AS (
                    SELECT d.job_id FROM job_dependencies d WHERE d.depends_on_job_id = {JobOfRun}
                    UNION
                    SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
                )
                UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL, error = @reason
                WHERE status = 'Pending' AND id IN (
                    SELECT r.id FROM down JOIN jobs dj ON dj.id = down.id JOIN job_runs r ON r.id = dj.latest_run_id
                    WHERE r.status = 'Pending'
                    ORDER BY r.id{dialect.ForUpdateOf("r")}{dialect.SkipLocked})
                RETURNING id;
                """;

            GetRun = $"""
                SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.id = @runId AND j.client_id = @client;
                """;

            GetRunPayloads = """
                SELECT r.input AS Input, r.output AS Output FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.id = @runId AND j.client_id = @client;
                """;

            // The job (no row when the client has no such job), with one row per upstream job (one row of nulls when it has
            // none), each with its latest Succeeded run: the job's runs are walked newest first through ix_job_runs_job
            // (job_id, id), which usually stops at the first (a downstream run starts after its upstream's latest success).
            GetUpstreamOutputs = """
                SELECT u.id AS JobId, u.name AS JobName, s.id AS RunId, s.output AS Output
                FROM jobs t
                LEFT JOIN job_dependencies d ON d.job_id = t.id
                LEFT JOIN jobs u ON u.id = d.depends_on_job_id AND u.client_id = @client
                LEFT JOIN job_runs s ON s.id = (
                    SELECT l.id FROM job_runs l WHERE l.job_id = u.id AND l.status = 'Succeeded'
                    ORDER BY l.id DESC LIMIT 1)
                WHERE t.id = @jobId AND t.client_id = @client;
                """;

            ListRuns = SharedSql.CountJob + $"""
                SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.job_id = @jobId AND j.client_id = @client AND r.id < @before
                ORDER BY r.id DESC LIMIT @limit;
                """;

            ListLatestRuns = $"""
                SELECT {jobColumns}, {runColumns}
                FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id
                WHERE j.client_id = @client AND j.id > @after
                ORDER BY j.id LIMIT @limit;
                """;

            // Reads the ready set in order through the partial index ix_job_runs_ready (priority DESC, id)
            // WHERE status = 'Pending' AND waiting_on = 0, stopping at the limit; the dependency graph is never consulted.
            // CROSS JOIN makes SQLite keep job_runs as the outer loop even without statistics (PostgreSQL plans it as
            // an ordinary join).
            ListReadyRuns = $"""
                SELECT {runColumns} FROM job_runs r CROSS JOIN jobs j
                WHERE j.id = r.job_id AND r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now AND j.client_id = @client
                ORDER BY r.priority DESC, r.id LIMIT @limit;
                """;
        }

        public string PrepareEnqueue { get; }

        public string InsertRun { get; }

        public string InsertRunAfterSuccess { get; }

        public string GetActiveRun { get; }

        public string StartRun { get; }

        public string RunFacts { get; }

        public string FinishSucceeded { get; }

        public string FinishFailed { get; }

        public string CompleteSucceeded { get; }

        public string CompleteFailed { get; }

        public string CompleteCancelled { get; }

        public string CancelRunPrepare { get; }

        public string MarkCancelRequested { get; }

        public string CancelPendingRun { get; }

        public string EndForGood { get; }

        public string GetRun { get; }

        public string GetRunPayloads { get; }

        public string GetUpstreamOutputs { get; }

        public string ListRuns { get; }

        public string ListLatestRuns { get; }

        public string ListReadyRuns { get; }
    }
}
