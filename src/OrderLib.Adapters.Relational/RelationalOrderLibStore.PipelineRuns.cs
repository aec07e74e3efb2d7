using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Pipeline runs: the listing, one pipeline run with its jobs and runs, and cancelling one as a whole. A job's runs in a
// pipeline run are the chain that starts at the run it created or joined and ends before the job's next attempt-1 run.
// The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Two statements whatever the page size: the page with its counts, states and finish times (each member's chain is
    /// bounded through <c>ix_job_runs_job</c>), then the roots of its pipeline runs. Without a state filter the page is
    /// cut before the chains are read; a state filter derives the state of every pipeline run of the client before the cursor.
    /// </remarks>
    public async Task<IReadOnlyList<PipelineRunSummary>> ListPipelineRunsAsync(ClientId client, PipelineRunFilter filter, PipelineRunId? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var param = new
        {
            client = client.Value,
            before = before?.Value ?? long.MaxValue,
            limit,
            kind = filter.TriggerKind?.ToString(),
            label = filter.Label,
            rootJobId = filter.RootJobId?.Value,
            createdFrom = filter.CreatedFrom is { } from ? _dialect.ToDb(from.ToUniversalTime()) : null,
            createdTo = filter.CreatedTo is { } to ? _dialect.ToDb(to.ToUniversalTime()) : null,
            states = filter.States?.Select(s => s.ToString()).ToArray() ?? [],
        };
        return await ConnectAsync<IReadOnlyList<PipelineRunSummary>>(
            async connection =>
            {
                var rows = (await connection.QueryAsync<PipelineRunRow>(Command(_pipelineRunSql.Summaries(filter), param, null, cancellationToken))).ToArray();
                return await WithRootsAsync(connection, rows, cancellationToken);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Two statements: the summary with its input, its members and their chains' runs; then its roots are taken from the members.</remarks>
    public async Task<PipelineRunDetail?> GetPipelineRunAsync(ClientId client, PipelineRunId id, CancellationToken cancellationToken)
    {
        var param = new { client = client.Value, id = id.Value, before = long.MaxValue, limit = 1 };
        return await ConnectAsync(
            async connection =>
            {
                PipelineRunRow? row;
                PipelineMemberRow[] members;
                ILookup<long, JobRun> runsByJob;
                // Result sets: the summary with its input; the members in position order; the runs of their chains in id order.
                await using (var grid = await connection.QueryMultipleAsync(Command(_pipelineRunSql.Detail, param, null, cancellationToken)))
                {
                    row = await grid.ReadSingleOrDefaultAsync<PipelineRunRow>();
                    members = (await grid.ReadAsync<PipelineMemberRow>()).ToArray();
                    runsByJob = (await grid.ReadAsync<RunRow>()).Select(r => r.ToRun(_dialect)).ToLookup(r => r.JobId.Value);
                }

                if (row is null)
                {
                    return null;
                }

                var summary = row.ToSummary(_dialect, members.Where(m => m.IsRootJob).Select(m => m.ToRef()).ToArray());
                var jobs = members
                    .Select(m => new PipelineRunJob(m.Position, m.ToRef(), m.IsRootJob, m.HasJoined, runsByJob[m.JobId].ToArray()))
                    .ToArray();
                return new PipelineRunDetail(summary, row.Input is null ? null : RunPayload.Parse(row.Input, "input"), jobs);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Two round trips: (1) the pipeline run checked, the jobs of its active runs locked for update in id order, then its
    /// active runs, the runs it joined and the jobs downstream of its pending runs; (2) in one batch, the pending runs
    /// cancelled (its own and the cascade's, locked in one ascending pass together with its running runs), the running ones
    /// marked, and the latest status of the locked jobs synced. When a claim took one of its pending runs in between, the
    /// transaction rolls back and starts again.
    /// </remarks>
    /// <exception cref="OrderLibConcurrencyException">Its runs kept being claimed while it was being cancelled; nothing was written.</exception>
    public Task<PipelineCancellation> CancelPipelineRunAsync(ClientId client, PipelineRunId id, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        now = now.ToUniversalTime();
        return WriteOrRetryAsync(
            (connection, transaction) => CancelPipelineAsync(connection, transaction, client, id, reason, now, cancellationToken),
            $"Pipeline run {id} could not be cancelled: its runs kept changing status.",
            cancellationToken);
    }

    // Null when a pending run of the pipeline run was claimed between the read and the write (the caller tries again).
    private async Task<PipelineCancellation?> CancelPipelineAsync(
        DbConnection connection, DbTransaction transaction, ClientId client, PipelineRunId id, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Dictionary<long, JobRow> jobs;
        JobRun[] active;
        long[] joined;
        RunDescendantRow[] descendants;
        // Result sets: the count of the pipeline run; the locked jobs; its active runs; the runs it joined; the descendants.
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _pipelineRunSql.CancelPrepare, new { client = client.Value, id = id.Value }, transaction, cancellationToken)))
        {
            if (await grid.ReadSingleAsync<long>() == 0)
            {
                throw new PipelineRunNotFoundException(id);
            }

            jobs = (await grid.ReadAsync<JobRow>()).ToDictionary(j => j.Id);
            active = (await grid.ReadAsync<RunRow>()).Select(r => r.ToRun(_dialect)).ToArray();
            joined = (await grid.ReadAsync<long>()).ToArray();
            descendants = (await grid.ReadAsync<RunDescendantRow>()).ToArray();
        }

        // As if each pending run were cancelled alone in run id order: one cancelled by an earlier cascade is skipped, and
        // each job downstream gets the reason of the first source that reaches it.
        var pending = active.Where(r => r.Status == RunStatus.Pending && jobs.ContainsKey(r.JobId.Value)).OrderBy(r => r.Id.Value).ToArray();
        var running = active.Where(r => r.Status == RunStatus.Running && jobs.ContainsKey(r.JobId.Value)).Select(r => r.Id.Value).Order().ToArray();
        var downstreamOf = descendants.ToLookup(d => d.SourceRunId, d => d.JobId);
        var targets = new Dictionary<long, string?>();
        foreach (var run in pending)
        {
            if (!targets.TryAdd(run.JobId.Value, reason))
            {
                continue;
            }

            var job = jobs[run.JobId.Value];
            var cascade = RunEnding.Of(RunStatus.Cancelled, run.Attempt, job.MaxAttempts, job.Name).CascadeReason;
            foreach (var dependent in downstreamOf[run.Id.Value])
            {
                targets.TryAdd(dependent, cascade);
            }
        }

        if (targets.Count == 0 && running.Length == 0)
        {
            return new PipelineCancellation(id, [], [], [], joined.Select(r => new RunId(r)).ToArray());
        }

        var param = new
        {
            id = id.Value,
            now = _dialect.ToDb(now),
            targets = JsonSerializer.Serialize(targets.Select(t => new { job_id = t.Key, reason = t.Value })),
            running,
            lockedJobs = jobs.Keys.Order().ToArray(),
        };
        RunOfJobRow[] cancelled;
        long[] marked;
        // Result sets: the cancelled runs; the marked runs.
        await using (var grid = await connection.QueryMultipleAsync(Command(_pipelineRunSql.CancelWrite, param, transaction, cancellationToken)))
        {
            cancelled = (await grid.ReadAsync<RunOfJobRow>()).ToArray();
            marked = (await grid.ReadAsync<long>()).ToArray();
        }

        var cancelledIds = cancelled.Select(c => c.Id).ToHashSet();
        if (pending.Any(r => !cancelledIds.Contains(r.Id.Value)) || marked.Length != running.Length)
        {
            return null;
        }

        var own = pending.Select(r => r.Id.Value).ToHashSet();
        var downstream = cancelledIds.Where(c => !own.Contains(c)).Order().ToArray();
        return new PipelineCancellation(
            id,
            own.Order().Select(r => new RunId(r)).ToArray(),
            marked.Order().Select(r => new RunId(r)).ToArray(),
            downstream.Select(r => new RunId(r)).ToArray(),
            joined.Where(r => !cancelledIds.Contains(r)).Select(r => new RunId(r)).ToArray());
    }

    // The page's summaries with their roots, read in one statement for the whole page.
    private async Task<IReadOnlyList<PipelineRunSummary>> WithRootsAsync(DbConnection connection, PipelineRunRow[] rows, CancellationToken cancellationToken)
    {
        if (rows.Length == 0)
        {
            return [];
        }

        var roots = (await connection.QueryAsync<PipelineMemberRow>(Command(
                _pipelineRunSql.Roots, new { ids = rows.Select(r => r.Id).ToArray() }, null, cancellationToken)))
            .ToLookup(m => m.PipelineRunId, m => m.ToRef());
        return rows.Select(r => r.ToSummary(_dialect, roots[r.Id].ToArray())).ToArray();
    }

    /// <summary>The statements of the pipeline runs' reads and cancellation, beside the code that reads their results.</summary>
    private sealed class PipelineRunSql
    {
        private readonly SqlDialect _dialect;

        // The members of the pipeline runs of `p` with the bounds of their chains: from the run created or joined to the
        // job's next attempt-1 run (null: none yet), found through ix_job_runs_job.
        private const string Bounds = """
            bounds AS (
                SELECT m.pipeline_run_id AS pid, m.job_id, m.run_id AS first_id,
                       (SELECT MIN(x.id) FROM job_runs x WHERE x.job_id = m.job_id AND x.id > m.run_id AND x.attempt = 1) AS next_chain
                FROM p JOIN pipeline_run_jobs m ON m.pipeline_run_id = p.id
            ),
            chain AS (
                SELECT b.pid, b.job_id, r.id, r.status, r.finished_at
                FROM bounds b JOIN job_runs r ON r.job_id = b.job_id AND r.id >= b.first_id AND (b.next_chain IS NULL OR r.id < b.next_chain)
            )
            """;

        public PipelineRunSql(SqlDialect dialect, SharedSql shared)
        {
            _dialect = dialect;
            var members = "SELECT m.pipeline_run_id AS PipelineRunId, m.position AS Position, m.job_id AS JobId, m.job_name AS JobName, m.run_id AS RunId, m.joined AS Joined, m.is_root AS IsRoot FROM pipeline_run_jobs m";

            Roots = $"{members} WHERE {dialect.InList("m.pipeline_run_id", "@ids")} AND m.is_root ORDER BY m.pipeline_run_id, m.position;";

            // The pipeline run @id of the client with its input, its members, and the runs of its members' chains.
            Detail = Summary("p.id = @id", cutPage: false, stateFilter: false, withInput: true) + $"""
                {members} JOIN pipeline_runs p ON p.id = m.pipeline_run_id
                WHERE m.pipeline_run_id = @id AND p.client_id = @client
                ORDER BY m.position;
                WITH p AS (SELECT p.id FROM pipeline_runs p WHERE p.id = @id AND p.client_id = @client),
                {Bounds}
                SELECT {RunColumns("r.")} FROM chain c JOIN job_runs r ON r.id = c.id
                ORDER BY r.id;
                """;

            // The pipeline run @id of the client; the jobs of its active runs, locked for update in id order; then, seeing
            // them as they are once locked, its active runs, the runs it joined, and every job downstream of its pending
            // runs with the pending run it is reached from.
            CancelPrepare = $"""
                SELECT COUNT(*) FROM pipeline_runs WHERE id = @id AND client_id = @client;
                SELECT {JobColumns("j.")} FROM jobs j
                WHERE j.id IN (SELECT r.job_id FROM job_runs r WHERE r.pipeline_run_id = @id AND r.status IN ('Pending', 'Running'))
                  AND j.client_id = @client
                ORDER BY j.id{dialect.ForUpdateOf("j")};
                SELECT {RunColumns("r.")} FROM job_runs r
                WHERE r.pipeline_run_id = @id AND r.status IN ('Pending', 'Running')
                  AND EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.id = @id AND p.client_id = @client);
                SELECT m.run_id FROM pipeline_run_jobs m JOIN pipeline_runs p ON p.id = m.pipeline_run_id
                WHERE m.pipeline_run_id = @id AND p.client_id = @client AND m.joined
                ORDER BY m.run_id;
                WITH RECURSIVE down(src, id) AS (
                    SELECT r.id, d.job_id FROM job_runs r JOIN job_dependencies d ON d.depends_on_job_id = r.job_id
                    WHERE r.pipeline_run_id = @id AND r.status = 'Pending'
                      AND EXISTS (SELECT 1 FROM pipeline_runs p WHERE p.id = @id AND p.client_id = @client)
                    UNION
                    SELECT down.src, d.job_id FROM down JOIN job_dependencies d ON d.depends_on_job_id = down.id
                )
                SELECT src AS SourceRunId, id AS JobId FROM down;
                """;

            // The pending latest runs of the target jobs (@targets: job_id, reason) cancelled with their reasons, locked in
            // ONE ascending pass together with the running runs (@running) marked after it; then the latest status of the
            // locked jobs (@lockedJobs) follows their latest runs.
            var targets = dialect.JsonRows("@targets", "t", "job_id bigint", "reason text");
            CancelWrite = $"""
                UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL,
                    error = (SELECT t.reason FROM {targets} WHERE t.job_id = job_runs.job_id)
                WHERE status = 'Pending' AND id IN ({shared.LockedRuns(
                    $"SELECT tj.latest_run_id FROM {targets} JOIN jobs tj ON tj.id = t.job_id",
                    $"SELECT w.id FROM job_runs w WHERE {dialect.InList("w.id", "@running")}")})
                RETURNING id AS Id, job_id AS JobId;
                UPDATE job_runs SET cancel_requested = TRUE
                WHERE {dialect.InList("id", "@running")} AND {StatusIs("status", "Running")}
                RETURNING id;
                """ + SharedSql.SyncLatestStatus(dialect.InList("id", "@lockedJobs"));
        }

        public string Roots { get; }

        public string Detail { get; }

        public string CancelPrepare { get; }

        public string CancelWrite { get; }

        // The listing's statement for the filter's shape (the values travel as parameters).
        public string Summaries(PipelineRunFilter filter)
        {
            var where = new List<string> { "p.id < @before" };
            if (filter.TriggerKind is not null)
            {
                where.Add("p.trigger_kind = @kind");
            }

            if (filter.Label is not null)
            {
                where.Add("p.label = @label");
            }

            if (filter.CreatedFrom is not null)
            {
                where.Add("p.created_at >= @createdFrom");
            }

            if (filter.CreatedTo is not null)
            {
                where.Add("p.created_at < @createdTo");
            }

            if (filter.RootJobId is not null)
            {
                where.Add("EXISTS (SELECT 1 FROM pipeline_run_jobs rj WHERE rj.pipeline_run_id = p.id AND rj.job_id = @rootJobId AND rj.is_root)");
            }

            var stateFilter = filter.States is { Count: > 0 };
            return Summary(string.Join(" AND ", where), cutPage: !stateFilter, stateFilter, withInput: false);
        }

        // The client's pipeline runs matching `where`, newest first, at most @limit, each with its runs counted per status,
        // its derived state (from each member's latest attempt) and its finish time. cutPage: the page is cut before the
        // chains are read (no state filter); stateFilter: only the states in @states.
        private string Summary(string where, bool cutPage, bool stateFilter, bool withInput) => $"""
            WITH p AS (
                SELECT p.id, p.client_id, p.trigger_kind, p.label, p.input, p.created_at FROM pipeline_runs p
                WHERE p.client_id = @client AND {where}
                {(cutPage ? "ORDER BY p.id DESC LIMIT @limit" : "")}
            ),
            {Bounds},
            latest AS (SELECT c.pid, c.job_id, MAX(c.id) AS id FROM chain c GROUP BY c.pid, c.job_id),
            agg AS (
                SELECT c.pid,
                    SUM(CASE WHEN c.status = 'Pending' THEN 1 ELSE 0 END) AS pending,
                    SUM(CASE WHEN c.status = 'Running' THEN 1 ELSE 0 END) AS running,
                    SUM(CASE WHEN c.status = 'Succeeded' THEN 1 ELSE 0 END) AS succeeded,
                    SUM(CASE WHEN c.status = 'Failed' THEN 1 ELSE 0 END) AS failed,
                    SUM(CASE WHEN c.status = 'Cancelled' THEN 1 ELSE 0 END) AS cancelled,
                    SUM(CASE WHEN l.id IS NOT NULL AND c.status IN ('Pending', 'Running') THEN 1 ELSE 0 END) AS latest_active,
                    SUM(CASE WHEN l.id IS NOT NULL AND c.status = 'Failed' THEN 1 ELSE 0 END) AS latest_failed,
                    SUM(CASE WHEN l.id IS NOT NULL AND c.status = 'Cancelled' THEN 1 ELSE 0 END) AS latest_cancelled,
                    MAX(c.finished_at) AS finished_at
                FROM chain c LEFT JOIN latest l ON l.pid = c.pid AND l.id = c.id
                GROUP BY c.pid
            ),
            s AS (
                SELECT p.id AS Id, p.client_id AS ClientId, p.trigger_kind AS TriggerKind, p.label AS Label,
                    {(withInput ? "p.input" : "NULL")} AS Input, p.input IS NOT NULL AS HasInput, p.created_at AS CreatedAt,
                    CASE WHEN COALESCE(a.latest_active, 0) > 0 THEN NULL ELSE a.finished_at END AS FinishedAt,
                    CASE WHEN COALESCE(a.latest_active, 0) > 0 THEN 'Running'
                         WHEN COALESCE(a.latest_failed, 0) > 0 THEN 'Failed'
                         WHEN COALESCE(a.latest_cancelled, 0) > 0 THEN 'Cancelled'
                         ELSE 'Succeeded' END AS State,
                    COALESCE(a.pending, 0) AS Pending, COALESCE(a.running, 0) AS Running, COALESCE(a.succeeded, 0) AS Succeeded,
                    COALESCE(a.failed, 0) AS Failed, COALESCE(a.cancelled, 0) AS Cancelled
                FROM p LEFT JOIN agg a ON a.pid = p.id
            )
            SELECT * FROM s{(stateFilter ? " WHERE " + _dialect.InList("s.State", "@states") : "")}
            ORDER BY s.Id DESC LIMIT @limit;
            """;
    }
}
