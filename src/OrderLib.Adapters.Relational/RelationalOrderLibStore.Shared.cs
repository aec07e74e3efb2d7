using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// What several areas share: the column lists and the status test every statement is built with, the statements more
// than one area runs or builds on (SharedSql), and the creation of pending runs.
public abstract partial class RelationalOrderLibStore
{
    // Which pending run each cascade cancels when one transaction ends several runs, as if they ended one by one in
    // ordinal order (the rescue's and the batched completion's rule): the earliest source (by ordinal) above a job
    // cancels its pending run; a retry created here is pending only for the sources after it; a job whose run this
    // transaction ends has nothing else pending. Returns job id -> the ordinal of the source that cancels its run.
    private static Dictionary<long, int> CascadeTargets(IEnumerable<DescendantRow> descendants, IReadOnlyCollection<NewRun> retries, HashSet<long> endedJobs)
    {
        var retryOrdinal = retries.ToDictionary(r => r.JobId, r => r.Ord);
        var targets = new Dictionary<long, int>();
        foreach (var d in descendants)
        {
            var pendingFrom = retryOrdinal.TryGetValue(d.JobId, out var k) ? k : endedJobs.Contains(d.JobId) ? int.MaxValue : -1;
            if (d.Source > pendingFrom && (!targets.TryGetValue(d.JobId, out var first) || d.Source < first))
            {
                targets[d.JobId] = d.Source;
            }
        }

        return targets;
    }

