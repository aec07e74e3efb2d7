using System.Data.Common;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// The store shared by the SQLite and PostgreSQL adapters: one set of queries (Dapper over ADO.NET), with the few
/// dialect differences supplied by the provider assembly. Every write is one transaction; a refused operation
/// leaves nothing behind.
/// </summary>
/// <remarks>
/// <para>
/// Readiness is kept incrementally: <c>jobs.latest_run_id</c> is a job's newest run, <c>jobs.latest_status</c> says
/// exactly whether that run Succeeded (creating a run writes 'Pending', ending one through its job writes the final
/// status; a claim or start and the upstream-failure cascade leave 'Pending' — they lock no job row), and a pending
/// run's <c>waiting_on</c> counts the jobs it depends on whose latest run has not succeeded. The count changes when an
/// upstream job's latest run starts or stops being a success (enqueue after a success, success) and when edges come
/// and go, so claiming or listing ready runs reads a small partial index and never the graph. Statuses shown to
/// callers are read from the runs.
/// </para>
/// <para>
/// Lock discipline on PostgreSQL (READ COMMITTED; SQLite serialises writers with <c>BEGIN IMMEDIATE</c> instead),
/// which prevents lost updates of <c>waiting_on</c> and keeps lock orders acyclic — advisory lock, then job rows,
/// then run rows:
/// </para>
/// <list type="number">
/// <item>Graph changes (add or remove a dependency, delete a job) and triggering a pipeline first take a
/// transaction-scoped advisory lock on the client, so two of them never interleave (of X→Y and Y→X added at once,
/// exactly one wins) and a trigger's sub-graph cannot change under it.</item>
/// <item>Job rows come next, and every transaction that locks more than one takes them in one pass in ascending
/// id order. An operation that creates a job's run or ends one through its job (enqueue, start, finish, complete,
/// cancel, trigger, rescue) locks that job's row <c>FOR UPDATE</c> (so do updating and deleting a job); one that
/// reads upstream jobs' <c>latest_status</c> to count <c>waiting_on</c> (enqueue; a failure that may create the next
/// attempt; add or remove a dependency, which share-lock both of its jobs) locks those rows <c>FOR SHARE</c>, so the
/// statuses it counted cannot change before it commits, and a concurrent status change waits and then sees its edge
/// or its new run. Enqueue interleaves the two strengths by id (upstream jobs below the job, the job, upstream jobs
/// above it): locking the job first and its upstream jobs after it was seen to deadlock, because a queued
/// <c>FOR UPDATE</c> waiter makes a later <c>FOR SHARE</c> request wait too. A trigger locks all its jobs
/// <c>FOR UPDATE</c> in one pass.</item>
/// <item>Run rows come last. Every transaction takes its locks on Pending runs in ONE statement, in id order, and
/// then waits for no other Pending run: the dependents' runs a success releases, the runs a cascade cancels (with
/// the cancelled run itself, for a cancel), the runs a trigger shifts, the runs a job delete touches. (Cancelling a
/// pending run first and its dependents after was seen to deadlock against another cascade.) A Running run is
/// locked only by whoever ends or extends it, holding its job row — or nothing else, for a heartbeat. After run rows
/// a transaction waits for no job row.</item>
/// <item>Claim and rescue never wait for a lock: a claim locks ready runs <c>FOR UPDATE SKIP LOCKED</c> and no job
/// row; a rescue locks expired runs with their jobs, and the upstream jobs of its retries, <c>SKIP LOCKED</c>, leaving
/// what it could not lock for the next rescue. Neither can therefore take part in a deadlock.</item>
/// <item>The scheduler (<see cref="EnqueueDueRunsAsync"/>) never waits for a job row either: it locks the due jobs
/// <c>FOR UPDATE SKIP LOCKED</c> (earliest due first) and their upstream jobs <c>FOR SHARE SKIP LOCKED</c>, leaving a job
/// whose rows are held elsewhere due for the next call; then, holding only those job rows, it takes its Pending-run locks
/// (the dependents' runs it shifts) in one ascending pass, like any other operation.</item>
/// </list>
/// <para>
/// Everything runs at READ COMMITTED: each statement of a batch sees what committed before it started, and a row
/// lock that had to wait returns the row as its holder left it. A transaction that finds its inputs changed under it
/// (an edge added while it waited for a job row, a run claimed between reading and locking it) rolls back and runs
/// again.
/// </para>
/// </remarks>
public abstract partial class RelationalOrderLibStore : IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore
{
    private const string JobsUniqueName = "ux_jobs_client_name";
    private const string OneActiveRun = "ux_job_runs_one_active";

