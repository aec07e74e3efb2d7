using System.Data.Common;
using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Graphs: many jobs and dependencies defined in one transaction. The lock discipline is described on the class
// (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One transaction under the client's graph lock (as <see cref="AddDependencyAsync"/>), of a constant number of round
    /// trips whatever the size: the named jobs locked <c>FOR UPDATE</c> in one pass in id order, read with the names of all
    /// the client's jobs and all its dependencies; the check in memory (<see cref="GraphDefinition.CheckAgainst"/>); the
    /// jobs updated and inserted set-based (rows as one JSON parameter); then the dependencies inserted and, in one run-row
    /// pass, the active runs of updated jobs given the new priority and the pending runs of dependents given their new
    /// waits. A job of a batch name created meanwhile by another caller makes the transaction run again.
    /// </remarks>
    public Task<GraphDefinitionResult> DefineGraphAsync(ClientId client, GraphDefinition graph, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graph);
        now = now.ToUniversalTime();
        // Every schedule is read before anything is written.
        var nextDueAt = graph.Jobs.Select(definition => JobSchedules.NextDueAt(definition.Schedule, now)).ToArray();
        var names = graph.Jobs.Select(j => j.Name)
            .Concat(graph.Dependencies.SelectMany(d => (string[])[d.JobName, d.DependsOnName]))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return WriteOrRetryAsync<GraphDefinitionResult>(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var param = new { client = client.Value, names };
                Dictionary<string, JobRow> named;
                Dictionary<long, string> nameOf;
                EdgeRow[] edges;
                // Result sets: the named jobs (locked); the id and name of every job of the client; its dependencies.
                await using (var grid = await connection.QueryMultipleAsync(Command(_graphSql.LockAndReadGraph, param, transaction, cancellationToken)))
                {
                    named = (await grid.ReadAsync<JobRow>()).ToDictionary(r => r.Name, StringComparer.Ordinal);
                    nameOf = (await grid.ReadAsync<JobNameRow>()).ToDictionary(r => r.Id, r => r.Name);
                    edges = (await grid.ReadAsync<EdgeRow>()).ToArray();
                }

                var added = graph.CheckAgainst(
                    nameOf.Values.ToHashSet(StringComparer.Ordinal),
                    edges.Select(e => (nameOf[e.JobId], nameOf[e.DependsOnJobId])));
                var plan = PlanJobs(graph, named, nextDueAt, now);
                var jobs = await WriteJobsAsync(connection, transaction, client, graph, plan, nextDueAt, now, cancellationToken);
                if (jobs is null)
                {
                    return null;
                }

                var idOf = nameOf.ToDictionary(x => x.Value, x => x.Key, StringComparer.Ordinal);
                foreach (var job in jobs)
                {
                    idOf[job.Name] = job.Id.Value;
                }

                await WriteDependenciesAsync(connection, transaction, added, idOf, named, plan, now, cancellationToken);
                var defined = jobs.Select((job, i) => new DefinedJob(job, plan.Changes[i])).ToArray();
                return new GraphDefinitionResult(defined, added.Count);
            },
            "Jobs of the graph's names kept being created by other callers meanwhile.",
            cancellationToken);
    }

    // What to do with each job of the batch (in its order), decided from the locked rows: create it, update it (as
    // UpdateJobAsync: Job.Redefined, which is what the update writes), or leave it.
    private JobPlan PlanJobs(GraphDefinition graph, Dictionary<string, JobRow> named, DateTimeOffset?[] nextDueAt, DateTimeOffset now)
    {
        var changes = new JobChange[graph.Jobs.Count];
        var existing = new Job?[graph.Jobs.Count];
        var creates = new List<object>();
        var updates = new List<object>();
        var updatedIds = new List<long>();
        for (var i = 0; i < graph.Jobs.Count; i++)
        {
            var definition = graph.Jobs[i];
            if (!named.TryGetValue(definition.Name, out var row))
            {
                changes[i] = JobChange.Created;
                creates.Add(new { ord = i, name = definition.Name, description = definition.Description, priority = definition.Priority, max_attempts = definition.MaxAttempts, schedule = definition.Schedule, next_due_at = JsonTimestampOrNull(nextDueAt[i]) });
                continue;
            }

            var job = row.ToJob(_dialect);
            if (job.IsDefinedBy(definition))
            {
                changes[i] = JobChange.Unchanged;
                existing[i] = job;
                continue;
            }

            changes[i] = JobChange.Updated;
            updatedIds.Add(job.Id.Value);
            var updated = existing[i] = job.Redefined(definition, now);
            updates.Add(new { job_id = job.Id.Value, description = updated.Description, priority = updated.Priority, max_attempts = updated.MaxAttempts, schedule = updated.Schedule, next_due_at = JsonTimestampOrNull(updated.NextDueAt) });
        }

        return new JobPlan(changes, existing, creates, updates, updatedIds);
    }

    private static string? JsonTimestampOrNull(DateTimeOffset? value) => value is { } v ? SqlDialect.JsonTimestamp(v) : null;

    // Updates and inserts the jobs (one round trip) and returns every job of the batch, in its order, as it is now (a
    // created one built from its definition and new id, as CreateJobAsync does); null when an insert met a name another
    // caller created meanwhile (the transaction then runs again).
    private async Task<Job[]?> WriteJobsAsync(
        DbConnection connection,
        DbTransaction transaction,
        ClientId client,
        GraphDefinition graph,
        JobPlan plan,
        DateTimeOffset?[] nextDueAt,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var param = new
        {
            client = client.Value,
            updates = JsonSerializer.Serialize(plan.Updates),
            creates = JsonSerializer.Serialize(plan.Creates),
            now = _dialect.ToDb(now),
        };
        // Result sets: the ids and names of the inserted jobs.
        var inserted = (await connection.QueryAsync<JobNameRow>(Command(_graphSql.WriteJobs, param, transaction, cancellationToken)))
            .ToDictionary(r => r.Name, r => r.Id, StringComparer.Ordinal);
        if (inserted.Count < plan.Creates.Count)
        {
            return null;
        }

        return graph.Jobs
            .Select((definition, i) => plan.Existing[i]
                ?? Job.Create(new JobId(inserted[definition.Name]), client, definition, now) with { NextDueAt = nextDueAt[i] })
            .ToArray();
    }

    // Inserts the new dependencies and, when runs are concerned, gives the updated jobs' active runs their priority and the
    // dependents' pending runs their new waits (one round trip). A new dependency makes the dependent's pending run wait
    // when the upstream job's latest run has not succeeded: a job created now has no run; an existing one is locked, so
    // its status holds until commit. Only existing dependents can have runs.
    private async Task WriteDependenciesAsync(
        DbConnection connection,
        DbTransaction transaction,
        IReadOnlyList<GraphDependency> added,
        Dictionary<string, long> idOf,
        Dictionary<string, JobRow> named,
        JobPlan plan,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var waits = added
            .Where(d => named.ContainsKey(d.JobName)
                && (!named.TryGetValue(d.DependsOnName, out var upstream) || upstream.LatestStatus != StatusText.Succeeded))
            .GroupBy(d => idOf[d.JobName])
            .Select(g => new { job_id = g.Key, waits = g.Count() })
            .ToArray();
        if (added.Count == 0 && waits.Length == 0 && plan.Updated.Count == 0)
        {
            return;
        }

        var param = new
        {
            edges = JsonSerializer.Serialize(added.Select(d => new { job_id = idOf[d.JobName], depends_on_job_id = idOf[d.DependsOnName] })),
            waits = JsonSerializer.Serialize(waits),
            updated = plan.Updated,
            runJobs = waits.Select(w => w.job_id).Concat(plan.Updated).Distinct().ToArray(),
            now = _dialect.ToDb(now),
        };
        var sql = param.runJobs.Length == 0 ? _graphSql.InsertDependencies : _graphSql.InsertDependencies + _graphSql.ShiftRuns;
        await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
    }

    /// <summary>
    /// What defining the batch does to each of its jobs: the change and, for an existing job, the job as it will be, by
    /// position; the rows to insert and to update (objects sent as JSON); the ids of the updated jobs.
    /// </summary>
    private sealed record JobPlan(JobChange[] Changes, Job?[] Existing, List<object> Creates, List<object> Updates, List<long> Updated);

    /// <summary>The statements of defining a graph, beside the code that reads their results.</summary>
    private sealed class GraphSql
    {
        public GraphSql(SqlDialect dialect)
        {
            // The named jobs locked in one pass in id order (job rows before run rows); then, under the graph lock, the
            // client's whole graph by id, for the check in memory.
            LockAndReadGraph = $"""
                SELECT {JobColumns("j.")} FROM jobs j
                WHERE j.client_id = @client AND {dialect.InList("j.name", "@names")}
                ORDER BY j.id{dialect.ForUpdateOf("j")};
                SELECT j.id AS Id, j.name AS Name FROM jobs j WHERE j.client_id = @client;
                SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
                FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
                WHERE j.client_id = @client;
                """;

            // The updates (job_id and the new values, the due time computed in C# by Job.Redefined), then the inserts in the
            // batch's order, skipping a name another caller created meanwhile.
            var updates = dialect.JsonRows(
                "@updates", "t", "job_id bigint", "description text", "priority integer", "max_attempts integer", "schedule text", "next_due_at timestamptz");
            var creates = dialect.JsonRows(
                "@creates", "t", "ord integer", "name text", "description text", "priority integer", "max_attempts integer", "schedule text", "next_due_at timestamptz");
            WriteJobs = $"""
                UPDATE jobs SET description = t.description, priority = t.priority, max_attempts = t.max_attempts,
                    schedule = t.schedule, next_due_at = t.next_due_at, updated_at = @now
                FROM {updates}
                WHERE jobs.id = t.job_id;
                INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, next_due_at, created_at, updated_at)
                SELECT @client, t.name, t.description, t.priority, t.max_attempts, t.schedule, t.next_due_at, @now, @now
                FROM {creates}
                WHERE TRUE
                ORDER BY t.ord
                ON CONFLICT (client_id, name) DO NOTHING
                RETURNING id AS Id, name AS Name;
                """;

            InsertDependencies = $"""
                INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at)
                SELECT t.job_id, t.depends_on_job_id, @now FROM {dialect.JsonRows("@edges", "t", "job_id bigint", "depends_on_job_id bigint")};
                """;

            // The transaction's one run-row pass: the active latest runs of the updated jobs and of the dependents that
            // wait more, locked in id order; then the new priorities (copied from the updated jobs) and the new waits.
            var activeLatestRuns = $"SELECT j.latest_run_id FROM jobs j WHERE {dialect.InList("j.id", "@runJobs")}";
            ShiftRuns = $"""
                SELECT r.id FROM job_runs r
                WHERE {dialect.IndexedIn("r.id", activeLatestRuns)} AND r.status IN ('Pending', 'Running')
                ORDER BY r.id{dialect.ForUpdateOf("r")};
                UPDATE job_runs SET priority = (SELECT j.priority FROM jobs j WHERE j.id = job_runs.job_id)
                WHERE {dialect.IndexedIn("id", $"SELECT j.latest_run_id FROM jobs j WHERE {dialect.InList("j.id", "@updated")}")}
                  AND status IN ('Pending', 'Running');
                UPDATE job_runs SET waiting_on = waiting_on + w.waits
                FROM {dialect.JsonRows("@waits", "w", "job_id bigint", "waits integer")} JOIN jobs wj ON wj.id = w.job_id
                WHERE job_runs.id = wj.latest_run_id AND job_runs.status = 'Pending';
                """;
        }

        public string LockAndReadGraph { get; }

        public string WriteJobs { get; }

        public string InsertDependencies { get; }

        public string ShiftRuns { get; }
    }
}