    // Runs the write batch of a transaction that ends several runs and reads its result sets, in this order: the ended
    // runs; the retries' new runs, when there are retries; the cancelled targets, when there are targets (which it groups
    // by the ordinal of the source that cancelled them, each group in run id order); then any others, unused.
    private async Task<(Dictionary<long, JobRun> Ended, Dictionary<long, JobRun> RetriesByJob, ILookup<int, RunId> CancelledBySource)> WriteEndingsAsync(
        DbConnection connection, DbTransaction transaction, string write, object param, bool withRetries, Dictionary<long, int> targets, CancellationToken cancellationToken)
    {
        await using var grid = await connection.QueryMultipleAsync(Command(write, param, transaction, cancellationToken));
        var ended = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.Id, r => r.ToRun(_dialect));
        var retries = withRetries ? (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect)) : [];
        var cancelled = targets.Count > 0 ? (await grid.ReadAsync<RunOfJobRow>()).ToArray() : [];

        // What the batch sends after them (a ready notification's SELECT) is read too: Dapper cancels the command of a grid
        // disposed unread, which costs PostgreSQL a cancel request on a connection of its own.
        while (!grid.IsConsumed)
        {
            await grid.ReadAsync<object>();
        }

        var bySource = cancelled.OrderBy(c => c.Id).ToLookup(c => targets[c.JobId], c => new RunId(c.Id));
        return (ended, retries, bySource);
    }

    // Creates the pending runs (in Ord order), each becoming its job's latest run; returns them in the given order.
    private async Task<JobRun[]> InsertRunsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NewRun> runs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<RunRow>(Command(
            _sharedSql.InsertRuns, new { runs = NewRunsJson(runs), now = _dialect.ToDb(now) }, transaction, cancellationToken));
        var byJob = rows.ToDictionary(r => r.JobId, r => r.ToRun(_dialect));
        return runs.Select(r => byJob[r.JobId]).ToArray();
    }

    private static string NewRunsJson(IEnumerable<NewRun> runs) => JsonSerializer.Serialize(runs.Select(r => new
    {
        ord = r.Ord,
        job_id = r.JobId,
        attempt = r.Attempt,
        priority = r.Priority,
        waiting_on = r.WaitingOn,
        available_at = SqlDialect.JsonTimestamp(r.AvailableAt),
        pipeline_run_id = r.PipelineRunId,
        input = r.Input,
        trace_parent = r.Trace?.TraceParent,
        trace_state = r.Trace?.TraceState,
    }));

    // True when one of the new runs may be claimed at once (it waits on nothing and is available), so the transaction
    // notifies (NotifyRunsReadyAsync); a retry after a backoff becomes claimable later and is left to the workers' polls.
    // (A paused job's run, held by InsertRuns, may make this say yes: the workers' claim then finds nothing, harmlessly.)
    private static bool AnyReadyNow(IEnumerable<NewRun> runs, DateTimeOffset now) => runs.Any(r => r.WaitingOn == 0 && r.AvailableAt <= now);

    /// <summary>
    /// A pending run to create: its order in the batch, job, attempt, priority, count of unsatisfied upstream jobs,
    /// availability, the pipeline run that creates it (retries keep their run's) and its input JSON.
    /// </summary>
    private sealed record NewRun(int Ord, long JobId, int Attempt, int Priority, int WaitingOn, DateTimeOffset AvailableAt, long? PipelineRunId = null, string? Input = null)
    {
        /// <summary>The trace context of the enqueuing call, or (a retry) of the run retried.</summary>
        public RunTraceContext? Trace { get; init; }
    }

    // A status test on a row already found by its primary key, written so that no planner takes a partial index
    // (whose predicate tests the status) for a better path than the key: with statistics that think few runs are
    // Running — after a bulk load, or on a large table between analyses — PostgreSQL would otherwise scan every
    // Running run through ix_job_runs_running_lease to update one.
    private static string StatusIs(string column, string status) => $"({column} = '{status}') IS TRUE";

    private static string JobColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}client_id AS ClientId, {prefix}name AS Name, {prefix}description AS Description, " +
        $"{prefix}priority AS Priority, {prefix}max_attempts AS MaxAttempts, {prefix}schedule AS Schedule, " +
        $"{prefix}latest_run_id AS LatestRunId, {prefix}latest_status AS LatestStatus, " +
        $"{prefix}created_at AS CreatedAt, {prefix}updated_at AS UpdatedAt, {prefix}next_due_at AS NextDueAt, {prefix}paused_at AS PausedAt";

    private static string RunColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}job_id AS JobId, {prefix}status AS Status, {prefix}attempt AS Attempt, " +
        $"{prefix}priority AS Priority, {prefix}waiting_on AS WaitingOn, {prefix}enqueued_at AS EnqueuedAt, " +
        $"{prefix}available_at AS AvailableAt, {prefix}started_at AS StartedAt, {prefix}finished_at AS FinishedAt, " +
        $"{prefix}lease_expires_at AS LeaseExpiresAt, {prefix}worker_id AS WorkerId, {prefix}error AS Error, " +
        $"{prefix}cancel_requested AS CancelRequested, {prefix}pipeline_run_id AS PipelineRunId";

    // The run's stored trace context (RunRow.Trace), read only where it is used: by the claim, which hands it to the
    // worker, and by the statements that read a run a retry may follow, which copies it.
    private static string TraceColumns(string prefix) =>
        $"{prefix}trace_parent AS TraceParent, {prefix}trace_state AS TraceState";

    /// <summary>The statements and statement builders used by several areas.</summary>
    private sealed class SharedSql
    {
        // The count of the client's job @jobId (0 or 1), first in the batches that must tell a missing job.
        public const string CountJob = "SELECT COUNT(*) FROM jobs WHERE id = @jobId AND client_id = @client;";

        private readonly SqlDialect _dialect;

        public SharedSql(SqlDialect dialect)
        {
            _dialect = dialect;

            // New pending runs, one per element of @runs (ord, job_id, attempt, priority, waiting_on, available_at, pipeline_run_id, input), of the
            // job's client, created in ord order, each becoming its job's latest run; a paused job's run waits for one more
            // thing, the resume, on top of the given waiting_on. Used for retries and for triggering a pipeline; the caller holds
            // every job row involved (locked for update, as a pause locks it, so paused_at is read as it is). A new run is its job's one active run, so the jobs find it through
            // ux_job_runs_one_active in one join: a MAX(id) subquery per job was planned as a scan of job_runs per job
            // when the statistics thought the table small (a new database), quadratic in the number of runs.
            var newRuns = dialect.JsonRows(
                "@runs", "t", "ord integer", "job_id bigint", "attempt integer", "priority integer", "waiting_on integer", "available_at timestamptz", "pipeline_run_id bigint", "input text", "trace_parent text", "trace_state text");
            var newRunJobs = dialect.JsonRows("@runs", "t", "job_id bigint");
            InsertRuns = $"""
                INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at, pipeline_run_id, input, trace_parent, trace_state)
                SELECT t.job_id, j.client_id, 'Pending', t.attempt, t.priority, t.waiting_on + CASE WHEN j.paused_at IS NULL THEN 0 ELSE 1 END, @now, t.available_at, t.pipeline_run_id, t.input, t.trace_parent, t.trace_state
                FROM {newRuns} JOIN jobs j ON j.id = t.job_id
                ORDER BY t.ord
                RETURNING {RunColumns("")};
                UPDATE jobs SET latest_run_id = n.id, latest_status = 'Pending'
                FROM job_runs n
                WHERE n.job_id = jobs.id AND n.status IN ('Pending', 'Running')
                  AND {dialect.IndexedIn("n.job_id", $"SELECT t.job_id FROM {newRunJobs}")};
                """;

            // For the jobs in @jobs, about to get new runs that count their upstream statuses (a rescue's retries, the due
            // jobs of a scheduler): their upstream jobs share-locked, skipping the ones another transaction holds (the caller
            // then leaves that job for a later call: never waiting, it cannot deadlock whatever order its locks come in);
            // then, in a statement that sees the locked rows as they are now, every upstream edge with the upstream job's
            // latest status.
            LockUpstreamOfJobs = $"""
                SELECT u.id FROM jobs u
                WHERE u.id IN (SELECT d.depends_on_job_id FROM job_dependencies d WHERE {dialect.InList("d.job_id", "@jobs")})
                ORDER BY u.id{dialect.ForShareOf("u")}{dialect.SkipLocked};
                SELECT d.job_id AS JobId, u.id AS Id, u.latest_status AS LatestStatus
                FROM job_dependencies d JOIN jobs u ON u.id = d.depends_on_job_id
                WHERE {dialect.InList("d.job_id", "@jobs")};
                """;

            // Cancels the pending latest run of each job in @targets (job_id, reason) with its reason, runs locked in id order.
            var targets = dialect.JsonRows("@targets", "t", "job_id bigint", "reason text");
            // Used by a transaction whose one run-row pass (see LockedRuns) already took these
            // runs; a row it did not take became a target's pending run after that pass, and one another transaction holds
            // is skipped rather than waited for (left pending, as if it had been created after this transaction), so the
            // transaction never waits for a run row after its pass.
            string Cancel(string skip) => $"""
                UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL,
                    error = (SELECT t.reason FROM {targets} WHERE t.job_id = job_runs.job_id)
                WHERE status = 'Pending' AND id IN (
                    SELECT r.id FROM {targets} JOIN jobs dj ON dj.id = t.job_id JOIN job_runs r ON r.id = dj.latest_run_id
                    WHERE r.status = 'Pending'
                    ORDER BY r.id{dialect.ForUpdateOf("r")}{skip})
                RETURNING id AS Id, job_id AS JobId;
                """;
            CancelTargetsAfterPass = Cancel(dialect.SkipLocked);
        }

        public string InsertRuns { get; }

        public string LockUpstreamOfJobs { get; }

        public string CancelTargetsAfterPass { get; }

        // Adds @delta to waiting_on of the pending runs of the jobs that depend directly on the job @upstreamJob
        // selects. A job's pending run is its latest run, so the runs are found through jobs.latest_run_id (primary
        // keys only, whatever the history). Rows are locked in id order first, so concurrent set-based updates
        // cannot deadlock each other. alsoLocked (ids, e.g. the ended run "@runId") joins the same ascending pass: the
        // rows this transaction changes afterwards, whatever their status, so that it takes every run-row lock in this
        // ONE pass (see LockedRuns); they are locked, not shifted.
        public string ShiftDependents(string delta, string upstreamJob, string? alsoLocked = null) => $"""
            UPDATE job_runs SET waiting_on = waiting_on {delta}
            WHERE status = 'Pending' AND id IN ({LockedRuns(
                $"SELECT dj.latest_run_id FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id WHERE d.depends_on_job_id = ({upstreamJob})",
                alsoLocked)});
            """;

        // The one run-row pass of a transaction: the ids of the pending runs among `pending` (a query of run ids) and of
        // every run in `any` (a query or list of ids, whatever their status; null for none), locked together in ascending
        // id order. Every transaction takes all its run-row locks in one such pass (or without waiting, SKIP LOCKED) and
        // then waits for no run row it does not hold: on PostgreSQL a row that stopped being Pending while the pass waited
        // stays locked after the re-check drops it, so a pass may hold a run it does not change, and only one global order
        // for everyone who waits — the ender of a run included, its own row in the same pass as the runs it changes —
        // keeps the waits acyclic.
        public string LockedRuns(string pending, string? any) => any is null
            ? $"""
                SELECT r.id FROM job_runs r WHERE {_dialect.IndexedIn("r.id", pending)} AND r.status = 'Pending'
                ORDER BY r.id{_dialect.ForUpdateOf("r")}
                """
            : $"""
                SELECT r.id FROM job_runs r
                WHERE {_dialect.IndexedIn("r.id", $"{pending} UNION ALL {any}")} AND (r.status = 'Pending' OR r.id IN ({any}))
                ORDER BY r.id{_dialect.ForUpdateOf("r")}
                """;

        // Each job that `jobsWhere` picks (a condition on the jobs' id) gets its latest run's status as latest_status: the
        // statement a transaction that ended or cancelled runs closes with.
        public static string SyncLatestStatus(string jobsWhere) => $"""
            UPDATE jobs SET latest_status = (SELECT s.status FROM job_runs s WHERE s.id = jobs.latest_run_id)
            WHERE {jobsWhere};
            """;

        // The active run (Pending or Running) of each job in the list: its latest run, when that is active.
        public string ActiveRunsOf(string jobs) => $"""
            SELECT {RunColumns("r.")} FROM jobs j JOIN job_runs r ON r.id = j.latest_run_id
            WHERE {_dialect.InList("j.id", jobs)} AND r.status IN ('Pending', 'Running');
            """;
    }
}
