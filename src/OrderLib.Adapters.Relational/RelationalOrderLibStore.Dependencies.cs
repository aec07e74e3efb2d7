using System.Data.Common;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Dependencies: add and remove an edge, list either way. The lock discipline is described on the class
// (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One transaction under the client's graph lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the immediate
    /// write transaction); the cycle check reads the upstream job's ancestry in one query.
    /// </remarks>
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

                var edges = (await connection.QueryAsync<EdgeRow>(Command(_dependencySql.FindCycleEdges, param, transaction, cancellationToken))).ToArray();
                if (edges.Length > 0)
                {
                    var upstream = edges.ToLookup(e => new JobId(e.JobId), e => new JobId(e.DependsOnJobId));
                    // Cannot be null: the edges are the upstream job's ancestry, which reaches the dependent one.
                    var cycle = DependencyGraph.CycleClosedBy(jobId, dependsOnJobId, id => upstream[id])
                                ?? throw new InvalidOperationException($"Job {dependsOnJobId} reaches job {jobId} but no path was found.");
                    throw new DependencyCycleException(jobId, dependsOnJobId, cycle);
                }

                var sql = dependsOn.LatestStatus == StatusText.Succeeded ? _dependencySql.InsertDependency : _dependencySql.InsertDependencyAndWait;
                await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
                return dependency;
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>One transaction under the client's graph lock, like <see cref="AddDependencyAsync"/>.</remarks>
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

                var releases = dependsOn.LatestStatus != StatusText.Succeeded;
                await connection.ExecuteAsync(Command(releases ? _dependencySql.DeleteDependencyAndStopWaiting : _dependencySql.DeleteDependency, param, transaction, cancellationToken));
                if (releases)
                {
                    await NotifyRunsReadyAsync(connection, transaction, client, cancellationToken);
                }

                return true;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) =>
        ListNeighboursAsync(_dependencySql.ListUpstream, client, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) =>
        ListNeighboursAsync(_dependencySql.ListDownstream, client, jobId, cancellationToken);

    private async Task<(JobRow Job, JobRow DependsOn, bool Exists)> CheckDependencyAsync(
        DbConnection connection, DbTransaction transaction, object param, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken)
    {
        // Result sets: both jobs (those found); the count of the edge.
        await using var grid = await connection.QueryMultipleAsync(Command(_dependencySql.CheckDependency, param, transaction, cancellationToken));
        var jobs = (await grid.ReadAsync<JobRow>()).ToArray();
        var exists = await grid.ReadSingleAsync<long>() > 0;
        var job = jobs.FirstOrDefault(j => j.Id == jobId.Value) ?? throw new JobNotFoundException(jobId);
        var dependsOn = jobs.FirstOrDefault(j => j.Id == dependsOnJobId.Value) ?? throw new JobNotFoundException(dependsOnJobId);
        return (job, dependsOn, exists);
    }

    private async Task<IReadOnlyList<Job>> ListNeighboursAsync(string sql, ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        return await ConnectAsync<IReadOnlyList<Job>>(
            async connection =>
            {
                // Result sets (ListUpstream, ListDownstream): the count of the job; the neighbours.
                await using var grid = await connection.QueryMultipleAsync(Command(sql, new { client = client.Value, jobId = jobId.Value }, null, cancellationToken));
                if (await grid.ReadSingleAsync<long>() == 0)
                {
                    throw new JobNotFoundException(jobId);
                }

                return (await grid.ReadAsync<JobRow>()).Select(r => r.ToJob(_dialect)).ToArray();
            },
            cancellationToken);
    }

    /// <summary>The statements of the dependency operations, beside the code that reads their results.</summary>
    private sealed class DependencySql
    {
        public DependencySql(SqlDialect dialect)
        {
            var jobColumns = JobColumns("j.");

            // The job's own pending run, if it has one (its latest run), for a change of one of its edges.
            const string shiftOwnPendingRun = """
                WHERE id = (SELECT oj.latest_run_id FROM jobs oj WHERE oj.id = @jobId) AND status = 'Pending';
                """;

            // Both jobs share-locked in id order, the edge looked up, and — when the upstream job already reaches the
            // dependent one through depends-on edges — every edge of the upstream job's ancestry, to name the cycle.
            CheckDependency = $"""
                SELECT {jobColumns} FROM jobs j
                WHERE j.id IN (@jobId, @dependsOnJobId) AND j.client_id = @client
                ORDER BY j.id{dialect.ForShareOf("j")};
                SELECT COUNT(*) FROM job_dependencies WHERE job_id = @jobId AND depends_on_job_id = @dependsOnJobId;
                """;

            FindCycleEdges = """
                WITH RECURSIVE up(id) AS (
                    SELECT CAST(@dependsOnJobId AS BIGINT)
                    UNION
                    SELECT d.depends_on_job_id FROM job_dependencies d JOIN up ON d.job_id = up.id
                )
                SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
                FROM job_dependencies d JOIN up ON d.job_id = up.id
                WHERE EXISTS (SELECT 1 FROM up WHERE up.id = @jobId);
                """;

            InsertDependency = """
                INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES (@jobId, @dependsOnJobId, @now);
                """;

            InsertDependencyAndWait = InsertDependency + "UPDATE job_runs SET waiting_on = waiting_on + 1 " + shiftOwnPendingRun;

            DeleteDependency = """
                DELETE FROM job_dependencies WHERE job_id = @jobId AND depends_on_job_id = @dependsOnJobId;
                """;

            DeleteDependencyAndStopWaiting = DeleteDependency + "UPDATE job_runs SET waiting_on = waiting_on - 1 " + shiftOwnPendingRun;

            ListUpstream = SharedSql.CountJob + $"""
                SELECT {jobColumns} FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                WHERE d.job_id = @jobId AND j.client_id = @client
                ORDER BY j.id;
                """;

            ListDownstream = SharedSql.CountJob + $"""
                SELECT {jobColumns} FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
                WHERE d.depends_on_job_id = @jobId AND j.client_id = @client
                ORDER BY j.id;
                """;
        }

        public string CheckDependency { get; }

        public string FindCycleEdges { get; }

        public string InsertDependency { get; }

        public string InsertDependencyAndWait { get; }

        public string DeleteDependency { get; }

        public string DeleteDependencyAndStopWaiting { get; }

        public string ListUpstream { get; }

        public string ListDownstream { get; }
    }
}
