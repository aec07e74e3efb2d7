using System.Text.Json;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Import: a client's jobs, dependencies and finished runs from another system (the Python Order-lib) in one transaction.
// The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore : IImportStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One transaction under the client's graph lock (as <see cref="DefineGraphAsync"/>), of a constant number of round
    /// trips whatever the size: the jobs inserted set-based (rows as one JSON parameter), a name the client has already
    /// (or another caller creates meanwhile) skipped by the unique index and reported present; then, in one batch, the
    /// dependencies among the created jobs, the created jobs' runs in the batch's order (terminal, so <c>waiting_on</c>
    /// 0; <c>client_id</c> and priority from the job) and each such job's <c>latest_run_id</c>/<c>latest_status</c> set
    /// to its newest run. The created jobs have no other runs and no other edges, and no row another transaction holds is
    /// locked: only new rows are written.
    /// </remarks>
    public Task<ImportResult> ImportAsync(ClientId client, ImportBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        now = now.ToUniversalTime();
        // Every schedule is read before anything is written.
        var nextDueAt = batch.Jobs.Select(job => JobSchedules.NextDueAt(job.Definition.Schedule, now)).ToArray();
        var creates = JsonSerializer.Serialize(batch.Jobs.Select((job, i) =>
        {
            var createdAt = (job.CreatedAt ?? now).ToUniversalTime();
            return new
            {
                ord = i,
                name = job.Definition.Name,
                description = job.Definition.Description,
                priority = job.Definition.Priority,
                max_attempts = job.Definition.MaxAttempts,
                schedule = job.Definition.Schedule,
                next_due_at = JsonTimestampOrNull(nextDueAt[i]),
                created_at = SqlDialect.JsonTimestamp(createdAt),
                updated_at = SqlDialect.JsonTimestamp((job.UpdatedAt ?? createdAt).ToUniversalTime()),
            };
        }));
        return WriteAsync(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var inserted = (await connection.QueryAsync<JobNameRow>(Command(
                        _importSql.InsertJobs, new { client = client.Value, creates }, transaction, cancellationToken)))
                    .ToDictionary(r => r.Name, r => r.Id, StringComparer.Ordinal);
                var created = new List<Job>(inserted.Count);
                var present = new List<string>();
                for (var i = 0; i < batch.Jobs.Count; i++)
                {
                    var imported = batch.Jobs[i];
                    if (!inserted.TryGetValue(imported.Definition.Name, out var id))
                    {
                        present.Add(imported.Definition.Name);
                        continue;
                    }

                    var createdAt = (imported.CreatedAt ?? now).ToUniversalTime();
                    created.Add(Job.Create(new JobId(id), client, imported.Definition, createdAt) with
                    {
                        UpdatedAt = (imported.UpdatedAt ?? createdAt).ToUniversalTime(),
                        NextDueAt = nextDueAt[i],
                    });
                }

                var edges = batch.Dependencies
                    .Where(d => inserted.ContainsKey(d.JobName) && inserted.ContainsKey(d.DependsOnName))
                    .Select(d => new { job_id = inserted[d.JobName], depends_on_job_id = inserted[d.DependsOnName] })
                    .ToArray();
                var runs = batch.Runs
                    .Where(r => inserted.ContainsKey(r.JobName))
                    .Select((r, i) => new
                    {
                        ord = i,
                        job_id = inserted[r.JobName],
                        status = StatusText.Of(r.Status),
                        enqueued_at = SqlDialect.JsonTimestamp(r.EnqueuedAt),
                        started_at = JsonTimestampOrNull(r.StartedAt),
                        finished_at = SqlDialect.JsonTimestamp(r.FinishedAt),
                        error = r.Error,
                    })
                    .ToArray();
                if (edges.Length > 0 || runs.Length > 0)
                {
                    var param = new
                    {
                        client = client.Value,
                        edges = JsonSerializer.Serialize(edges),
                        runs = JsonSerializer.Serialize(runs),
                        runJobs = runs.Select(r => r.job_id).Distinct().ToArray(),
                        now = _dialect.ToDb(now),
                    };
                    await connection.ExecuteAsync(Command(_importSql.InsertDependenciesAndRuns, param, transaction, cancellationToken));
                }

                return new ImportResult(created, present, edges.Length, runs.Length);
            },
            cancellationToken);
    }

    /// <summary>The statements of an import, beside the code that reads their results.</summary>
    private sealed class ImportSql
    {
        public ImportSql(SqlDialect dialect)
        {
            // The jobs in the batch's order with their own creation and update times; a name the client has is skipped.
            var creates = dialect.JsonRows(
                "@creates", "t", "ord integer", "name text", "description text", "priority integer", "max_attempts integer", "schedule text",
                "next_due_at timestamptz", "created_at timestamptz", "updated_at timestamptz");
            InsertJobs = $"""
                INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, next_due_at, created_at, updated_at)
                SELECT @client, t.name, t.description, t.priority, t.max_attempts, t.schedule, t.next_due_at, t.created_at, t.updated_at
                FROM {creates}
                WHERE TRUE
                ORDER BY t.ord
                ON CONFLICT (client_id, name) DO NOTHING
                RETURNING id AS Id, name AS Name;
                """;

            // The edges among the created jobs; their runs, terminal, in the batch's order (ids grow with it, so each job's
            // last one is its newest); each such job's latest run and status.
            var runs = dialect.JsonRows(
                "@runs", "t", "ord integer", "job_id bigint", "status text", "enqueued_at timestamptz", "started_at timestamptz", "finished_at timestamptz", "error text");
            InsertDependenciesAndRuns = $"""
                INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at)
                SELECT t.job_id, t.depends_on_job_id, @now FROM {dialect.JsonRows("@edges", "t", "job_id bigint", "depends_on_job_id bigint")};
                INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at, started_at, finished_at, error)
                SELECT t.job_id, @client, t.status, 1, j.priority, 0, t.enqueued_at, t.enqueued_at, t.started_at, t.finished_at, t.error
                FROM {runs} JOIN jobs j ON j.id = t.job_id
                WHERE TRUE
                ORDER BY t.ord;
                UPDATE jobs SET latest_run_id = (SELECT MAX(r.id) FROM job_runs r WHERE r.job_id = jobs.id)
                WHERE {dialect.InList("jobs.id", "@runJobs")};
                UPDATE jobs SET latest_status = (SELECT r.status FROM job_runs r WHERE r.id = jobs.latest_run_id)
                WHERE {dialect.InList("jobs.id", "@runJobs")};
                """;
        }

        public string InsertJobs { get; }

        public string InsertDependenciesAndRuns { get; }
    }
}
