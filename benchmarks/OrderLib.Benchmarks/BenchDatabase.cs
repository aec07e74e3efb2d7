using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Ports;

namespace OrderLib.Benchmarks;

/// <summary>
/// One database engine under test. Databases are named; the harness builds a template database per history size once
/// (migrations, bulk-loaded history, the ready runs) and gives every measured case a fresh copy of it, so each case starts
/// from the same state and the history stays at its nominal size.
/// </summary>
internal abstract class BenchDatabase : IAsyncDisposable
{
    /// <summary>The client (tenant) every benchmark job belongs to.</summary>
    public const string Client = "bench";

    /// <summary>"SQLite" or "PostgreSQL".</summary>
    public abstract string Name { get; }

    /// <summary>The process id of a database server this harness started (its CPU counts as the harness's own), or null.</summary>
    public virtual int? ServerPid => null;

    /// <summary>Engine version and the settings that matter for the figures, one per line.</summary>
    public abstract Task<IReadOnlyList<string>> DescribeAsync(CancellationToken cancellationToken);

    /// <summary>Creates an empty database and applies OrderLib's migrations with <c>OrderLibMigrations</c>.</summary>
    public abstract Task CreateMigratedAsync(string database, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="target"/> an exact copy of the sealed template <paramref name="source"/>.</summary>
    public abstract Task CopyAsync(string source, string target, CancellationToken cancellationToken);

    /// <summary>Deletes the database.</summary>
    public abstract Task DropAsync(string database, CancellationToken cancellationToken);

    /// <summary>Prepares a finished template for copying (statistics, checkpoint, no open connections).</summary>
    public abstract Task SealAsync(string database, CancellationToken cancellationToken);

    /// <summary>Registers this engine's OrderLib store for <paramref name="database"/>.</summary>
    public abstract void UseStore(OrderLibBuilder builder, string database);

    /// <summary>Opens a connection of the harness itself (not pooled with the store's).</summary>
    public abstract Task<DbConnection> OpenAsync(string database, CancellationToken cancellationToken);

    /// <summary>Inserts <paramref name="runs"/> finished runs spread over <paramref name="jobs"/> jobs, set-based, in one transaction.</summary>
    public abstract Task LoadHistoryAsync(string database, int runs, int jobs, CancellationToken cancellationToken);

    /// <summary>Inserts <paramref name="count"/> jobs without dependencies and returns their ids in order.</summary>
    public abstract Task<IReadOnlyList<long>> CreateQueueJobsAsync(string database, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts a layered DAG: a root job <c>dag-0-0</c>, then <paramref name="layers"/> layers of <paramref name="width"/> jobs
    /// <c>dag-L-W</c>; every job of layer 1 depends on the root, every job of a deeper layer on the job with the same index in the
    /// layer above and, for odd indexes, on a second job of that layer. Returns the root's id and the number of edges.
    /// </summary>
    public abstract Task<(long RootId, long Edges)> CreateDagAsync(string database, int layers, int width, CancellationToken cancellationToken);

    /// <summary>A timestamp as this engine's store writes it (timestamptz on PostgreSQL, ISO 8601 "O" text on SQLite).</summary>
    public abstract object DbTime(DateTimeOffset value);

    /// <summary>A timestamp read back from a column (a UTC <see cref="DateTime"/> on PostgreSQL, ISO 8601 text on SQLite).</summary>
    public static DateTimeOffset ReadTime(object value) => value switch
    {
        DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
        DateTimeOffset at => at.ToUniversalTime(),
        string text => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal).ToUniversalTime(),
        _ => throw new InvalidCastException($"Not a timestamp: {value.GetType().Name}."),
    };

    /// <summary>
    /// The plan of <paramref name="sql"/> with <paramref name="parameters"/> on <paramref name="connection"/>, beginning with
    /// the statement's text: PostgreSQL <c>EXPLAIN (ANALYZE, BUFFERS)</c> (so the statement runs), SQLite <c>EXPLAIN QUERY PLAN</c>.
    /// </summary>
    public abstract Task<string> ExplainAsync(DbConnection connection, string sql, IEnumerable<(string Name, object? Value)> parameters, CancellationToken cancellationToken);

    /// <summary>A query listing the names of <c>job_runs</c>' indexes, one per row.</summary>
    public abstract string JobRunIndexesSql { get; }

    /// <summary>OrderLib's migrator over <paramref name="database"/> (not pooled).</summary>
    public abstract IOrderLibMigrator Migrator(string database);

    /// <summary>
    /// Prepares <paramref name="database"/> so that <see cref="CapturePlansAsync"/> sees the plans of OrderLib's statements;
    /// call it before the services over that database are built. False when this engine cannot capture plans here.
    /// </summary>
    public abstract Task<bool> PreparePlanCaptureAsync(string database, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="action"/> (calls into OrderLib services over <paramref name="database"/>, built after
    /// <see cref="PreparePlanCaptureAsync"/>) and returns the plan of every statement the store sent meanwhile, each
    /// beginning with the statement's text. PostgreSQL: <c>auto_explain</c> (ANALYZE, BUFFERS) from the server log;
    /// SQLite: the statements traced on the store's own connection, expanded with their parameters, and their
    /// <c>EXPLAIN QUERY PLAN</c>. Read-only actions only: SQLite runs it twice (the first call gives the store a connection to trace).
    /// </summary>
    public abstract Task<IReadOnlyList<string>> CapturePlansAsync(string database, Func<Task> action, CancellationToken cancellationToken);

    /// <summary>
    /// The <c>define</c> scenario's reference, no OrderLib code: the rows <c>Jobs.DefineGraphAsync</c> writes for
    /// <paramref name="spec"/> (jobs with default definitions, then their edges) in one transaction, as fast as plain
    /// ADO.NET writes them here. Returns the milliseconds it took.
    /// </summary>
    public abstract Task<double> ReferenceDefineAsync(string database, GraphSpec spec, CancellationToken cancellationToken);

    /// <summary>How <see cref="ReferenceDefineAsync"/> writes, for the report.</summary>
    public abstract string ReferenceDefineDescription { get; }

    /// <summary>The number of jobs and of dependencies in the database.</summary>
    public async Task<(long Jobs, long Edges)> CountGraphAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        var jobs = await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM jobs", cancellationToken);
        var edges = await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM job_dependencies", cancellationToken);
        return (jobs, edges);
    }

    // The ids of the queue scenario's jobs, in id order.
    protected static Task<IReadOnlyList<long>> QueueJobIdsAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) =>
        Sql.LongsAsync(
            connection,
            null,
            "SELECT id FROM jobs WHERE client_id = @client AND name LIKE 'queue-%' ORDER BY id",
            cancellationToken,
            ("client", Client));

    /// <summary>
    /// Enqueues a pending run for every queue job that has none, set-based, writing exactly what <c>Runs.EnqueueAsync</c>
    /// writes for a job without dependencies and without earlier runs (a Pending attempt 1 with the job's priority, waiting
    /// on nothing, available now; the job's latest run and status). <see cref="CompareEnqueuedAsync"/> checks that claim
    /// against runs the API enqueued.
    /// </summary>
    public async Task<int> BulkEnqueueAsync(string database, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO job_runs (job_id, client_id, status, attempt, priority, waiting_on, enqueued_at, available_at)
            SELECT j.id, j.client_id, 'Pending', 1, j.priority, 0, @now, @now FROM jobs j
            WHERE j.client_id = @client AND j.name LIKE 'queue-%' AND j.latest_run_id IS NULL
            ORDER BY j.id
            """,
            cancellationToken,
            ("client", Client),
            ("now", DbTime(now)));
        await Sql.ExecuteAsync(
            connection,
            transaction,
            """
            UPDATE jobs SET latest_run_id = (SELECT r.id FROM job_runs r WHERE r.job_id = jobs.id AND r.status = 'Pending'),
                            latest_status = 'Pending'
            WHERE client_id = @client AND name LIKE 'queue-%' AND latest_run_id IS NULL
            """,
            cancellationToken,
            ("client", Client));
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>
    /// Compares, column by column (whatever columns the schema has now), a job and run enqueued through the API with a job
    /// and run of the same priority from <see cref="BulkEnqueueAsync"/>, ignoring ids, names and timestamps. Returns the
    /// differences; empty means the bulk-filled queue is what the API would have written.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompareEnqueuedAsync(string database, long apiJobId, long bulkJobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        var differences = new List<string>();
        string[] ignoredJobColumns = ["id", "name", "latest_run_id", "created_at", "updated_at"];
        string[] ignoredRunColumns = ["id", "job_id", "enqueued_at", "available_at"];
        var apiJob = await Sql.RowAsync(connection, "SELECT * FROM jobs WHERE id = @id", cancellationToken, ("id", apiJobId));
        var bulkJob = await Sql.RowAsync(connection, "SELECT * FROM jobs WHERE id = @id", cancellationToken, ("id", bulkJobId));
        var apiRun = await Sql.RowAsync(connection, "SELECT * FROM job_runs WHERE job_id = @id", cancellationToken, ("id", apiJobId));
        var bulkRun = await Sql.RowAsync(connection, "SELECT * FROM job_runs WHERE job_id = @id", cancellationToken, ("id", bulkJobId));
        Compare("jobs", apiJob, bulkJob, ignoredJobColumns, differences);
        Compare("job_runs", apiRun, bulkRun, ignoredRunColumns, differences);
        if (!Equals(apiJob.GetValueOrDefault("latest_run_id"), apiRun.GetValueOrDefault("id")) ||
            !Equals(bulkJob.GetValueOrDefault("latest_run_id"), bulkRun.GetValueOrDefault("id")))
        {
            differences.Add("jobs.latest_run_id does not point at the job's pending run");
        }

        if (!Equals(apiRun.GetValueOrDefault("enqueued_at"), apiRun.GetValueOrDefault("available_at")) ||
            !Equals(bulkRun.GetValueOrDefault("enqueued_at"), bulkRun.GetValueOrDefault("available_at")))
        {
            differences.Add("job_runs.available_at differs from enqueued_at");
        }

        return differences;

        static void Compare(string table, Dictionary<string, string> api, Dictionary<string, string> bulk, string[] ignored, List<string> differences)
        {
            foreach (var column in api.Keys.Union(bulk.Keys).Except(ignored).Order(StringComparer.Ordinal))
            {
                var a = api.GetValueOrDefault(column, "<missing>");
                var b = bulk.GetValueOrDefault(column, "<missing>");
                if (a != b)
                {
                    differences.Add($"{table}.{column}: API '{a}', bulk '{b}'");
                }
            }
        }
    }

    /// <summary>Runs the same service configuration a host app would: <c>AddOrderLib(o =&gt; o.UseXxx(...))</c>.</summary>
    public async Task<T> WithServicesAsync<T>(string database, Func<IServiceProvider, Task<T>> action)
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => UseStore(o, database));
        T result;
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await using (provider)
        {
            result = await action(provider);
        }

        AfterServicesDisposed();
        return result;
    }

    /// <summary>Counts what a drain left behind: runs that bench workers finished Succeeded, and runs still Running.</summary>
    public async Task<(long Succeeded, long Running, long Pending)> CountOutcomesAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        var succeeded = await Sql.ScalarAsync<long>(
            connection,
            null,
            "SELECT COUNT(*) FROM job_runs WHERE status = 'Succeeded' AND worker_id LIKE 'bench-%'",
            cancellationToken);
        var running = await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM job_runs WHERE status = 'Running'", cancellationToken);
        var pending = await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM job_runs WHERE status = 'Pending'", cancellationToken);
        return (succeeded, running, pending);
    }

    /// <summary>Counts the rows of job_runs.</summary>
    public async Task<long> CountRunsAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken);
        return await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM job_runs", cancellationToken);
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>To call once a service provider or host over a database the harness built itself was disposed.</summary>
    public void ServicesDisposed() => AfterServicesDisposed();

    /// <summary>Called once a service provider over a database was disposed (SQLite clears its connection pool here).</summary>
    protected virtual void AfterServicesDisposed()
    {
    }
}
