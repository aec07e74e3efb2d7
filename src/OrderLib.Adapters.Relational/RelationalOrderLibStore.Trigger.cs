using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Triggering a pipeline, and the enqueueing of several jobs at once that it shares with the scheduler
// (RelationalOrderLibStore.Schedules.cs). The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Under the client's graph lock: one recursive read of the union of the roots' downstream closures and their
    /// upstream edges; then every job involved is locked in one pass in ascending id order (the pipeline run inserted in the
    /// same batch) and all runs and the pipeline run's members are written in one batch — a constant number of round trips
    /// whatever the size of the pipelines. New runs wait on the upstream jobs that have not succeeded, counting the runs
    /// created here.
    /// </remarks>
    public Task<TriggeredPipeline> TriggerPipelinesAsync(ClientId client, IReadOnlyCollection<JobId> jobIds, PipelineTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        PipelineRoots.Check(jobIds, trigger);
        var roots = jobIds.Select(j => j.Value).ToArray();
        return WriteAsync((connection, transaction) => TriggerAsync(connection, transaction, client, roots, trigger, now.ToUniversalTime(), cancellationToken), cancellationToken);
    }

    // Under the client's graph lock (the sub-graph and its upstream edges cannot change): reads the roots' transitive
    // dependents and their upstream edges, locks every job involved in one pass in ascending id order, then creates the
    // missing runs in topological order (each carrying the pipeline run's id and input) and makes the kept pending runs
    // wait for upstream jobs that stop being a success, and records the pipeline run's members — one batch, whatever the
    // size of the pipelines.
    private async Task<TriggeredPipeline> TriggerAsync(
        DbConnection connection, DbTransaction transaction, ClientId client, long[] roots, PipelineTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
        HashSet<long> members;
        EdgeRow[] edges;
        // Result sets: the roots the client has; every edge from a job of the closure (the roots and their transitive
        // dependents) to its upstream jobs, inside the closure or not.
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _triggerSql.TriggerGraph, new { client = client.Value, roots }, transaction, cancellationToken)))
        {
            members = (await grid.ReadAsync<long>()).ToHashSet();
            foreach (var root in roots)
            {
                if (!members.Contains(root))
                {
                    throw new JobNotFoundException(new JobId(root));
                }
            }

            edges = (await grid.ReadAsync<EdgeRow>()).ToArray();
        }

        members.UnionWith(edges.Select(e => e.JobId));
        var involved = members.Concat(edges.Select(e => e.DependsOnJobId)).Distinct().Order().ToArray();
        Dictionary<long, JobRow> jobs;
        Dictionary<long, JobRun> active;
        long pipelineRunId;
        var pipelineRun = new
        {
            client = client.Value,
            ids = involved,
            members = members.ToArray(),
            kind = trigger.Kind.ToString(),
            label = trigger.Label,
            input = trigger.Input?.Json,
            now = _dialect.ToDb(now),
        };
        // Result sets: the locked jobs (id, priority, latest status); the members' active runs; the new pipeline run's id.
        await using (var grid = await connection.QueryMultipleAsync(Command(
                         _triggerSql.TriggerLock + _triggerSql.InsertPipelineRun, pipelineRun, transaction, cancellationToken)))
        {
            jobs = (await grid.ReadAsync<JobRow>()).ToDictionary(j => j.Id);
            active = (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect));
            pipelineRunId = await grid.ReadSingleAsync<long>();
        }

        if (jobs.Count != involved.Length)
        {
            // Cannot happen: every change to the graph or to the set of jobs waits for the client's graph lock, held here.
            throw new InvalidOperationException("A triggered pipeline changed while its graph was locked.");
        }

        var upstreamOf = edges.ToLookup(e => e.JobId, e => e.DependsOnJobId);
        var order = DependencyGraph.TopologicalOrder(
                members.Select(id => new JobId(id)).ToHashSet(),
                edges.Select(e => (new JobId(e.JobId), new JobId(e.DependsOnJobId))))
            .Select(id => id.Value)
            .ToList();

        // Every job of the pipelines ends up with an active run, so none of them counts as Succeeded any more; the kept
        // pending runs are the pipelines' own (a pending run outside them cannot depend on a member: it would be a member).
        var plan = PlanEnqueue(
            order.Where(id => !active.ContainsKey(id)).Select(id => jobs[id]).ToArray(),
            upstreamOf,
            u => !members.Contains(u) && jobs[u].LatestStatus == StatusText.Succeeded,
            active.Values.Where(r => r.Status == RunStatus.Pending).SelectMany(r => upstreamOf[r.JobId.Value].Select(u => (r.Id.Value, u))),
            now);
        plan = plan with { Runs = plan.Runs.Select(r => r with { PipelineRunId = pipelineRunId, Input = trigger.Input?.Json, Trace = trigger.TraceContext }).ToArray() };
        var rootSet = roots.ToHashSet();
        var pipelineMembers = order.Select((id, position) => new PipelineMember(
            pipelineRunId, position, id, active.TryGetValue(id, out var kept) ? kept.Id.Value : null, rootSet.Contains(id)));
        var created = await WriteEnqueuePlanAsync(connection, transaction, plan, pipelineMembers, now, advance: null, client, cancellationToken);

        return new TriggeredPipeline(
            new PipelineRunId(pipelineRunId),
            order
                .Select(id => active.TryGetValue(id, out var kept) ? new EnqueueResult(kept, Created: false) : new EnqueueResult(created[id], Created: true))
                .ToArray());
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
    // shifted (locked in one pass, in id order), the pipeline runs' members — followed, for a scheduler, by the due jobs'
    // new due times (`advance`: JSON of id and next_due_at); and, when a new run is ready, the notification for the client
    // (null: several clients). Returns the new runs by job id.
    private async Task<Dictionary<long, JobRun>> WriteEnqueuePlanAsync(
        DbConnection connection, DbTransaction transaction, EnqueuePlan plan, IEnumerable<PipelineMember> pipelineMembers, DateTimeOffset now, string? advance, ClientId? client, CancellationToken cancellationToken)
    {
        var membersJson = PipelineMembersJson(pipelineMembers);
        var sql = (plan.Runs.Length > 0 ? _sharedSql.InsertRuns : "")
            + (plan.Shifts.Count > 0 ? _triggerSql.ShiftRuns : "")
            + (membersJson is null ? "" : _triggerSql.InsertPipelineMembers)
            + (advance is null ? "" : _scheduleSql.AdvanceDueJobs);
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
            pipelineMembers = membersJson,
        };
        Dictionary<long, JobRun> created;
        await using (var grid = await connection.QueryMultipleAsync(Command(sql, param, transaction, cancellationToken)))
        {
            created = plan.Runs.Length > 0
                ? (await grid.ReadAsync<RunRow>()).ToDictionary(r => r.JobId, r => r.ToRun(_dialect))
                : [];
        }

        if (AnyReadyNow(plan.Runs, now))
        {
            await NotifyRunsReadyAsync(connection, transaction, client, cancellationToken);
        }

        return created;
    }

    // The members as JSON rows for InsertPipelineMembers; null when there are none.
    private static string? PipelineMembersJson(IEnumerable<PipelineMember> members)
    {
        var rows = members.Select(m => new
        {
            pipeline_run_id = m.PipelineRunId,
            position = m.Position,
            job_id = m.JobId,
            run_id = m.JoinedRunId,
            joined = m.JoinedRunId is null ? 0 : 1,
            is_root = m.IsRoot ? 1 : 0,
        }).ToArray();
        return rows.Length == 0 ? null : JsonSerializer.Serialize(rows);
    }

    /// <summary>The first attempts to create and how much more each kept pending run waits (<see cref="PlanEnqueue"/>).</summary>
    private sealed record EnqueuePlan(NewRun[] Runs, IReadOnlyList<(long Run, int Delta)> Shifts);

    /// <summary>A job of a pipeline run at its position: the active run it joined (null: the run this batch creates for it, carrying the pipeline run's id), and whether it is a root.</summary>
    private sealed record PipelineMember(long PipelineRunId, int Position, long JobId, long? JoinedRunId, bool IsRoot);

    /// <summary>The statements of triggering a pipeline and of writing an enqueue plan, beside the code that reads their results.</summary>
    private sealed class TriggerSql
    {
        public TriggerSql(SqlDialect dialect, SharedSql shared)
        {
            // The roots the client has (to tell a missing one), then every edge from the closure's jobs to their upstream
            // jobs. The closure is walked by the database, one index lookup per job, so a small pipeline in a large graph
            // costs what the pipeline has (reading the client's whole graph instead took ~100 ms for a 100,000-job client,
            // whatever was triggered); for the 20,001-job DAG the walk costs ~65 ms on a quiet machine.
            TriggerGraph = $"""
                SELECT r.id FROM jobs r WHERE {dialect.InList("r.id", "@roots")} AND r.client_id = @client;
                WITH RECURSIVE down(id) AS (
                    SELECT r.id FROM jobs r WHERE {dialect.InList("r.id", "@roots")} AND r.client_id = @client
                    UNION
                    SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
                )
                SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
                FROM job_dependencies d JOIN down ON d.job_id = down.id;
                """;

            // Every job involved (the sub-graph and the upstream jobs it counts) locked in one pass in ascending id order,
            // reading only what planning the runs needs; then the sub-graph's active runs.
            TriggerLock = $"""
                SELECT j.id AS Id, j.priority AS Priority, j.latest_status AS LatestStatus FROM jobs j
                WHERE {dialect.InList("j.id", "@ids")} AND j.client_id = @client
                ORDER BY j.id{dialect.ForUpdateOf("j")};
                """ + shared.ActiveRunsOf("@members");

            // Adds delta to waiting_on of pending runs (@shifts: id, delta), locked in id order.
            var shifts = dialect.JsonRows("@shifts", "t", "id bigint", "delta integer");
            ShiftRuns = $"""
                UPDATE job_runs SET waiting_on = waiting_on + (SELECT t.delta FROM {shifts} WHERE t.id = job_runs.id)
                WHERE status = 'Pending' AND id IN (
                    SELECT r.id FROM job_runs r WHERE r.id IN (SELECT t.id FROM {shifts}) AND r.status = 'Pending'
                    ORDER BY r.id{dialect.ForUpdateOf("r")});
                """;

            // The pipeline run of a trigger (@kind, @label, @input, created at @now), its id returned.
            InsertPipelineRun = """
                INSERT INTO pipeline_runs (client_id, trigger_kind, label, input, created_at)
                VALUES (@client, @kind, @label, @input, @now)
                RETURNING id;
                """;

            // The members of pipeline runs (@pipelineMembers: pipeline_run_id, position, job_id, run_id, joined, is_root), after
            // InsertRuns: a member without a run id joins the run created for its job in this batch, found through
            // ix_job_runs_pipeline; the job's name is copied as it is now.
            var pipelineMembers = dialect.JsonRows(
                "@pipelineMembers", "t", "pipeline_run_id bigint", "position integer", "job_id bigint", "run_id bigint", "joined integer", "is_root integer");
            InsertPipelineMembers = $"""
                INSERT INTO pipeline_run_jobs (pipeline_run_id, position, job_id, job_name, run_id, joined, is_root)
                SELECT t.pipeline_run_id, t.position, t.job_id, j.name,
                       COALESCE(t.run_id, (SELECT n.id FROM job_runs n WHERE n.pipeline_run_id = t.pipeline_run_id AND n.job_id = t.job_id)),
                       t.joined = 1, t.is_root = 1
                FROM {pipelineMembers} JOIN jobs j ON j.id = t.job_id;
                """;
        }

        public string TriggerGraph { get; }

        public string InsertPipelineRun { get; }

        public string InsertPipelineMembers { get; }

        public string TriggerLock { get; }

        public string ShiftRuns { get; }
    }
}
