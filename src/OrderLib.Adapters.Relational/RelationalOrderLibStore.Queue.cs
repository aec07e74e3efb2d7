using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// The workers' queue (claim, heartbeat, fenced completion, rescue), the shared ending of a run (retry or cascade)
// and triggering a pipeline. The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <summary>
    /// Claims up to <see cref="ClaimRequest.Limit"/> ready runs (of the requested clients, or of all) for the worker in one
    /// statement: highest job priority first, then oldest, started at the clock's time read inside the write transaction and leased for <see cref="ClaimRequest.LeaseDuration"/>.
    /// On PostgreSQL concurrent claims skip each other's candidates (<c>FOR UPDATE SKIP LOCKED</c>) instead of waiting.
    /// </summary>
    /// <returns>The claimed runs in claim order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is less than 1.</exception>
    public async Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Limit, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Clock, nameof(request));
        var sql = request.Clients.IsAll ? _sql.ClaimRuns : _sql.ClaimClientRuns;
        return await WriteAsync(
            async (connection, transaction) =>
            {
                // Read now, not before the transaction began: on SQLite it waited for the write lock, behind writes
                // that may have made these runs ready, and a run must not start before what it waited for ended.
                var now = OrderLibClock.Now(request.Clock);
                var param = new
                {
                    workerId = request.WorkerId.Value,
                    clients = ClientValues(request.Clients),
                    limit = request.Limit,
                    now = _dialect.ToDb(now),
                    leaseExpiresAt = _dialect.ToDb(now + request.LeaseDuration),
                };
                var rows = await connection.QueryAsync<RunRow, ClaimJobRow, (RunRow Run, ClaimJobRow Job)>(
                    Command(sql, param, transaction, cancellationToken),
                    (run, job) => (run, job),
                    splitOn: "ClientId");
                return rows
                    .OrderByDescending(x => x.Run.Priority)
                    .ThenBy(x => x.Run.Id)
                    .Select(x => new ClaimedRun(x.Run.ToRun(_dialect), new ClientId(x.Job.ClientId), x.Job.JobName, x.Job.MaxAttempts))
                    .ToArray();
            },
            cancellationToken);
    }

    /// <summary>Extends the worker's lease on the run to <paramref name="leaseExpiresAt"/>, only while the worker holds it.</summary>
    /// <returns>The run with its new lease, and whether cancellation was requested.</returns>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    public Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        var param = new { runId = runId.Value, workerId = workerId.Value, leaseExpiresAt = _dialect.ToDb(leaseExpiresAt) };
        return WriteAsync(
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(_sql.Heartbeat, param, transaction, cancellationToken));
                if (row is null)
                {
                    throw await LeaseLostAsync(connection, transaction, runId, workerId, cancellationToken);
                }

                var run = row.ToRun(_dialect);
                return new HeartbeatResult(run, run.CancelRequested);
            },
            cancellationToken);
    }

    /// <summary>
    /// Ends the worker's run as <paramref name="outcome"/>, only while the worker holds it (fencing): Succeeded (its
    /// dependents' pending runs wait for one job fewer), Failed with <paramref name="errorText"/> (retried after a backoff
    /// while attempts remain, otherwise its transitive dependents' pending runs are cancelled) or Cancelled (cascades the same way).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is Pending or Running.</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    public Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A worker completes a run as Succeeded, Failed or Cancelled.");
        }

        return EndRunAsync(new RunEnd(runId, outcome, RunEnding.ErrorOf(outcome, errorText), now.ToUniversalTime(), retryPolicy, null, workerId), cancellationToken);
    }

    /// <summary>
    /// Ends up to <paramref name="limit"/> Running runs whose lease expired before <paramref name="now"/>, earliest lease first:
    /// Failed "worker lost" (retried while attempts remain) or, when cancellation was requested, Cancelled
    /// "cancelled; worker lost"; a failure for good or a cancellation cancels the transitive dependents' pending runs.
    /// A constant number of statements whatever the count; on PostgreSQL runs and jobs another transaction holds are
    /// skipped (left for a later rescue), so a rescue never waits for a lock.
    /// </summary>
    /// <returns>What happened to each rescued run, earliest lease first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    public Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        now = now.ToUniversalTime();
        return WriteAsync((connection, transaction) => RescueAsync(connection, transaction, now, retryPolicy, limit, cancellationToken), cancellationToken);
    }

    // ---------------------------------------------------------------- ending one run

    // Ends one Running run — client-scoped (FinishRun: Client set) or fenced on the worker (CompleteRun: WorkerId set) —
    // then retries or cascades. One round trip for a success, two for a failure or cancellation.
    private Task<RunCompletion> EndRunAsync(RunEnd end, CancellationToken cancellationToken)
    {
        var clientScoped = end.Client is not null;
        var sql = (end.Outcome, clientScoped) switch
        {
            (RunStatus.Succeeded, true) => _sql.FinishSucceeded,
            (RunStatus.Failed, true) => _sql.FinishFailed,
            (RunStatus.Succeeded, false) => _sql.CompleteSucceeded,
            (RunStatus.Failed, false) => _sql.CompleteFailed,
            (RunStatus.Cancelled, false) => _sql.CompleteCancelled,
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
            now = _dialect.ToDb(end.Now),
        };

        return WriteOrRetryAsync(
            async (connection, transaction) =>
            {
                var locked = new HashSet<long>();
                JobRow? job;
                UpstreamRow[] upstream = [];
                RunRow? row;
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
                    var retry = new NewRun(0, job.Id, next.Attempt, job.Priority, upstream.Count(u => !u.Succeeded), next.AvailableAt);
                    var retries = await InsertRunsAsync(connection, transaction, [retry], end.Now, cancellationToken);
                    return new RunCompletion(run, retries[0], []);
                }

                return ending.CascadeReason is { } reason
                    ? new RunCompletion(run, null, await EndForGoodAsync(connection, transaction, run.Id, reason, end.Now, cancellationToken))
                    : new RunCompletion(run, null, []);
            },
            $"Run {end.RunId} could not be ended: the jobs it depends on kept changing.",
            cancellationToken);
    }

    // The run ended Failed for good or Cancelled: its job's latest status follows, and the pending runs of its transitive
    // dependents are cancelled with the ending's cascade reason. Returns their ids in order.
    private async Task<IReadOnlyList<RunId>> EndForGoodAsync(DbConnection connection, DbTransaction transaction, RunId runId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = await connection.QueryAsync<long>(Command(
            _sql.EndForGood,
            new { runId = runId.Value, reason, now = _dialect.ToDb(now) },
            transaction,
            cancellationToken));
        return ids.Order().Select(id => new RunId(id)).ToArray();
    }

    // Creates the pending runs (in Ord order), each becoming its job's latest run; returns them in the given order.
    private async Task<JobRun[]> InsertRunsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NewRun> runs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<RunRow>(Command(
            _sql.InsertRuns, new { runs = NewRunsJson(runs), now = _dialect.ToDb(now) }, transaction, cancellationToken));
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
    }));

    // Why a fenced call changed nothing: the run is gone, or it is not (any more) Running under this worker.
    private async Task<Exception> LeaseLostAsync(DbConnection connection, DbTransaction transaction, RunId runId, WorkerId workerId, CancellationToken cancellationToken)
    {
        var current = await connection.QuerySingleOrDefaultAsync<RunHolderRow>(Command(
            _sql.GetRunHolder, new { runId = runId.Value }, transaction, cancellationToken));
        if (current is null)
        {
            return new RunNotFoundException(runId);
        }

        var status = StatusText.Parse(current.Status);
        return new LeaseLostException(runId, workerId, status, status == RunStatus.Running && current.WorkerId is { } holder ? new WorkerId(holder) : null);
    }

    // Why a client-scoped end changed nothing: the client has no such run, or the run is not Running.
    private async Task<Exception> IllegalEndAsync(DbConnection connection, DbTransaction transaction, ClientId client, RunId runId, RunStatus outcome, CancellationToken cancellationToken)
    {
        var current = await connection.QuerySingleOrDefaultAsync<RunRow>(Command(
            _sql.GetRun, new { client = client.Value, runId = runId.Value }, transaction, cancellationToken));
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

    // ---------------------------------------------------------------- rescue

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
            Command(_sql.RescueCandidates, new { now = dbNow, limit }, transaction, cancellationToken),
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
        var prepare = (retryJobs.Length > 0 ? _sql.LockUpstreamOfJobs : "") + (sources.Length > 0 ? _sql.RescueDescendants : "");
        var sourcesJson = JsonSerializer.Serialize(sources.Select(i => new { ord = i, job_id = candidates[i].Job.Id }));
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
            return new NewRun(i, job.Id, next.Attempt, job.Priority, waitingOn, next.AvailableAt);
        }).ToArray();

        // Which dependent each cascade cancels, as if the runs ended one by one in order: the first source (by ordinal)
        // above a job cancels its pending run; a retry created here is pending only for sources that come after it;
        // a job whose run is being rescued has nothing else pending.
        var retryOrdinal = retries.ToDictionary(r => r.JobId, r => r.Ord);
        var rescuedJobs = candidates.Select(c => c.Job.Id).ToHashSet();
        var targets = new Dictionary<long, int>();
        foreach (var d in descendants)
        {
            var pendingFrom = retryOrdinal.TryGetValue(d.JobId, out var k) ? k : rescuedJobs.Contains(d.JobId) ? int.MaxValue : -1;
            if (d.Source > pendingFrom && (!targets.TryGetValue(d.JobId, out var first) || d.Source < first))
            {
                targets[d.JobId] = d.Source;
            }
        }

        // (3) every write, one batch.
        var write = _sql.RescueEnd + (retries.Length > 0 ? _sql.InsertRuns : "") + _sql.RescueSyncStatus + (targets.Count > 0 ? _sql.CancelTargets : "");
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
        Dictionary<long, JobRun> endedRuns;
        Dictionary<long, JobRun> retryRuns = [];
        RunOfJobRow[] cancelled = [];
        await using (var grid = await connection.QueryMultipleAsync(Command(write, param, transaction, cancellationToken)))
        {
            endedRuns = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.Id, r => r.ToRun(_dialect));
            if (retries.Length > 0)
            {
                retryRuns = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect));
            }

            if (targets.Count > 0)
            {
                cancelled = (await grid.ReadAsync<RunOfJobRow>()).ToArray();
            }
        }

        if (endedRuns.Count != ended.Length)
        {
            // Cannot happen while the rows are locked (PostgreSQL) or the database is (SQLite); never commit a half rescue.
            throw new InvalidOperationException($"A rescue ended {endedRuns.Count} of the {ended.Length} expired runs it had locked.");
        }

        var cancelledBySource = cancelled.ToLookup(c => targets[c.JobId], c => c.Id);
        return ended.Select(i => new RunCompletion(
                endedRuns[candidates[i].Run.Id],
                retryRuns.GetValueOrDefault(candidates[i].Job.Id),
                cancelledBySource[i].Order().Select(id => new RunId(id)).ToArray()))
            .ToArray();
    }

    // ---------------------------------------------------------------- trigger a pipeline

    // Under the client's graph lock (the sub-graph and its upstream edges cannot change): reads the job's transitive
    // dependents and their upstream edges, locks every job involved in one pass in ascending id order, then creates the
    // missing runs in topological order and makes the kept pending runs wait for upstream jobs that stop being a success —
    // one batch, whatever the size of the pipeline.
    private async Task<IReadOnlyList<EnqueueResult>> TriggerAsync(
        DbConnection connection, DbTransaction transaction, ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
        EdgeRow[] edges;
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _sql.TriggerGraph, new { client = client.Value, jobId = jobId.Value }, transaction, cancellationToken)))
        {
            if (await grid.ReadSingleAsync<long>() == 0)
            {
                throw new JobNotFoundException(jobId);
            }

            edges = (await grid.ReadAsync<EdgeRow>()).ToArray();
        }

        var members = edges.Select(e => e.JobId).Append(jobId.Value).ToHashSet();
        var involved = members.Concat(edges.Select(e => e.DependsOnJobId)).Distinct().Order().ToArray();
        Dictionary<long, JobRow> jobs;
        Dictionary<long, JobRun> active;
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _sql.TriggerLock, new { client = client.Value, ids = involved, members = members.ToArray() }, transaction, cancellationToken)))
        {
            jobs = (await grid.ReadAsync<JobRow>()).ToDictionary(j => j.Id);
            active = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect));
        }

        if (jobs.Count != involved.Length)
        {
            // Cannot happen: every change to the graph or to the set of jobs waits for the client's graph lock, held here.
            throw new InvalidOperationException($"Job {jobId}'s pipeline changed while its graph was locked.");
        }

        var upstreamOf = edges.ToLookup(e => e.JobId, e => e.DependsOnJobId);
        var order = DependencyGraph.TopologicalOrder(
                members.Select(id => new JobId(id)).ToHashSet(),
                edges.Select(e => (new JobId(e.JobId), new JobId(e.DependsOnJobId))))
            .Select(id => id.Value)
            .ToList();

        // Every job of the pipeline ends up with an active run, so none of them counts as Succeeded any more; the kept
        // pending runs are the pipeline's own (a pending run outside it cannot depend on a member: it would be a member).
        var plan = PlanEnqueue(
            order.Where(id => !active.ContainsKey(id)).Select(id => jobs[id]).ToArray(),
            upstreamOf,
            u => !members.Contains(u) && jobs[u].LatestStatus == StatusText.Succeeded,
            active.Values.Where(r => r.Status == RunStatus.Pending).SelectMany(r => upstreamOf[r.JobId.Value].Select(u => (r.Id.Value, u))),
            now);
        var created = await WriteEnqueuePlanAsync(connection, transaction, plan, now, advance: null, cancellationToken);

        return order
            .Select(id => active.TryGetValue(id, out var kept) ? new EnqueueResult(kept, Created: false) : new EnqueueResult(created[id], Created: true))
            .ToArray();
    }

    // ---------------------------------------------------------------- enqueueing several jobs at once

    // What enqueueing the jobs `enqueued` (in that order, each without an active run, every row held by the caller) at once
    // changes — the machinery shared by triggering a pipeline and enqueueing due jobs. Each new first attempt waits on its
    // upstream jobs that are not Succeeded, every job enqueued here counting as not Succeeded (its new run is Pending);
    // `pendingDependentRuns` (run, upstream job: one entry per edge) are the kept pending runs that depend on some of the
    // jobs, and each waits for one job more per upstream job that was Succeeded and gets a new run here.
    private static EnqueuePlan PlanEnqueue(
        IReadOnlyList<JobRow> enqueued,
        ILookup<long, long> upstreamOf,
        Func<long, bool> countsAsSucceeded,
        IEnumerable<(long Run, long Upstream)> pendingDependentRuns,
        DateTimeOffset now)
    {
        var enqueuedIds = enqueued.Select(j => j.Id).ToHashSet();
        var noLongerSucceeded = enqueued.Where(j => j.LatestStatus == StatusText.Succeeded).Select(j => j.Id).ToHashSet();
        var runs = enqueued
            .Select((job, i) => new NewRun(
                i,
                job.Id,
                1,
                job.Priority,
                upstreamOf[job.Id].Count(u => enqueuedIds.Contains(u) || !countsAsSucceeded(u)),
                now))
            .ToArray();
        var shifts = pendingDependentRuns
            .Where(x => noLongerSucceeded.Contains(x.Upstream))
            .GroupBy(x => x.Run)
            .Select(g => (Run: g.Key, Delta: g.Count()))
            .ToArray();
        return new EnqueuePlan(runs, shifts);
    }

    // Writes a plan in one batch — the new runs inserted (each becoming its job's latest run), the kept pending runs
    // shifted (locked in one pass, in id order) — followed, for a scheduler, by the due jobs' new due times (`advance`:
    // JSON of id and next_due_at). Returns the new runs by job id.
    private async Task<Dictionary<long, JobRun>> WriteEnqueuePlanAsync(
        DbConnection connection, DbTransaction transaction, EnqueuePlan plan, DateTimeOffset now, string? advance, CancellationToken cancellationToken)
    {
        var sql = (plan.Runs.Count > 0 ? _sql.InsertRuns : "") + (plan.Shifts.Count > 0 ? _sql.ShiftRuns : "") + (advance is null ? "" : _sql.AdvanceDueJobs);
        if (sql.Length == 0)
        {
            return [];
        }

        var param = new
        {
            runs = NewRunsJson(plan.Runs),
            shifts = JsonSerializer.Serialize(plan.Shifts.Select(s => new { id = s.Run, delta = s.Delta })),
            now = _dialect.ToDb(now),
            advance,
        };
        await using var grid = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken));
        return plan.Runs.Count > 0
            ? (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect))
            : [];
    }

    /// <summary>How one run is ended: client-scoped (<see cref="Client"/>) or fenced on the worker (<see cref="WorkerId"/>).</summary>
    private sealed record RunEnd(RunId RunId, RunStatus Outcome, string? Error, DateTimeOffset Now, RetryPolicy RetryPolicy, ClientId? Client, WorkerId? WorkerId);

    /// <summary>A pending run to create: its order in the batch, job, attempt, priority, count of unsatisfied upstream jobs, availability.</summary>
    private sealed record NewRun(int Ord, long JobId, int Attempt, int Priority, int WaitingOn, DateTimeOffset AvailableAt);

    /// <summary>The first attempts to create and how much more each kept pending run waits (<see cref="PlanEnqueue"/>).</summary>
    private sealed record EnqueuePlan(IReadOnlyList<NewRun> Runs, IReadOnlyList<(long Run, int Delta)> Shifts);
}
