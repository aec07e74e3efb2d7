using System.Diagnostics.CodeAnalysis;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Retention: pruning finished runs in short batches, and the list of clients maintenance serves.
//
// Where a prune batch stands in the lock discipline (RelationalOrderLibStore.cs): outside it, because it never waits for
// a lock. It reads its candidates and their jobs without locking anything (a plain read waits for nobody), then deletes
// those that go in one statement that first locks them FOR UPDATE SKIP LOCKED: a run another transaction holds is
// skipped, left for a later prune, and only the deleted rows are ever locked. A transaction that waits for nothing cannot
// close a cycle of waits, so a batch cannot deadlock whatever the others lock: a job delete (which locks every run of its
// job, terminal ones included, and deletes them), a run-row pass that kept a run which stopped being Pending while it
// waited, a worker's completion (its job row, then its own Running run, never a candidate). Those that meet a row the
// batch holds wait for its commit, one short transaction, and then find the row gone. Deleting a run locks nothing else:
// no table references job_runs, and deleting a row that references jobs takes no lock on the job row. On SQLite the
// immediate write transaction serialises the batch with every writer, as it does every write.
//
// Why the runs it deletes are safe to delete although it holds no job lock: a job's latest run and its N newest runs
// change only by new runs being added (which makes older runs deletable, never the reverse), terminal runs never change,
// and readiness reads only jobs.latest_status, waiting_on and the latest runs. A run the batch judged neither latest nor
// among the N newest stays so whatever commits meanwhile; a run created after the batch read is not counted, so the keep
// boundary it computed can only be lower than the true one, keeping more, never less.
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Two statements in one write transaction, whatever the batch size: the candidates, found through
    /// <c>ix_job_runs_client_finished</c>, with per candidate job its latest run and its keep boundary (the id of its N-th
    /// newest run, read once per job through <c>ix_job_runs_job</c>); then the delete of those that go, which skips on
    /// PostgreSQL the rows another transaction holds. The batch never waits for a row lock (see the notes at the top of
    /// this file). When deleted runs belonged to pipeline runs, a third statement deletes those of them created before the
    /// cut-off that have no run left (neither their own nor one they joined), with their members.
    /// </remarks>
    public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var start = after ?? new RunPosition(DateTimeOffset.MinValue, new RunId(0));
        var param = new
        {
            client = client.Value,
            olderThan = _dialect.ToDb(request.OlderThan),
            afterAt = _dialect.ToDb(start.At),
            afterId = start.RunId.Value,
            batchSize = request.BatchSize,
            keep = request.KeepLatestPerJob,
            keepOffset = Math.Max(request.KeepLatestPerJob - 1, 0),
        };
        return WriteAsync(
            async (connection, transaction) =>
            {
                var candidates = (await connection.QueryAsync<PruneCandidateRow>(Command(_retentionSql.Candidates, param, transaction, cancellationToken))).ToArray();
                var ids = candidates.Where(c => c.Deletable != 0).Select(c => c.RunId).ToArray();
                var deletedRuns = ids.Length == 0
                    ? []
                    : (await connection.QueryAsync<DeletedRunRow>(Command(_retentionSql.DeleteUnlockedRuns, new { ids }, transaction, cancellationToken))).ToArray();
                var deleted = deletedRuns.Select(r => r.Id).ToHashSet();
                var pipelineRuns = deletedRuns.Where(r => r.PipelineRunId is not null).Select(r => r.PipelineRunId!.Value).Distinct().ToArray();
                if (pipelineRuns.Length > 0)
                {
                    await connection.ExecuteAsync(Command(
                        _retentionSql.DeleteEmptyPipelineRuns, new { client = client.Value, olderThan = param.olderThan, pipelineRuns }, transaction, cancellationToken));
                }

                RunPosition? next = candidates.Length < request.BatchSize
                    ? null
                    : new RunPosition(_dialect.FromDb(candidates[^1].FinishedAt), new RunId(candidates[^1].RunId));
                return new PruneBatch(candidates.Where(c => deleted.Contains(c.RunId)).Select(c => c.ToPruned()).ToArray(), next);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One read of the distinct client ids of <c>jobs</c>, sorted here (ordinally, whatever the database's collation).</remarks>
    public async Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken)
    {
        var clients = await ConnectAsync(
            connection => connection.QueryAsync<string>(Command(RetentionSql.ListClients, new { }, null, cancellationToken)),
            cancellationToken);
        return clients.Order(StringComparer.Ordinal).Select(client => new ClientId(client)).ToArray();
    }

    /// <summary>The statements of retention, beside the code that reads their results.</summary>
    private sealed class RetentionSql
    {
        public const string ListClients = "SELECT DISTINCT client_id FROM jobs;";

        public RetentionSql(SqlDialect dialect)
        {
            // The candidates: the client's terminal runs finished before @olderThan, after (@afterAt, @afterId) in
            // (finished_at, id) order, the first @batchSize of them (a range of ix_job_runs_client_finished, the row
            // comparison included). Then each candidate job once: its latest run and its keep boundary, the id of its
            // @keep-th newest run (none when it has fewer runs: it keeps them all; not read when @keep is 0). A candidate
            // goes when it is neither the latest run nor at or above the boundary. Nothing is locked. Both parts are
            // MATERIALIZED, so the candidates are read once and each boundary once per job, not per candidate; the jobs are
            // found by primary key (IndexedIn; they are the client's, as job_runs.client_id copies the job's), never by a
            // scan of the client's jobs.
            Candidates = $"""
                WITH c AS MATERIALIZED (
                    SELECT r.id, r.job_id, r.status, r.finished_at FROM job_runs r
                    WHERE r.client_id = @client AND r.finished_at IS NOT NULL AND r.finished_at < @olderThan
                      AND (r.finished_at, r.id) > (@afterAt, @afterId)
                      AND r.status IN ('Succeeded', 'Failed', 'Cancelled')
                    ORDER BY r.finished_at, r.id
                    LIMIT @batchSize
                ),
                b AS MATERIALIZED (
                    SELECT j.id, j.name, j.latest_run_id,
                        CASE WHEN @keep = 0 THEN NULL
                             ELSE (SELECT k.id FROM job_runs k WHERE k.job_id = j.id ORDER BY k.id DESC LIMIT 1 OFFSET @keepOffset) END AS boundary
                    FROM jobs j WHERE {dialect.IndexedIn("j.id", "SELECT c.job_id FROM c")}
                )
                SELECT c.id AS RunId, c.job_id AS JobId, b.name AS JobName, c.status AS Status, c.finished_at AS FinishedAt,
                    CASE WHEN c.id <> b.latest_run_id AND (@keep = 0 OR c.id < b.boundary) THEN 1 ELSE 0 END AS Deletable
                FROM c JOIN b ON b.id = c.job_id
                ORDER BY c.finished_at, c.id;
                """;

            // The runs of @ids that no other transaction holds (PostgreSQL; on SQLite this transaction is the only
            // writer), locked in id order without waiting and deleted; returns the ids deleted. A run deleted meanwhile
            // (its job was) is simply not found.
            DeleteUnlockedRuns = $"""
                DELETE FROM job_runs WHERE id IN (
                    SELECT r.id FROM job_runs r WHERE {dialect.InList("r.id", "@ids")}
                    ORDER BY r.id{dialect.ForUpdateOf("r")}{dialect.SkipLocked})
                RETURNING id AS Id, pipeline_run_id AS PipelineRunId;
                """;

            // Of the pipeline runs in @pipelineRuns (those of the runs just deleted), the client's created before
            // @olderThan that have no run left — none carrying their id (ix_job_runs_pipeline), none of their members' —
            // deleted with their members (explicitly: SQLite does not enforce the cascade unless asked to).
            var empty = $"""
                SELECT p.id FROM pipeline_runs p
                WHERE {dialect.InList("p.id", "@pipelineRuns")} AND p.client_id = @client AND p.created_at < @olderThan
                  AND NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.pipeline_run_id = p.id)
                  AND NOT EXISTS (SELECT 1 FROM pipeline_run_jobs m JOIN job_runs r ON r.id = m.run_id WHERE m.pipeline_run_id = p.id)
                """;
            DeleteEmptyPipelineRuns = $"""
                DELETE FROM pipeline_run_jobs WHERE pipeline_run_id IN ({empty});
                DELETE FROM pipeline_runs WHERE {dialect.InList("id", "@pipelineRuns")} AND client_id = @client
                  AND NOT EXISTS (SELECT 1 FROM pipeline_run_jobs m WHERE m.pipeline_run_id = pipeline_runs.id);
                """;
        }

        public string Candidates { get; }

        public string DeleteUnlockedRuns { get; }

        public string DeleteEmptyPipelineRuns { get; }
    }

    /// <summary>A run a prune batch deleted, with the pipeline run it belonged to.</summary>
    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
    private sealed class DeletedRunRow
    {
        public long Id { get; set; }

        public long? PipelineRunId { get; set; }
    }

    /// <summary>A candidate of a prune batch: the run, its job's name, and whether it goes (1) or stays (0).</summary>
    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
    private sealed class PruneCandidateRow
    {
        public long RunId { get; set; }

        public long JobId { get; set; }

        public string JobName { get; set; } = "";

        public string Status { get; set; } = "";

        public object FinishedAt { get; set; } = null!;

        public int Deletable { get; set; }

        public PrunedRun ToPruned() => new(new RunId(RunId), new JobId(JobId), JobName, StatusText.Parse(Status));
    }
}
