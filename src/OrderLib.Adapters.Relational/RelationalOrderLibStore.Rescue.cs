using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Rescue of runs whose lease expired. The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// A constant number of statements whatever the count. On PostgreSQL runs and jobs another transaction holds are skipped
    /// (<c>SKIP LOCKED</c>) and left for a later rescue, so a rescue never waits for a lock.
    /// </remarks>
    public Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        now = now.ToUniversalTime();
        return WriteAsync((connection, transaction) => RescueAsync(connection, transaction, now, retryPolicy, limit, cancellationToken), cancellationToken);
    }

    // Three round trips whatever the number of runs: (1) the expired runs with their jobs, locked (PostgreSQL: SKIP LOCKED);
    // (2) for the runs to retry, their upstream jobs share-locked and their statuses, and for the runs ending for good,
    // every transitive dependent; (3) every write: the runs ended, the retries inserted, the jobs' latest status, the
    // dependents' pending runs cancelled. The outcome of each run, its retry time (with its own jitter) and which
    // dependent each cascade cancels are decided in between, in C#, exactly as ending the runs one after the other
    // (earliest lease first) would.
    private async Task<IReadOnlyList<RunCompletion>> RescueAsync(
        DbConnection connection, DbTransaction transaction, DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken)
    {
        var dbNow = _dialect.ToDb(now);
        var candidates = (await connection.QueryAsync<RunRow, JobRow, (RunRow Run, JobRow Job)>(
            Command(_rescueSql.RescueCandidates, new { now = dbNow, limit }, transaction, cancellationToken),
            (run, job) => (run, job),
            splitOn: "Id")).ToArray();
        if (candidates.Length == 0)
        {
            return [];
        }

        var endings = candidates.Select(c => RunEnding.Rescue(c.Run.IsCancelRequested, c.Run.Attempt, c.Job.MaxAttempts, c.Job.Name)).ToArray();
        var retryJobs = Enumerable.Range(0, candidates.Length).Where(i => endings[i].Retries).Select(i => candidates[i].Job.Id).ToArray();
        var sources = Enumerable.Range(0, candidates.Length).Where(i => !endings[i].Retries).ToArray();

        // (2) upstream of the runs to retry, descendants of the runs ending for good.
        var locked = new HashSet<long>();
        var upstream = new List<UpstreamEdgeRow>();
        var descendants = new List<DescendantRow>();
        var prepare = (retryJobs.Length > 0 ? _sharedSql.LockUpstreamOfJobs : "") + (sources.Length > 0 ? _rescueSql.RescueDescendants : "");
        var sourcesJson = JsonSerializer.Serialize(sources.Select(i => new { ord = i, job_id = candidates[i].Job.Id }));
        // Result sets: for the runs to retry (LockUpstreamOfJobs), the upstream ids locked and the upstream edges with
        // statuses; for the runs ending for good (RescueDescendants), the descendants.
        await using (var grid = await connection.QueryMultipleAsync(Command(prepare, new { jobs = retryJobs, sources = sourcesJson }, transaction, cancellationToken)))
        {
            if (retryJobs.Length > 0)
            {
                locked.UnionWith(await grid.ReadAsync<long>());
                upstream.AddRange(await grid.ReadAsync<UpstreamEdgeRow>());
            }

            if (sources.Length > 0)
            {
                descendants.AddRange(await grid.ReadAsync<DescendantRow>());
            }
        }

        // A run to retry whose upstream job could not be locked (held elsewhere, or an edge just added) waits for a later rescue.
        var upstreamOf = upstream.ToLookup(u => u.JobId);
        var skipped = retryJobs.Where(j => upstreamOf[j].Any(u => !locked.Contains(u.Id))).ToHashSet();
        var ended = Enumerable.Range(0, candidates.Length).Where(i => !skipped.Contains(candidates[i].Job.Id)).ToArray();
        if (ended.Length == 0)
        {
            return [];
        }

        var retries = ended.Where(i => endings[i].Retries).Select(i =>
        {
            var job = candidates[i].Job;
            var waitingOn = upstreamOf[job.Id].Count(u => u.LatestStatus != StatusText.Succeeded);
            var next = endings[i].Retry(retryPolicy, now, Random.Shared.NextDouble());
            var run = candidates[i].Run;
            return new NewRun(i, job.Id, next.Attempt, job.Priority, waitingOn, next.AvailableAt, run.PipelineRunId, run.Input) { Trace = run.Trace };
        }).ToArray();

        var targets = CascadeTargets(descendants, retries, candidates.Select(c => c.Job.Id).ToHashSet());

        // (3) every write, one batch. Result sets: RescueEnd (the ended runs), InsertRuns when there are retries (the new
        // runs), RescueSyncStatus (none), CancelTargetsAfterPass when there are targets (the cancelled runs' ids and jobs).
        var write = _rescueSql.RescueEnd + (retries.Length > 0 ? _sharedSql.InsertRuns : "") + _rescueSql.RescueSyncStatus + (targets.Count > 0 ? _sharedSql.CancelTargetsAfterPass : "");
        var param = new
        {
            now = dbNow,
            ended = ended.Select(i => candidates[i].Run.Id).ToArray(),
            failedStatus = StatusText.Of(RunEnding.RescueStatus(cancelRequested: false)),
            failedError = RunEnding.RescueError(cancelRequested: false),
            cancelledStatus = StatusText.Of(RunEnding.RescueStatus(cancelRequested: true)),
            cancelledError = RunEnding.RescueError(cancelRequested: true),
            runs = NewRunsJson(retries),
            endedJobs = ended.Select(i => candidates[i].Job.Id).ToArray(),
            targets = JsonSerializer.Serialize(targets.Select(t => new { job_id = t.Key, reason = endings[t.Value].CascadeReason })),
        };
        var (endedRuns, retryRuns, cancelledBySource) = await WriteEndingsAsync(connection, transaction, write, param, retries.Length > 0, targets, cancellationToken);

        if (endedRuns.Count != ended.Length)
        {
            // Cannot happen while the rows are locked (PostgreSQL) or the database is (SQLite); never commit a half rescue.
            throw new InvalidOperationException($"A rescue ended {endedRuns.Count} of the {ended.Length} expired runs it had locked.");
        }

        if (AnyReadyNow(retries, now))
        {
            await NotifyRunsReadyAsync(connection, transaction, null, cancellationToken);
        }

        return ended.Select(i => new RunCompletion(
                endedRuns[candidates[i].Run.Id],
                retryRuns.GetValueOrDefault(candidates[i].Job.Id),
                cancelledBySource[i].ToArray()))
            .ToArray();
    }

    /// <summary>The statements of <see cref="RescueExpiredRunsAsync"/>, beside the code that reads their results.</summary>
    private sealed class RescueSql
    {
        public RescueSql(SqlDialect dialect, SharedSql shared)
        {
            var jobColumns = JobColumns("j.");
            var runColumns = RunColumns("r.");

            // The expired runs, earliest lease first, with their inputs and trace contexts (a retry carries both) and their jobs. PostgreSQL locks both rows and skips any another
            // transaction holds (a completion, a heartbeat, a cancel in progress), so a rescue never waits for a lock:
            // it cannot take part in a deadlock, whatever order its locks come in.
            RescueCandidates = $"""
                SELECT {runColumns}, r.input AS Input, {TraceColumns("r.")}, {jobColumns}
                FROM job_runs r CROSS JOIN jobs j
                WHERE j.id = r.job_id AND r.status = 'Running' AND r.lease_expires_at < @now
                ORDER BY r.lease_expires_at, r.id
                LIMIT @limit{dialect.ForUpdateOf("r, j")}{dialect.SkipLocked};
                """;

            // Every job downstream of each source job (@sources: ord, job_id), with the source's ordinal.
            RescueDescendants = $"""
                WITH RECURSIVE down(src, id) AS (
                    SELECT s.ord, d.job_id FROM {dialect.JsonRows("@sources", "s", "ord integer", "job_id bigint")}
                    JOIN job_dependencies d ON d.depends_on_job_id = s.job_id
                    UNION
                    SELECT down.src, d.job_id FROM down JOIN job_dependencies d ON d.depends_on_job_id = down.id
                )
                SELECT src AS Source, id AS JobId FROM down;
                """;

            // Ends the rescued runs, re-checking that each is still Running with an expired lease; status and error text are
            // RunEnding.RescueStatus/RescueError of cancel_requested (@cancelled… when it is set, @failed… otherwise).
            // The rescued runs (locked already, without waiting) and the cascades' targets' pending runs are taken in one
            // ascending pass (SharedSql.LockedRuns), so the cascade (CancelTargetsAfterPass) waits for no run row after it.
            RescueEnd = $"""
                UPDATE job_runs SET
                    status = CASE WHEN cancel_requested THEN @cancelledStatus ELSE @failedStatus END,
                    error = CASE WHEN cancel_requested THEN @cancelledError ELSE @failedError END,
                    finished_at = @now, lease_expires_at = NULL
                WHERE {dialect.InList("id", "@ended")} AND {StatusIs("status", "Running")} AND lease_expires_at < @now
                  AND id IN ({shared.LockedRuns(
                      $"SELECT tj.latest_run_id FROM {dialect.JsonRows("@targets", "t", "job_id bigint")} JOIN jobs tj ON tj.id = t.job_id",
                      $"SELECT e.id FROM job_runs e WHERE {dialect.InList("e.id", "@ended")}")})
                RETURNING {RunColumns("")};
                """;

            // After RescueEnd (and InsertRuns for the retries): each rescued job's latest status follows its latest run.
            RescueSyncStatus = SharedSql.SyncLatestStatus(dialect.InList("id", "@endedJobs"));
        }

        public string RescueCandidates { get; }

        public string RescueDescendants { get; }

        public string RescueEnd { get; }

        public string RescueSyncStatus { get; }
    }
}