    // How often a transaction that found its inputs changing under it is tried (RetryOnChangeAsync).
    private const int ChangedInputAttempts = 5;

    private readonly SqlDialect _dialect;
    private readonly RelationalSql _sql;

    internal RelationalOrderLibStore(SqlDialect dialect, StoreCapabilities capabilities)
    {
        _dialect = dialect;
        _sql = new RelationalSql(dialect);
        Capabilities = capabilities;
    }

    /// <summary>What this adapter supports: a schema managed by the migrator, shared across processes.</summary>
    public StoreCapabilities Capabilities { get; }

    // ---------------------------------------------------------------- jobs

    /// <summary>
    /// Creates a job; the id comes from the database. A scheduled job is first due at its schedule's first occurrence
    /// after <paramref name="now"/>.
    /// </summary>
    /// <exception cref="DuplicateJobNameException">The client has a job with that name already (decided by the unique index, so it holds under concurrency).</exception>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid; nothing is written.</exception>
    public async Task<Job> CreateJobAsync(ClientId client, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        now = now.ToUniversalTime();
        var nextDueAt = JobSchedules.NextDueAt(definition.Schedule, now);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(Command(
                _sql.InsertJob,
                JobWriteParameters(client, jobId: null, definition, nextDueAt, now),
                null,
                cancellationToken));
            return Job.Create(new JobId(id), client, definition, now) with { NextDueAt = nextDueAt };
        }
        catch (DbException ex) when (_dialect.IsUniqueViolation(ex, JobsUniqueName, "jobs"))
        {
            throw new DuplicateJobNameException(client, definition.Name);
        }
    }

    // The parameters of the job insert and update statements (the insert has no @jobId).
    private object JobWriteParameters(ClientId client, JobId? jobId, JobDefinition definition, DateTimeOffset? nextDueAt, DateTimeOffset now) => new
    {
        client = client.Value,
        jobId = jobId?.Value,
        name = definition.Name,
        description = definition.Description,
        priority = definition.Priority,
        maxAttempts = definition.MaxAttempts,
        schedule = definition.Schedule,
        nextDueAt = ToDbOrNull(nextDueAt),
        now = _dialect.ToDb(now),
    };

    /// <summary>Returns the client's job with that id, or null.</summary>
    public async Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(Command(
            _sql.GetJob, new { client = client.Value, jobId = jobId.Value }, null, cancellationToken));
        return row?.ToJob(_dialect);
    }

    /// <summary>Returns the client's job with exactly that name (after trimming), or null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public async Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(Command(
            _sql.GetJobByName, new { client = client.Value, name = name.Trim() }, null, cancellationToken));
        return row?.ToJob(_dialect);
    }

    /// <summary>Lists the client's jobs in id order, at most <paramref name="limit"/>, after id <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public async Task<IReadOnlyList<Job>> ListJobsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(Command(
            _sql.ListJobs, new { client = client.Value, after = after?.Value ?? 0L, limit }, null, cancellationToken));
        return rows.Select(r => r.ToJob(_dialect)).ToArray();
    }

    /// <summary>
    /// Replaces the job's definition; a new priority is copied to its active run, so claim order follows it. The next due
    /// time is kept when the schedule text is unchanged, recomputed from <paramref name="now"/> when it changed, cleared
    /// when the schedule is removed — and computed from <paramref name="now"/> when the text is unchanged but the job has
    /// no due time (a job migrated from before schedules were read, see migration 2026112603).
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="DuplicateJobNameException">The new name is taken by another job of the client.</exception>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid; nothing is written.</exception>
    public async Task<Job> UpdateJobAsync(ClientId client, JobId jobId, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        now = now.ToUniversalTime();
        var nextDueAt = JobSchedules.NextDueAt(definition.Schedule, now);
        try
        {
            return await WriteAsync(
                async (connection, transaction) =>
                {
                    await using var grid = await connection.QueryMultipleAsync(Command(
                        _sql.UpdateJob,
                        JobWriteParameters(client, jobId, definition, nextDueAt, now),
                        transaction,
                        cancellationToken));
                    var row = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
                    return row.ToJob(_dialect);
                },
                cancellationToken);
        }
        catch (DbException ex) when (_dialect.IsUniqueViolation(ex, JobsUniqueName, "jobs"))
        {
            throw new DuplicateJobNameException(client, definition.Name);
        }
    }

    /// <summary>
    /// Deletes the job with its runs and its dependencies in both directions. With <paramref name="cascade"/>, the
    /// dependents' pending runs stop waiting for it.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="JobHasDependentsException">Other jobs depend on it and <paramref name="cascade"/> is false.</exception>
    public Task DeleteJobAsync(ClientId client, JobId jobId, bool cascade, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var param = new { client = client.Value, jobId = jobId.Value };
                JobRow job;
                string[] dependents;
                await using (var grid = await connection.QueryMultipleAsync(Command(_sql.LockJobForDelete, param, transaction, cancellationToken)))
                {
                    job = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
                    dependents = (await grid.ReadAsync<string>()).ToArray();
                }

                if (dependents.Length > 0 && !cascade)
                {
                    throw new JobHasDependentsException(jobId, dependents);
                }

                // Dependents counted this job while its latest run was not a success; with the edge gone they stop waiting.
                var sql = dependents.Length > 0 && job.LatestStatus != StatusText.Succeeded
                    ? _sql.DeleteJobReleasingDependents
                    : _sql.DeleteJob;
                await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
                return true;
            },
            cancellationToken);

    // ---------------------------------------------------------------- dependencies

    /// <summary>
    /// Records that <paramref name="jobId"/> depends on <paramref name="dependsOnJobId"/>, checking every rule in one
    /// transaction; the dependent's pending run, if any, then waits for the upstream job unless its latest run succeeded.
    /// </summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="SelfDependencyException">Both ids are the same job.</exception>
    /// <exception cref="DuplicateDependencyException">The dependency exists already.</exception>
    /// <exception cref="DependencyCycleException">The upstream job already depends, directly or not, on the dependent one; the cycle starts and ends at <paramref name="jobId"/>.</exception>
    public Task<JobDependency> AddDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var param = new { client = client.Value, jobId = jobId.Value, dependsOnJobId = dependsOnJobId.Value, now = _dialect.ToDb(now) };
                var (job, dependsOn, exists) = await CheckDependencyAsync(connection, transaction, param, jobId, dependsOnJobId, cancellationToken);
                var dependency = JobDependency.Create(job.ToJob(_dialect), dependsOn.ToJob(_dialect), now.ToUniversalTime());
                if (exists)
                {
                    throw new DuplicateDependencyException(jobId, dependsOnJobId);
                }

                var edges = (await connection.QueryAsync<EdgeRow>(Command(_sql.FindCycleEdges, param, transaction, cancellationToken))).ToArray();
                if (edges.Length > 0)
                {
                    var upstream = edges.ToLookup(e => new JobId(e.JobId), e => new JobId(e.DependsOnJobId));
                    // Cannot be null: the edges are the upstream job's ancestry, which reaches the dependent one.
                    var cycle = DependencyGraph.CycleClosedBy(jobId, dependsOnJobId, id => upstream[id])
                                ?? throw new InvalidOperationException($"Job {dependsOnJobId} reaches job {jobId} but no path was found.");
                    throw new DependencyCycleException(jobId, dependsOnJobId, cycle);
                }

                var sql = dependsOn.LatestStatus == StatusText.Succeeded ? _sql.InsertDependency : _sql.InsertDependencyAndWait;
                await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
                return dependency;
            },
            cancellationToken);

    /// <summary>Removes the dependency; a pending run of the dependent job stops waiting for the upstream job.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="DependencyNotFoundException">The jobs exist but the dependency does not.</exception>
    public Task RemoveDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var param = new { client = client.Value, jobId = jobId.Value, dependsOnJobId = dependsOnJobId.Value };
                var (_, dependsOn, exists) = await CheckDependencyAsync(connection, transaction, param, jobId, dependsOnJobId, cancellationToken);
                if (!exists)
                {
                    throw new DependencyNotFoundException(jobId, dependsOnJobId);
                }

                var sql = dependsOn.LatestStatus == StatusText.Succeeded ? _sql.DeleteDependency : _sql.DeleteDependencyAndStopWaiting;
                await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
                return true;
            },
            cancellationToken);

    /// <summary>The jobs <paramref name="jobId"/> depends on directly, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) =>
        ListNeighboursAsync(_sql.ListUpstream, client, jobId, cancellationToken);

    /// <summary>The jobs that depend directly on <paramref name="jobId"/>, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) =>
        ListNeighboursAsync(_sql.ListDownstream, client, jobId, cancellationToken);

    // ---------------------------------------------------------------- runs

    /// <summary>
    /// Creates a pending first attempt available at <paramref name="now"/>, waiting on every upstream job whose latest run
    /// has not succeeded, or returns the job's active run unchanged (<see cref="EnqueueResult.Created"/> false).
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public async Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var param = new { client = client.Value, jobId = jobId.Value };
        return await RetryOnChangeAsync(
            async () =>
            {
                try
                {
                    return await TryWriteAsync((connection, transaction) => EnqueueAsync(connection, transaction, client, jobId, now, cancellationToken), cancellationToken);
                }
                catch (DbException ex) when (_dialect.IsUniqueViolation(ex, OneActiveRun, "job_runs"))
                {
                    // Another caller created the job's active run first (the unique index is the last guard): return theirs,
                    // or try again when it ended meanwhile.
                    await using var connection = await _dialect.OpenAsync(cancellationToken);
                    var winner = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(_sql.GetActiveRun, param, null, cancellationToken));
                    return winner is null ? null : new EnqueueResult(winner.ToRun(_dialect), Created: false);
                }
            },
            $"Job {jobId} could not be enqueued: its dependencies or its active run kept changing while it was being enqueued.",
            cancellationToken);
    }

    /// <summary>
    /// Starts the run for <paramref name="workerId"/> when it is pending, available and waits on nothing, holding it until
    /// <paramref name="leaseExpiresAt"/>.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    /// <exception cref="RunNotAvailableException">The run is not available yet.</exception>
    /// <exception cref="DependenciesNotSatisfiedException">Some upstream job's latest run has not succeeded; each is named, in job id order.</exception>
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
                var run = await ChangeRunAsync(connection, transaction, _sql.StartRun, param, cancellationToken);
                if (run is not null)
                {
                    return run;
                }

                await using var grid = await connection.QueryMultipleAsync(Command(_sql.DiagnoseStart, param, transaction, cancellationToken));
                var current = await grid.ReadSingleOrDefaultAsync<RunRow>() ?? throw new RunNotFoundException(runId);
                var unsatisfied = (await grid.ReadAsync<UpstreamRow>()).Select(u => u.ToUnsatisfied()).ToArray();
                var found = current.ToRun(_dialect);
                RunTransitions.Ensure(runId, found.Status, RunStatus.Running);
                if (found.AvailableAt > now)
                {
                    throw new RunNotAvailableException(runId, found.AvailableAt);
                }

                if (unsatisfied.Length > 0)
                {
                    throw new DependenciesNotSatisfiedException(runId, unsatisfied);
                }

                return null;
            },
            $"Run {runId} could not be started: it is pending and available, but the jobs it depends on kept changing between its start and the check of its dependencies.",
            cancellationToken);
    }

    /// <summary>
    /// Finishes the running run as Succeeded or Failed, whichever worker holds it (keeping <paramref name="errorText"/> only
    /// for a failure), and clears its lease. A success makes the job's dependents' pending runs wait for one job fewer;
    /// a failure with attempts left enqueues the next attempt after <paramref name="retryPolicy"/>'s backoff, and a
    /// failure for good cancels the pending runs of the job's transitive dependents.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not Succeeded or Failed.</exception>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running.</exception>
    public Task<RunCompletion> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A run finishes as Succeeded or Failed.");
        }

        return EndRunAsync(new RunEnd(runId, outcome, RunEnding.ErrorOf(outcome, errorText), now.ToUniversalTime(), retryPolicy, client, null), cancellationToken);
    }

    /// <summary>
    /// Cancels the run: a Pending run at once (<paramref name="reason"/> as its error text), with the pending runs of the
    /// job's transitive dependents; a Running run is only marked <see cref="JobRun.CancelRequested"/> for its worker.
    /// </summary>
    /// <returns>The run as it is now: Cancelled, or Running with <see cref="JobRun.CancelRequested"/> set.</returns>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is already terminal.</exception>
    public Task<JobRun> CancelRunAsync(ClientId client, RunId runId, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        now = now.ToUniversalTime();
        return WriteOrRetryAsync(
            async (connection, transaction) =>
            {
                var param = new { client = client.Value, runId = runId.Value, reason, now = _dialect.ToDb(now), upstreamReason = (string?)null };
                JobRow? job;
                RunRow? row;
                await using (var grid = await connection.QueryMultipleAsync(Command(_sql.CancelRunPrepare, param, transaction, cancellationToken)))
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
                    var marked = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(_sql.MarkCancelRequested, param, transaction, cancellationToken))
                                 ?? throw new InvalidOperationException($"Run {runId} stopped running while its job was locked.");
                    return marked.ToRun(_dialect);
                }

                var cancelled = (await connection.QueryAsync<RunRow>(Command(
                    _sql.CancelPendingRun,
                    param with { upstreamReason = RunEnding.Of(RunStatus.Cancelled, row.Attempt, job.MaxAttempts, job.Name).CascadeReason },
                    transaction,
                    cancellationToken))).ToArray();

                // A claim took the run between the read and the lock: roll back and look again (it is Running now).
                return cancelled.FirstOrDefault(r => r.Id == runId.Value)?.ToRun(_dialect);
            },
            $"Run {runId} could not be cancelled: its status kept changing.",
            cancellationToken);
    }

    /// <summary>
    /// Enqueues the job and every job that depends on it, directly or transitively, in one transaction; a job with an
    /// active run keeps it. New runs wait on the upstream jobs that have not succeeded, counting the runs created here.
    /// </summary>
    /// <returns>One result per job: the job first, then its dependents upstream before downstream, ties by job id.</returns>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<EnqueueResult>> TriggerPipelineAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => TriggerAsync(connection, transaction, client, jobId, now.ToUniversalTime(), cancellationToken), cancellationToken);

    /// <summary>Returns the client's run with that id, or null.</summary>
    public async Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(
            _sql.GetRun, new { client = client.Value, runId = runId.Value }, null, cancellationToken));
        return row?.ToRun(_dialect);
    }

    /// <summary>The job's runs newest first, at most <paramref name="limit"/>, older than run <paramref name="before"/> when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public async Task<IReadOnlyList<JobRun>> ListRunsAsync(ClientId client, JobId jobId, RunId? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(Command(
            _sql.ListRuns,
            new { client = client.Value, jobId = jobId.Value, before = before?.Value ?? long.MaxValue, limit },
            null,
            cancellationToken));
        if (await grid.ReadSingleAsync<long>() == 0)
        {
            throw new JobNotFoundException(jobId);
        }

        return (await grid.ReadAsync<RunRow>()).Select(r => r.ToRun(_dialect)).ToArray();
    }

    /// <summary>The client's jobs in id order after <paramref name="after"/>, each with its newest run or null, at most <paramref name="limit"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public async Task<IReadOnlyList<JobWithLatestRun>> ListLatestRunsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow, RunRow?, JobWithLatestRun>(
            Command(_sql.ListLatestRuns, new { client = client.Value, after = after?.Value ?? 0L, limit }, null, cancellationToken),
            (job, run) => new JobWithLatestRun(job.ToJob(_dialect), run?.ToRun(_dialect)),
            splitOn: "Id");
        return rows.ToArray();
    }

    /// <summary>
    /// The client's pending runs that are available at <paramref name="now"/> and wait on no upstream job, highest
    /// priority first, then oldest, at most <paramref name="limit"/>. Reads a partial index; reserves nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public async Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRow>(Command(
            _sql.ListReadyRuns, new { client = client.Value, now = _dialect.ToDb(now), limit }, null, cancellationToken));
        return rows.Select(r => r.ToRun(_dialect)).ToArray();
    }

    // ---------------------------------------------------------------- helpers

    private static CommandDefinition Command(string sql, object param, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, param, transaction, cancellationToken: cancellationToken);

    // A nullable timestamp parameter: the dialect's value, or null.
    private object? ToDbOrNull(DateTimeOffset? value) => value is { } v ? _dialect.ToDb(v) : null;

    // Runs one write transaction: committed when the work returns, rolled back when it throws.
    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    // Runs one write transaction whose work returns null when its inputs changed under it: committed when the work returns
    // a result, rolled back when it returns null (or throws).
    private async Task<T?> TryWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T?>> work, CancellationToken cancellationToken)
        where T : class
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
        var result = await work(connection, transaction);
        if (result is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    // TryWriteAsync until the work returns a result (see RetryOnChangeAsync).
    private Task<T> WriteOrRetryAsync<T>(Func<DbConnection, DbTransaction, Task<T?>> work, string whatKeptChanging, CancellationToken cancellationToken)
        where T : class =>
        RetryOnChangeAsync(() => TryWriteAsync(work, cancellationToken), whatKeptChanging, cancellationToken);

    // The one retry loop of the store: tries the attempt (one or more transactions) until it returns a result, at most
    // ChangedInputAttempts times; null means its inputs changed under it (an edge added while it waited for a lock, a run
    // claimed between reading and locking it) and it left nothing behind. Exhausted, it throws OrderLibConcurrencyException
    // with whatKeptChanging.
    private static async Task<T> RetryOnChangeAsync<T>(Func<Task<T?>> attempt, string whatKeptChanging, CancellationToken cancellationToken)
        where T : class
    {
        for (var tried = 0; tried < ChangedInputAttempts; tried++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await attempt() is { } result)
            {
                return result;
            }
        }

        throw new OrderLibConcurrencyException($"{whatKeptChanging} Tried {ChangedInputAttempts} times.");
    }

    // Null when an edge was added between locking the upstream jobs and reading them (the caller tries again).
    private async Task<EnqueueResult?> EnqueueAsync(DbConnection connection, DbTransaction transaction, ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        JobRow job;
        RunRow? active;
        UpstreamRow[] upstream;
        HashSet<long> locked;
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _sql.PrepareEnqueue, new { client = client.Value, jobId = jobId.Value }, transaction, cancellationToken)))
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

        var sql = job.LatestStatus == StatusText.Succeeded ? _sql.InsertRunAfterSuccess : _sql.InsertRun;
        var param = new
        {
            client = client.Value,
            jobId = jobId.Value,
            priority = job.Priority,
            waitingOn = upstream.Count(u => !u.Succeeded),
            now = _dialect.ToDb(now),
        };
        await using var inserted = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken));
        var run = await inserted.ReadSingleAsync<RunRow>();
        return new EnqueueResult(run.ToRun(_dialect), Created: true);
    }

    // Runs a lock-then-update batch whose second result set is the changed run (none when the guard refused).
    private async Task<JobRun?> ChangeRunAsync(DbConnection connection, DbTransaction transaction, string sql, object param, CancellationToken cancellationToken)
    {
        await using var grid = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken));
        _ = await grid.ReadAsync<long>();
        var row = await grid.ReadSingleOrDefaultAsync<RunRow>();
        return row?.ToRun(_dialect);
    }

    private async Task<(JobRow Job, JobRow DependsOn, bool Exists)> CheckDependencyAsync(
        DbConnection connection, DbTransaction transaction, object param, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken)
    {
        await using var grid = await connection.QueryMultipleAsync(Command(_sql.CheckDependency, param, transaction, cancellationToken));
        var jobs = (await grid.ReadAsync<JobRow>()).ToArray();
        var exists = await grid.ReadSingleAsync<long>() > 0;
        var job = jobs.FirstOrDefault(j => j.Id == jobId.Value) ?? throw new JobNotFoundException(jobId);
        var dependsOn = jobs.FirstOrDefault(j => j.Id == dependsOnJobId.Value) ?? throw new JobNotFoundException(dependsOnJobId);
        return (job, dependsOn, exists);
    }

    private async Task<IReadOnlyList<Job>> ListNeighboursAsync(string sql, ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(Command(sql, new { client = client.Value, jobId = jobId.Value }, null, cancellationToken));
        if (await grid.ReadSingleAsync<long>() == 0)
        {
            throw new JobNotFoundException(jobId);
        }

        return (await grid.ReadAsync<JobRow>()).Select(r => r.ToJob(_dialect)).ToArray();
    }
}
