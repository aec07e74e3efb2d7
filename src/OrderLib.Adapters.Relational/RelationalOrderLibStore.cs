using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// The store shared by the SQLite and PostgreSQL adapters: one set of queries (Dapper over ADO.NET), with the few
/// dialect differences supplied by the provider assembly. Every write is one transaction; a refused operation
/// leaves nothing behind.
/// </summary>
/// <remarks>
/// <para>
/// Readiness is kept incrementally: <c>jobs.latest_run_id</c> is a job's newest run, <c>jobs.latest_status</c> says
/// exactly whether that run Succeeded (creating a run writes 'Pending', ending one through its job writes the final
/// status; a claim or start and the upstream-failure cascade leave 'Pending' — they lock no job row), and a pending
/// run's <c>waiting_on</c> counts the jobs it depends on whose latest run has not succeeded, PLUS ONE while its own job is
/// paused (<c>jobs.paused_at</c> set). The count changes when an upstream job's latest run starts or stops being a success
/// (enqueue after a success, success), when edges come and go, and when the job is paused or resumed (which adds or
/// removes the one for the job's pending run; every statement that creates a pending run adds it for a paused job), so
/// claiming or listing ready runs reads a small partial index and never the graph or the pause. Whoever reads the count
/// to say why a run waits (a refused start, the statistics' queue depth) tells the pause from the upstream jobs by
/// <c>paused_at</c>. Statuses shown to callers are read from the runs.
/// </para>
/// <para>
/// Lock discipline on PostgreSQL (READ COMMITTED; SQLite serialises writers with <c>BEGIN IMMEDIATE</c> instead),
/// which prevents lost updates of <c>waiting_on</c> and keeps lock orders acyclic — advisory lock, then job rows,
/// then run rows:
/// </para>
/// <list type="number">
/// <item>Graph changes (add or remove a dependency, define a graph, delete a job) and triggering a pipeline first take a
/// transaction-scoped advisory lock on the client, so two of them never interleave (of X→Y and Y→X added at once,
/// exactly one wins) and a trigger's sub-graph cannot change under it.</item>
/// <item>Job rows come next, and every transaction that locks more than one takes them in one pass in ascending
/// id order. An operation that creates a job's run or ends one through its job (enqueue, start, finish, complete,
/// cancel, trigger, rescue) locks that job's row <c>FOR UPDATE</c> (so do updating, deleting, pausing and resuming a job:
/// a pause or resume therefore never interleaves with the creation of the job's run, which reads <c>paused_at</c> under
/// that lock; the scheduler, which skips locked due jobs, re-checks <c>paused_at</c> on the row it locked); one that
/// reads upstream jobs' <c>latest_status</c> to count <c>waiting_on</c> (enqueue; a failure that may create the next
/// attempt; add or remove a dependency, which share-lock both of its jobs) locks those rows <c>FOR SHARE</c>, so the
/// statuses it counted cannot change before it commits, and a concurrent status change waits and then sees its edge
/// or its new run. Enqueue interleaves the two strengths by id (upstream jobs below the job, the job, upstream jobs
/// above it): locking the job first and its upstream jobs after it was seen to deadlock, because a queued
/// <c>FOR UPDATE</c> waiter makes a later <c>FOR SHARE</c> request wait too. A trigger locks all its jobs
/// <c>FOR UPDATE</c> in one pass.</item>
/// <item>Run rows come last. Every transaction that waits for run rows takes ALL of them in ONE statement, in ascending
/// id order — every run it will change, whatever its status, the ended run's own row included — and then waits for no
/// run row it does not hold (a later cascade statement skips, <c>SKIP LOCKED</c>, a run that pass did not take). This
/// covers the dependents' runs a success releases, the runs a cascade cancels (with the cancelled run itself, for a
/// cancel), the runs a trigger shifts, the runs a job delete touches. PostgreSQL keeps the lock on a row a
/// <c>FOR UPDATE</c> pass waited for even when its re-check then drops the row (a run claimed meanwhile), so only one
/// global order for every waiter rules out a cycle: ending a run by locking its dependents first and its own row last
/// deadlocked against such a pass, and locking its own row alone first deadlocks against a pass holding a dependent's
/// run below it (both reproduced by the PostgreSQL lock-order tests). After run rows a transaction waits for no job
/// row.</item>
/// <item>Claim and rescue never wait for a lock: a claim locks ready runs <c>FOR UPDATE SKIP LOCKED</c> and no job
/// row; a rescue locks expired runs with their jobs, and the upstream jobs of its retries, <c>SKIP LOCKED</c>, leaving
/// what it could not lock for the next rescue. Neither can therefore take part in a deadlock.</item>
/// <item>The scheduler (<see cref="EnqueueDueRunsAsync"/>) never waits for a job row either: it locks the due jobs
/// <c>FOR UPDATE SKIP LOCKED</c> (earliest due first) and their upstream jobs <c>FOR SHARE SKIP LOCKED</c>, leaving a job
/// whose rows are held elsewhere due for the next call; then, holding only those job rows, it takes its Pending-run locks
/// (the dependents' runs it shifts) in one ascending pass, like any other operation.</item>
/// <item>A prune batch (<see cref="PruneRunsAsync"/>) never waits for a lock either: it reads job rows without locking
/// them, and locks only the terminal runs it deletes, <c>FOR UPDATE SKIP LOCKED</c> in the delete itself (a run a job
/// delete or a run-row pass holds is left for a later prune); see RelationalOrderLibStore.Retention.cs.</item>
/// </list>
/// <para>
/// Everything runs at READ COMMITTED: each statement of a batch sees what committed before it started, and a row
/// lock that had to wait returns the row as its holder left it. A transaction that finds its inputs changed under it
/// (an edge added while it waited for a job row, a run claimed between reading and locking it) rolls back and runs
/// again.
/// </para>
/// <para>
/// Every operation goes through one connection helper, which on the store's first use checks that the database has exactly
/// the migrations this library knows (<see cref="OrderLibSchemaVersionException"/> otherwise) and turns a database that
/// cannot be reached or cannot serve now into <see cref="OrderLibDatabaseUnavailableException"/>. A write transaction that
/// the database rolled back for a deadlock or a serialization failure runs again as a whole, like one whose inputs changed
/// under it; each retry is counted by the metric <c>orderlib.store.transaction.retries</c> (meter <c>OrderLib</c>).
/// </para>
/// </remarks>
public abstract partial class RelationalOrderLibStore : IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore, IHistoryStore, IPipelineRunStore
{
    // How often a write transaction is tried when its inputs changed under it or the database rolled it back for a deadlock
    // or a serialization failure (RetryOnChangeAsync).
    private const int ChangedInputAttempts = 5;

