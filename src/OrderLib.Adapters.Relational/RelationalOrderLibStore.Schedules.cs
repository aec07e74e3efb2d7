using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// The scheduler's port: enqueueing the runs of due jobs and the earliest due time. The lock discipline is described on
// the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One transaction of three round trips whatever the number of jobs, four when runs are created (their pipeline runs,
    /// inserted in one statement, return the ids the runs carry). On PostgreSQL the due jobs, and the upstream jobs
    /// whose statuses the new runs count, are locked <c>SKIP LOCKED</c>: concurrent schedulers share the due jobs and never
    /// wait for each other, and a due job whose rows another transaction holds stays due for the next call.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="clients"/> is null.</exception>
    public async Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueRunsAsync(DateTimeOffset now, Clients clients, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        now = now.ToUniversalTime();
        var clientIds = ClientValues(clients);
        return await WriteAsync((connection, transaction) => EnqueueDueAsync(connection, transaction, now, clientIds, limit, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Reads the index <c>ix_jobs_next_due</c> in order, stopping at the first row of a served client.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="clients"/> is null.</exception>
    public async Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var sql = clients.IsAll ? _scheduleSql.EarliestDueAt : _scheduleSql.EarliestClientDueAt;
        var value = await ConnectAsync(
            connection => connection.ExecuteScalarAsync<object?>(Command(sql, new { clients = ClientValues(clients) }, null, cancellationToken)),
            cancellationToken);
        return value is null or DBNull ? null : _dialect.FromDb(value);
    }

    private static string[] ClientValues(Clients clients) =>
        clients.Ids?.Select(c => c.Value).ToArray() ?? [];

    // Three round trips, four when runs are created: (1) the due jobs, locked for update (PostgreSQL: SKIP LOCKED); (2) in statements that see them as
    // they are now, their active runs, their upstream jobs share-locked (SKIP LOCKED) with the upstream statuses, and the
    // pending runs of the dependents of those that had Succeeded; (2b) when runs are to be created, one pipeline run each, in
    // one INSERT that returns their ids; (3) one batch of writes: the new runs, the dependents' pending runs shifted, the pipeline runs' members,
    // the due times advanced. Which job gets a run, each run's count of unsatisfied upstream jobs and
    // each job's next due time are decided in between, in C#, by the code that triggering a pipeline uses too.
    private async Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueAsync(
        DbConnection connection, DbTransaction transaction, DateTimeOffset now, string[] clients, int limit, CancellationToken cancellationToken)
    {
        // (1) The due jobs. Every job row this transaction holds from here on is one of them, held until it commits, so
        // their edges, active runs and statuses change only as described at each step below.
        var lockDue = clients.Length == 0 ? _scheduleSql.LockDueJobs : _scheduleSql.LockDueClientJobs;
        var due = (await connection.QueryAsync<JobRow>(Command(
            lockDue, new { now = _dialect.ToDb(now), clients, limit }, transaction, cancellationToken))).ToArray();
        if (due.Length == 0)
        {
            return [];
        }

        // (2) A due job's active run can still be claimed (it stays active) or cancelled by an upstream cascade (read here
        // as it is now, like an enqueue does), but no run of it is created or ended through it meanwhile. A job whose latest
        // run Succeeded has none; its dependents' pending runs are read to make them wait for its new run.
        var succeeded = due.Where(j => j.LatestStatus == StatusText.Succeeded).Select(j => j.Id).ToArray();
        var prepare = _scheduleSql.PrepareDueJobs + (succeeded.Length > 0 ? _scheduleSql.PendingRunsOfDependents : "");
        Dictionary<long, JobRun> active;
        HashSet<long> locked;
        UpstreamEdgeRow[] upstream;
        DependentRunRow[] dependentRuns = [];
        // Result sets: the due jobs' active runs; the upstream ids locked; the upstream edges with statuses; then, when
        // PendingRunsOfDependents is appended, the dependents' pending runs.
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         prepare, new { jobs = due.Select(j => j.Id).ToArray(), succeeded }, transaction, cancellationToken)))
        {
            active = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect));
            locked = [.. await grid.ReadAsync<long>()];
            upstream = (await grid.ReadAsync<UpstreamEdgeRow>()).ToArray();
            if (succeeded.Length > 0)
            {
                dependentRuns = (await grid.ReadAsync<DependentRunRow>()).ToArray();
            }
        }

        // A job that needs a new run but whose upstream jobs could not all be share-locked (another transaction holds one
        // for update) stays due, untouched, for the next call: its run could not count their statuses safely. A job that
        // keeps its active run counts nothing and is always consumed.
        var upstreamOf = upstream.ToLookup(u => u.JobId);
        var consumed = due
            .Where(j => active.ContainsKey(j.Id) || upstreamOf[j.Id].All(u => locked.Contains(u.Id)))
            .ToArray();
        if (consumed.Length == 0)
        {
            return [];
        }

        var upstreamSucceeded = upstream.GroupBy(u => u.Id).ToDictionary(g => g.Key, g => g.First().LatestStatus == StatusText.Succeeded);
        var plan = PlanEnqueue(
            consumed.Where(j => !active.ContainsKey(j.Id)).ToArray(),
            upstream.ToLookup(u => u.JobId, u => u.Id),
            u => upstreamSucceeded[u],
            dependentRuns.Select(d => (d.RunId, d.UpstreamJobId)),
            now);
        var nextDueAt = consumed.ToDictionary(j => j.Id, j => JobSchedules.NextDueAtOrEnd(j.Schedule, now));
        var advance = JsonSerializer.Serialize(consumed.Select(j => new
        {
            id = j.Id,
            next_due_at = nextDueAt[j.Id] is { } next ? SqlDialect.JsonTimestamp(next) : null,
        }));

        // One pipeline run of kind Schedule per run to create: the ids come back ascending in the order of the jobs.
        var pipelineRunIds = plan.Runs.Length == 0
            ? []
            : (await connection.QueryAsync<long>(Command(
                _scheduleSql.InsertScheduledPipelineRuns,
                new { jobs = JsonSerializer.Serialize(plan.Runs.Select(r => new { ord = r.Ord, job_id = r.JobId })), now = _dialect.ToDb(now) },
                transaction,
                cancellationToken))).Order().ToArray();
        plan = plan with { Runs = plan.Runs.Select((r, i) => r with { PipelineRunId = pipelineRunIds[i] }).ToArray() };
        var pipelineMembers = plan.Runs.Select(r => new PipelineMember(r.PipelineRunId!.Value, 0, r.JobId, JoinedRunId: null, IsRoot: true));

        // (3) Every write, one batch.
        var consumedClients = consumed.Select(j => j.ClientId).Distinct().Take(2).ToArray();
        var created = await WriteEnqueuePlanAsync(
            connection, transaction, plan, pipelineMembers, now, advance, consumedClients.Length == 1 ? new ClientId(consumedClients[0]) : null, cancellationToken);
        return consumed
            .Select(j => new ScheduledEnqueue(
                new ClientId(j.ClientId),
                new JobId(j.Id),
                j.Name,
                _dialect.FromDb(j.NextDueAt!),
                nextDueAt[j.Id],
                active.TryGetValue(j.Id, out var kept) ? new EnqueueResult(kept, Created: false) : new EnqueueResult(created[j.Id], Created: true)))
            .ToArray();
    }

    /// <summary>The statements of the scheduler's port, beside the code that reads their results.</summary>
    private sealed class ScheduleSql
    {
        public ScheduleSql(SqlDialect dialect, SharedSql shared)
        {
            var jobColumns = JobColumns("j.");

            // Up to @limit jobs due at @now (of the clients, or of all) that are not paused, earliest due first, then id, through
            // the partial index ix_jobs_next_due, locked for update (a pause in progress holds the row: skipped; one that
            // committed is seen when the locked row is re-checked). PostgreSQL skips the ones another transaction holds — another
            // scheduler's, or an enqueue, update or delete in progress — so concurrent schedulers share the due jobs
            // instead of queueing, and never wait here: that is why this lock, not in ascending id order, cannot deadlock.
            // A row another scheduler advanced just before the lock is re-checked against the WHERE clause and dropped.
            string LockDue(bool filtered) => $"""
                SELECT {jobColumns} FROM jobs j
                WHERE j.next_due_at <= @now AND j.paused_at IS NULL{(filtered ? " AND " + dialect.InList("j.client_id", "@clients") : "")}
                ORDER BY j.next_due_at, j.id
                LIMIT @limit{dialect.ForUpdateOf("j")}{dialect.SkipLocked};
                """;
            LockDueJobs = LockDue(filtered: false);
            LockDueClientJobs = LockDue(filtered: true);

            // After LockDueJobs, in statements that see the locked rows as they are now: the due jobs' active runs, then the
            // share-locked upstream jobs and their statuses (LockUpstreamOfJobs, @jobs = the due jobs).
            PrepareDueJobs = shared.ActiveRunsOf("@jobs") + shared.LockUpstreamOfJobs;

            // The pending runs of the jobs that depend directly on the jobs in @succeeded (due jobs whose latest run
            // Succeeded, held for update), one row per edge: they wait for one job more when that job gets a new run. No
            // pending run of a dependent can appear meanwhile: creating one locks the upstream jobs (share or update), and
            // this transaction holds them. Read without locks; ShiftRuns locks them in one pass and re-checks 'Pending'.
            PendingRunsOfDependents = $"""
                SELECT r.id AS RunId, d.depends_on_job_id AS UpstreamJobId
                FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE {dialect.InList("d.depends_on_job_id", "@succeeded")} AND r.status = 'Pending';
                """;

            // Moves each consumed job's due time (@advance: id, next_due_at; a null next_due_at ends the schedule). The
            // rows are held by this transaction.
            var advance = dialect.JsonRows("@advance", "t", "id bigint", "next_due_at timestamptz");
            var advanceIds = dialect.JsonRows("@advance", "t", "id bigint");
            AdvanceDueJobs = $"""
                UPDATE jobs SET next_due_at = (SELECT t.next_due_at FROM {advance} WHERE t.id = jobs.id)
                WHERE id IN (SELECT t.id FROM {advanceIds});
                """;

            // One pipeline run of kind Schedule, without label or input, per job of @jobs (ord, job_id), of the job's client,
            // inserted in ord order: identities are drawn in insertion order, so the returned ids ascend in that order.
            InsertScheduledPipelineRuns = $"""
                INSERT INTO pipeline_runs (client_id, trigger_kind, label, input, created_at)
                SELECT j.client_id, 'Schedule', NULL, NULL, @now
                FROM {dialect.JsonRows("@jobs", "t", "ord integer", "job_id bigint")} JOIN jobs j ON j.id = t.job_id
                ORDER BY t.ord
                RETURNING id;
                """;

            // The earliest due time of a job that is not paused, read through ix_jobs_next_due (in order, stopping at the first
            // row of a served client that is not paused): a paused job's due time, left in the past, must not make the
            // scheduler pass again at once.
            string EarliestDue(bool filtered) => $"""
                SELECT j.next_due_at FROM jobs j
                WHERE j.next_due_at IS NOT NULL AND j.paused_at IS NULL{(filtered ? " AND " + dialect.InList("j.client_id", "@clients") : "")}
                ORDER BY j.next_due_at, j.id
                LIMIT 1;
                """;
            EarliestDueAt = EarliestDue(filtered: false);
            EarliestClientDueAt = EarliestDue(filtered: true);
        }

        public string LockDueJobs { get; }

        public string LockDueClientJobs { get; }

        public string PrepareDueJobs { get; }

        public string PendingRunsOfDependents { get; }

        public string AdvanceDueJobs { get; }

        public string InsertScheduledPipelineRuns { get; }

        public string EarliestDueAt { get; }

        public string EarliestClientDueAt { get; }
    }
}
