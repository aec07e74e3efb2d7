using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Two round trips whatever the number of outcomes (a third only when the batch must start again because an edge
    /// was added to a retried job while the transaction waited for its locks): (1) the jobs of the runs and, for the
    /// failures, their upstream jobs, locked in id order (the order every writer that ends a run locks job rows in) and
    /// read as locked, then the runs, the upstream statuses the retries count, and the jobs downstream of every failure
    /// or cancellation; (2) every write in one batch: the held runs ended, the retries inserted, the successes'
    /// dependents shifted (each pending run by the number of its upstream jobs that succeeded here), the jobs' latest
    /// statuses synced, the cascades' targets cancelled.
    /// </remarks>
    /// <exception cref="OrderLibConcurrencyException">Its inputs kept changing under concurrent writers on every try; nothing was written.</exception>
    public Task<IReadOnlyList<OutcomeResult>> CompleteRunsAsync(IReadOnlyList<RunOutcome> outcomes, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        RunOutcome.CheckBatch(outcomes);
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcomes.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<OutcomeResult>>([]);
        }

        now = now.ToUniversalTime();
        var outcomesJson = JsonSerializer.Serialize(outcomes.Select((o, i) => new { ord = i, run_id = o.RunId.Value, status = StatusText.Of(o.Status) }));
        return WriteOrRetryAsync<IReadOnlyList<OutcomeResult>>(
            (connection, transaction) => CompleteBatchAsync(connection, transaction, outcomes, outcomesJson, now, retryPolicy, cancellationToken),
            $"A batch of {outcomes.Count} outcomes could not be recorded: the dependencies of the jobs it retries kept changing.",
            cancellationToken);
    }

    private async Task<IReadOnlyList<OutcomeResult>?> CompleteBatchAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<RunOutcome> outcomes, string outcomesJson, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        // (1) Result sets in order: the locked jobs (the runs' jobs among them); the runs; upstream edges of the failures'
        // jobs; descendants.
        HashSet<long> locked;
        Dictionary<long, (RunRow Run, JobRow Job)> found;
        UpstreamEdgeRow[] upstream;
        DescendantRow[] descendants;
        await using (var grid = await connection.QueryMultipleAsync(Command(_batchSql.Prepare, new { outcomes = outcomesJson }, transaction, cancellationToken)))
        {
            var jobs = (await grid.ReadAsync<JobRow>()).ToDictionary(j => j.Id);
            locked = [.. jobs.Keys];
            var runs = (await grid.ReadAsync<RunRow>()).ToArray();
            found = runs.ToDictionary(r => r.Id, r => (r, jobs[r.JobId]));
            upstream = (await grid.ReadAsync<UpstreamEdgeRow>()).ToArray();
            descendants = (await grid.ReadAsync<DescendantRow>()).ToArray();
        }

        var results = new OutcomeResult?[outcomes.Count];
        var held = new List<int>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            if (!found.TryGetValue(outcome.RunId.Value, out var row))
            {
                results[i] = new OutcomeResult(outcome, null, new LostRun(null, null));
                continue;
            }

            var status = StatusText.Parse(row.Run.Status);
            var holder = row.Run.WorkerId is { } text ? new WorkerId(text) : (WorkerId?)null;
            if (status != RunStatus.Running || holder != outcome.WorkerId)
            {
                results[i] = new OutcomeResult(outcome, null, new LostRun(status, status == RunStatus.Running ? holder : null));
                continue;
            }

            held.Add(i);
        }

        if (held.Count == 0)
        {
            return results!;
        }

        JobRow JobOf(int i) => found[outcomes[i].RunId.Value].Job;
        RunEnding Ending(int i) => RunEnding.Of(outcomes[i].Status, found[outcomes[i].RunId.Value].Run.Attempt, JobOf(i).MaxAttempts, JobOf(i).Name);
        bool Retries(int i) => Ending(i).Retries;

        // A retried job's next attempt counts its upstream statuses like an enqueue; an upstream job that is not locked
        // came through an edge added while this transaction waited: start again.
        var upstreamOf = upstream.ToLookup(u => u.JobId);
        var retried = held.Where(Retries).ToArray();
        if (retried.Any(i => upstreamOf[JobOf(i).Id].Any(u => !locked.Contains(u.Id))))
        {
            return null;
        }

        var retries = retried.Select(i =>
        {
            var (run, job) = found[outcomes[i].RunId.Value];
            var waitingOn = upstreamOf[job.Id].Count(u => u.LatestStatus != StatusText.Succeeded);
            var retry = Ending(i).Retry(retryPolicy, now, Random.Shared.NextDouble());
            return new NewRun(i, job.Id, retry.Attempt, job.Priority, waitingOn, retry.AvailableAt, run.PipelineRunId, run.Input) { Trace = run.Trace };
        }).ToArray();

        // Which pending run each cascade cancels, as if the outcomes were recorded one by one in list order.
        var batchJobs = held.Select(i => JobOf(i).Id).ToHashSet();
        var sources = held.Where(i => Ending(i).CascadeReason is not null).ToHashSet();
        var targets = CascadeTargets(descendants.Where(d => sources.Contains(d.Source)), retries, batchJobs);

        var succeededJobIds = held.Where(i => outcomes[i].Status == RunStatus.Succeeded).Select(i => JobOf(i).Id).ToArray();
        var succeededJobs = succeededJobIds.Select(id => new { job_id = id }).ToArray();

        // Other processes' workers are told on commit: at once when a retry is available now, otherwise only when a
        // success released a dependent.
        var notify = NotifyRunsReadySql(AnyReadyNow(retries, now) ? null : succeededJobIds);
        var heldClients = held.Select(i => JobOf(i).ClientId).Distinct().Take(2).ToArray();

        // (2) Result sets in order: the ended runs; the retries (when any); the cancelled targets (when any).
        var write = _batchSql.End
            + (retries.Length > 0 ? _sharedSql.InsertRuns : "")
            + (succeededJobs.Length > 0 ? _batchSql.ShiftSucceeded : "")
            + _batchSql.SyncStatus
            + (targets.Count > 0 ? _sharedSql.CancelTargetsAfterPass : "")
            + notify;
        var param = new
        {
            now = _dialect.ToDb(now),
            held = JsonSerializer.Serialize(held.Select(i => new
            {
                run_id = outcomes[i].RunId.Value,
                status = StatusText.Of(outcomes[i].Status),
                error = RunEnding.ErrorOf(outcomes[i].Status, outcomes[i].Error),
                output = outcomes[i].Output?.Json,
            })),
            runs = NewRunsJson(retries),
            succeeded = JsonSerializer.Serialize(succeededJobs),
            ended = JsonSerializer.Serialize(batchJobs.Select(id => new { job_id = id })),
            targets = JsonSerializer.Serialize(targets.Select(t => new { job_id = t.Key, reason = Ending(t.Value).CascadeReason })),
            readyClient = ReadyClient(heldClients.Length == 1 ? new ClientId(heldClients[0]) : null),
            jobsSucceeded = notify.Length > 0 ? succeededJobIds : null,
        };
        var (endedRuns, retryRuns, cancelledBySource) = await WriteEndingsAsync(connection, transaction, write, param, retries.Length > 0, targets, cancellationToken);

        if (endedRuns.Count != held.Count)
        {
            // Cannot happen while this transaction holds the runs' job rows (PostgreSQL) or the database (SQLite).
            throw new InvalidOperationException($"A batch ended {endedRuns.Count} of the {held.Count} runs it had found held.");
        }

        foreach (var i in held)
        {
            var job = JobOf(i).Id;
            results[i] = new OutcomeResult(
                outcomes[i],
                new RunCompletion(
                    endedRuns[outcomes[i].RunId.Value],
                    retryRuns.GetValueOrDefault(job),
                    cancelledBySource[i].ToArray()),
                null);
        }

        return results!;
    }

    /// <summary>The statements of <see cref="CompleteRunsAsync"/>, beside the code that reads their results.</summary>
    private sealed class BatchSql
    {
        public BatchSql(SqlDialect dialect, SharedSql shared)
        {
            var outcomes = dialect.JsonRows("@outcomes", "o", "ord integer", "run_id bigint", "status text");
            var held = dialect.JsonRows("@held", "o", "run_id bigint", "status text", "error text", "output text");
            var succeeded = dialect.JsonRows("@succeeded", "s", "job_id bigint");
            var ended = dialect.JsonRows("@ended", "e", "job_id bigint");

            // The jobs of the runs, and the upstream jobs of the failures' jobs (a failure may retry, and the next attempt
            // counts its upstream statuses), locked in id order and read as they are once locked; then, seeing the rows as
            // they are once locked, the runs, the failures' upstream edges with each upstream job's latest status, and every
            // job downstream of each failure or cancellation with the outcome's ordinal (the caller keeps the ones that end
            // for good). A failure's run comes with its input, which its retry carries.
            Prepare = $"""
                SELECT {JobColumns("j.")} FROM jobs j
                WHERE j.id IN (SELECT r.job_id FROM {outcomes} JOIN job_runs r ON r.id = o.run_id
                               UNION
                               SELECT d.depends_on_job_id FROM {outcomes} JOIN job_runs r ON r.id = o.run_id
                               JOIN job_dependencies d ON d.job_id = r.job_id WHERE o.status = 'Failed')
                ORDER BY j.id{dialect.ForUpdateOf("j")};
                SELECT {RunColumns("r.")}, CASE WHEN o.status = 'Failed' THEN r.input END AS Input, {TraceColumns("r.")}
                FROM {outcomes} JOIN job_runs r ON r.id = o.run_id;
                SELECT d.job_id AS JobId, u.id AS Id, u.latest_status AS LatestStatus
                FROM {outcomes} JOIN job_runs r ON r.id = o.run_id
                JOIN job_dependencies d ON d.job_id = r.job_id JOIN jobs u ON u.id = d.depends_on_job_id
                WHERE o.status = 'Failed';
                WITH RECURSIVE down(src, id) AS (
                    SELECT o.ord, d.job_id FROM {outcomes} JOIN job_runs r ON r.id = o.run_id
                    JOIN job_dependencies d ON d.depends_on_job_id = r.job_id
                    WHERE o.status <> 'Succeeded'
                    UNION
                    SELECT down.src, d.job_id FROM down JOIN job_dependencies d ON d.depends_on_job_id = down.id
                )
                SELECT src AS Source, id AS JobId FROM down;
                """;

            // Ends the held runs with their outcomes and the successes' outputs (re-checking that each is still Running). First, in the batch's ONE
            // run-row pass (SharedSql.LockedRuns), the held runs are locked in ascending id order together with every pending
            // run the batch changes afterwards: the successes' dependents' runs (ShiftSucceeded) and the cascades' targets'
            // runs (CancelTargetsAfterPass), so that no run is locked alone before the others. The pass is a materialized CTE that
            // the update joins once (as a subquery, PostgreSQL re-ran the locking sort for every held run).
            var targets = dialect.JsonRows("@targets", "t", "job_id bigint", "reason text");
            End = $"""
                WITH locked AS MATERIALIZED ({shared.LockedRuns(
                    $"""
                    SELECT dj.latest_run_id FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id
                    WHERE {dialect.IndexedIn("d.depends_on_job_id", $"SELECT s.job_id FROM {succeeded}")}
                    UNION ALL
                    SELECT tj.latest_run_id FROM {targets} JOIN jobs tj ON tj.id = t.job_id
                    """,
                    $"SELECT o.run_id FROM {held}")})
                UPDATE job_runs SET status = o.status, error = o.error, output = o.output, finished_at = @now, lease_expires_at = NULL
                FROM {held}
                WHERE o.run_id = job_runs.id AND {StatusIs("job_runs.status", "Running")}
                  AND job_runs.id IN (SELECT l.id FROM locked l)
                RETURNING {RunColumns("job_runs.")};
                """;

            // Each pending run of a job downstream of the succeeded jobs waits for as many jobs fewer as it has upstream
            // jobs among them; rows locked in id order first, like every other set-based shift (End's pass holds them all
            // already: a new run of a job downstream of a succeeded job needs that job's row, held here).
            ShiftSucceeded = $"""
                UPDATE job_runs SET waiting_on = waiting_on - (
                    SELECT COUNT(*) FROM job_dependencies d
                    WHERE d.job_id = job_runs.job_id AND d.depends_on_job_id IN (SELECT s.job_id FROM {succeeded}))
                WHERE status = 'Pending' AND id IN (
                    SELECT r.id FROM job_dependencies d
                    JOIN jobs dj ON dj.id = d.job_id
                    JOIN job_runs r ON r.id = dj.latest_run_id
                    WHERE {dialect.IndexedIn("d.depends_on_job_id", $"SELECT s.job_id FROM {succeeded}")} AND r.status = 'Pending'
                    ORDER BY r.id{dialect.ForUpdateOf("r")});
                """;

            // After End (and InsertRuns for the retries): each job of the batch gets its latest run's status.
            SyncStatus = SharedSql.SyncLatestStatus($"id IN (SELECT e.job_id FROM {ended})");
        }

        public string Prepare { get; }

        public string End { get; }

        public string ShiftSucceeded { get; }

        public string SyncStatus { get; }
    }
}