    private readonly SqlDialect _dialect;

    // The statements, written once for all databases and organised by area: each area's class sits in its file
    // (RelationalOrderLibStore.Jobs.cs, .Dependencies.cs, .Graphs.cs, .Runs.cs, .Queue.cs, .Rescue.cs, .Trigger.cs,
    // .Schedules.cs, .Batches.cs, .Search.cs, .Statistics.cs, .Retention.cs, .Import.cs) beside the code that runs its statements and reads their result sets; what several areas use is in
    // RelationalOrderLibStore.Shared.cs. The only dialect-specific pieces are the row-lock clauses
    // (SqlDialect.ForUpdateOf, ForShareOf, SkipLocked), which are empty on SQLite, where the immediate write transaction
    // serialises writers already, and how lists (InList) and batches of rows (JsonRows) are passed. Statuses are
    // written as literals so that the planners can match the partial indexes' predicates.
    private readonly SharedSql _sharedSql;
    private readonly JobSql _jobSql;
    private readonly DependencySql _dependencySql;
    private readonly GraphReadSql _graphReadSql;
    private readonly GraphSql _graphSql;
    private readonly RunSql _runSql;
    private readonly QueueSql _queueSql;
    private readonly RescueSql _rescueSql;
    private readonly TriggerSql _triggerSql;
    private readonly ScheduleSql _scheduleSql;
    private readonly BatchSql _batchSql;
    private readonly SearchSql _searchSql;
    private readonly StatisticsSql _statisticsSql;
    private readonly RetentionSql _retentionSql;
    private readonly PipelineRunSql _pipelineRunSql;
    private readonly ImportSql _importSql;

    private readonly ExpectedSchema _schema;

    // Set once the schema version matched (EnsureSchemaAsync); a failed check is not remembered.
    private volatile bool _schemaChecked;

