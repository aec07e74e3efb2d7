using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Reading part of a client's graph for a picture: the jobs with their latest statuses, and the edges among them.
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One batch of three statements: the job a selection is around (to tell a missing one), the jobs with their latest
    /// run's status (through <c>jobs.latest_run_id</c>: <c>latest_status</c> stays Pending while a claimed run runs),
    /// and the edges among them. The closure around a job is walked by the database in both directions, one index look-up
    /// per job.
    /// </remarks>
    public Task<JobGraph> ReadGraphAsync(ClientId client, GraphSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var (sql, param) = selection switch
        {
            GraphSelection.AroundJob around => (_graphReadSql.Around, new { client = client.Value, jobId = around.JobId.Value, ids = Array.Empty<long>() }),
            GraphSelection.SomeJobs some => (_graphReadSql.Some, new { client = client.Value, jobId = 0L, ids = some.JobIds.Select(j => j.Value).ToArray() }),
            _ => (_graphReadSql.All, new { client = client.Value, jobId = 0L, ids = Array.Empty<long>() }),
        };
        return ConnectAsync(
            async connection =>
            {
                // Result sets: the count of the job in the middle (0 or 1); the nodes; the edges.
                await using var grid = await connection.QueryMultipleAsync(Command(sql, param, null, cancellationToken));
                if (await grid.ReadSingleAsync<long>() == 0 && selection is GraphSelection.AroundJob missing)
                {
                    throw new JobNotFoundException(missing.JobId);
                }

                var nodes = (await grid.ReadAsync<GraphNodeRow>()).Select(n => n.ToNode()).ToArray();
                var edges = (await grid.ReadAsync<EdgeRow>()).Select(e => new JobGraphEdge(new JobId(e.JobId), new JobId(e.DependsOnJobId)));
                return new JobGraph(nodes, edges);
            },
            cancellationToken);
    }

    /// <summary>The statements of reading a graph, one batch per kind of selection.</summary>
    private sealed class GraphReadSql
    {
        public GraphReadSql(SqlDialect dialect)
        {
            // The ids picked (a CTE named picked(id)) -> the batch: the middle job's count, the nodes, the edges among them.
            string Batch(string picked) => $"""
                SELECT COUNT(*) FROM jobs WHERE id = @jobId AND client_id = @client;
                WITH RECURSIVE {picked}
                SELECT j.id AS JobId, j.name AS Name, r.status AS Status, r.id AS RunId, j.paused_at AS PausedAt
                FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id
                WHERE j.id IN (SELECT id FROM picked) AND j.client_id = @client;
                WITH RECURSIVE {picked}
                SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
                FROM job_dependencies d
                WHERE d.job_id IN (SELECT id FROM picked) AND d.depends_on_job_id IN (SELECT id FROM picked);
                """;

            All = Batch("picked(id) AS (SELECT j.id FROM jobs j WHERE j.client_id = @client)");
            Some = Batch($"picked(id) AS (SELECT j.id FROM jobs j WHERE {dialect.InList("j.id", "@ids")} AND j.client_id = @client)");
            Around = Batch("""
                up(id) AS (
                    SELECT j.id FROM jobs j WHERE j.id = @jobId AND j.client_id = @client
                    UNION
                    SELECT d.depends_on_job_id FROM job_dependencies d JOIN up ON d.job_id = up.id
                ),
                down(id) AS (
                    SELECT j.id FROM jobs j WHERE j.id = @jobId AND j.client_id = @client
                    UNION
                    SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
                ),
                picked(id) AS (SELECT id FROM up UNION SELECT id FROM down)
                """);
        }

        public string All { get; }

        public string Some { get; }

        public string Around { get; }
    }
}