    internal RelationalOrderLibStore(SqlDialect dialect, StoreCapabilities capabilities, ExpectedSchema schema)
    {
        _dialect = dialect;
        _schema = schema;
        _sharedSql = new SharedSql(dialect);
        _jobSql = new JobSql(dialect, _sharedSql);
        _dependencySql = new DependencySql(dialect);
        _graphReadSql = new GraphReadSql(dialect);
        _graphSql = new GraphSql(dialect);
        _runSql = new RunSql(dialect, _sharedSql);
        _queueSql = new QueueSql(dialect);
        _rescueSql = new RescueSql(dialect, _sharedSql);
        _triggerSql = new TriggerSql(dialect, _sharedSql);
        _scheduleSql = new ScheduleSql(dialect, _sharedSql);
        _batchSql = new BatchSql(dialect, _sharedSql);
        _searchSql = new SearchSql(dialect);
        _statisticsSql = new StatisticsSql(dialect);
        _retentionSql = new RetentionSql(dialect);
        _pipelineRunSql = new PipelineRunSql(dialect, _sharedSql);
        _importSql = new ImportSql(dialect);
        Capabilities = capabilities;
    }

    /// <inheritdoc />
    /// <remarks>A schema managed by <see cref="IOrderLibMigrator"/>, shared across processes; the provider name is the adapter's.</remarks>
    public StoreCapabilities Capabilities { get; }

    // ---------------------------------------------------------------- helpers

    private CommandDefinition Command(string sql, object param, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, _dialect.Parameters(param), transaction, cancellationToken: cancellationToken);

    // A nullable timestamp parameter: the dialect's value, or null.
    private object? ToDbOrNull(DateTimeOffset? value) => value is { } v ? _dialect.ToDb(v) : null;

    // Runs the work on a connection of its own: the one place where every operation reaches the database. The store's first
    // use checks the schema version (EnsureSchemaAsync); a database that cannot be reached or cannot serve now surfaces
    // as OrderLibDatabaseUnavailableException around the driver's error, whether it happened while opening, reading or
    // committing.
    private async Task<T> ConnectAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dialect.OpenAsync(cancellationToken);
            await EnsureSchemaAsync(connection, cancellationToken);
            return await work(connection);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && _dialect.IsUnavailable(ex))
        {
            // (A cancellation the caller asked for stays a cancellation, whatever the driver wrapped in it.)
            throw new OrderLibDatabaseUnavailableException(Capabilities.ProviderName, ex);
        }
    }

    // Runs a write of one statement: in a transaction where the dialect needs one (SQLite), otherwise alone (the work gets
    // a null transaction), which saves the BEGIN and COMMIT round trips.
    private async Task<T> WriteOneStatementAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, CancellationToken cancellationToken)
    {
        if (_dialect.OneStatementNeedsTransaction)
        {
            return await WriteAsync((connection, transaction) => work(connection, transaction), cancellationToken);
        }

        return await ConnectAsync(connection => work(connection, null), cancellationToken);
    }

    // Inside a write transaction that may have made runs of the client (null: of several clients) ready: tells other
    // processes' workers, on commit, through the dialect (PostgreSQL NOTIFY; nothing where the dialect has no such
    // statement). With jobsSucceeded, only when a pending run of a job depending on one of those jobs is ready now (a
    // success released it). One statement, only in the transactions that may have made runs ready.
    private async Task NotifyRunsReadyAsync(DbConnection connection, DbTransaction transaction, ClientId? client, CancellationToken cancellationToken, long[]? jobsSucceeded = null)
    {
        var sql = NotifyRunsReadySql(jobsSucceeded);
        if (sql.Length > 0)
        {
            var param = new { readyClient = ReadyClient(client), jobsSucceeded = jobsSucceeded ?? [] };
            await connection.ExecuteAsync(Command(sql, param, transaction, cancellationToken));
        }
    }

    // The statement NotifyRunsReadyAsync sends (parameters @readyClient, and @jobsSucceeded unless that is null), ending in
    // a semicolon, for a write to append to its own batch; empty when nothing is to be sent.
    private string NotifyRunsReadySql(long[]? jobsSucceeded)
    {
        if (_dialect.NotifyRunsReady is not { } notify || jobsSucceeded is { Length: 0 })
        {
            return "";
        }

        return jobsSucceeded is null ? notify + ";" : notify + $"""
             WHERE EXISTS (
                SELECT 1 FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE {_dialect.InList("d.depends_on_job_id", "@jobsSucceeded")} AND r.status = 'Pending' AND r.waiting_on = 0);
            """;
    }

    // The @readyClient of NotifyRunsReadySql: the client whose runs may be ready, or "" for several clients.
    private static string ReadyClient(ClientId? client) => client?.Value ?? "";

    // On the store's first use, and on every use until it succeeds, compares the migrations the database has applied with
    // the ones this library knows (two small queries); a mismatch throws OrderLibSchemaVersionException before any
    // statement meets a missing or unknown table or column. Concurrent first uses may each check: harmless.
    private async Task EnsureSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_schemaChecked)
        {
            return;
        }

        var hasVersionTable = await connection.ExecuteScalarAsync<bool>(Command(_dialect.TableExists, new { table = _schema.VersionTable }, null, cancellationToken));
        var applied = hasVersionTable
            ? await connection.QueryAsync<long>(Command($"SELECT \"{_schema.VersionColumn}\" FROM \"{_schema.VersionTable}\";", new { }, null, cancellationToken))
            : [];
        SchemaStatus.Compare(_schema.KnownVersions, applied).EnsureCurrent();
        _schemaChecked = true;
    }

    // Runs one write transaction: committed when the work returns, rolled back when it throws. A deadlock or serialization
    // failure runs it again as a whole (RetryOnChangeAsync).
    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        (await RetryOnChangeAsync(
            async () => new StrongBox<T>(await TransactAsync(work, cancellationToken)),
            "The write kept colliding with concurrent writers.",
            cancellationToken)).Value!;

    // Runs one write transaction whose work returns null when its inputs changed under it: committed when the work returns
    // a result, rolled back when it returns null (or throws). Not retried: callers run it through RetryOnChangeAsync.
    private Task<T?> TryWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T?>> work, CancellationToken cancellationToken)
        where T : class =>
        ConnectAsync(
            async connection =>
            {
                await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken);
                var result = await work(connection, transaction);
                if (result is null)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    return null;
                }

                await transaction.CommitAsync(cancellationToken);
                return result;
            },
            cancellationToken);

    // One write transaction, committed when the work returns (TryWriteAsync for work that never asks to roll back).
    private async Task<T> TransactAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        (await TryWriteAsync<StrongBox<T>>(
            async (connection, transaction) => new StrongBox<T>(await work(connection, transaction)),
            cancellationToken))!.Value!;

    // TryWriteAsync until the work returns a result (see RetryOnChangeAsync).
    private Task<T> WriteOrRetryAsync<T>(Func<DbConnection, DbTransaction, Task<T?>> work, string whatKeptChanging, CancellationToken cancellationToken)
        where T : class =>
        RetryOnChangeAsync(() => TryWriteAsync(work, cancellationToken), whatKeptChanging, cancellationToken);

    // The one retry loop of the store: tries the attempt (one or more transactions) until it returns a result, at most
    // ChangedInputAttempts times. Two things make it try again, each counted by StoreMetrics.TransactionRetried: null, meaning
    // its inputs changed under it (an edge added while it waited for a lock, a run claimed between reading and locking it)
    // and it left nothing behind; and a deadlock or serialization failure (SqlDialect.TransientConflict), after which the
    // database rolled the transaction back. Exhausted, it throws OrderLibConcurrencyException with whatKeptChanging (and the
    // last driver error, when that was the cause).
    private async Task<T> RetryOnChangeAsync<T>(Func<Task<T?>> attempt, string whatKeptChanging, CancellationToken cancellationToken)
        where T : class
    {
        for (var tried = 1; ; tried++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string reason;
            try
            {
                if (await attempt() is { } result)
                {
                    return result;
                }

                reason = StoreMetrics.InputsChanged;
                if (tried == ChangedInputAttempts)
                {
                    throw new OrderLibConcurrencyException($"{whatKeptChanging} Tried {ChangedInputAttempts} times.");
                }
            }
            catch (DbException ex) when (_dialect.TransientConflict(ex) is { } conflict)
            {
                reason = conflict;
                if (tried == ChangedInputAttempts)
                {
                    throw new OrderLibConcurrencyException($"{whatKeptChanging} Tried {ChangedInputAttempts} times; the last try failed with: {ex.Message}", ex);
                }
            }

            StoreMetrics.TransactionRetried(Capabilities.ProviderName, reason);
        }
    }
}
