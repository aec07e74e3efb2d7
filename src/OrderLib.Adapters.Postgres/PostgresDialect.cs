using System.Data;
using System.Data.Common;
using Dapper;
using Npgsql;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// PostgreSQL's differences from the shared relational SQL: READ COMMITTED write transactions with explicit row
/// locks (<c>FOR UPDATE</c> / <c>FOR SHARE</c>), and a transaction-scoped advisory lock per client that serialises
/// changes to the client's dependency graph. Timestamps are <c>timestamptz</c>, sent and read as UTC. With
/// notifications on, transactions that make runs ready <c>NOTIFY</c> the schema's channel
/// (<see cref="PostgresReadyListener.ChannelOf"/>) with the client id as payload; PostgreSQL delivers it on commit, once
/// per transaction and payload. One-statement writes (the claim) run without BEGIN and COMMIT.
/// </summary>
internal sealed class PostgresDialect(NpgsqlDataSource dataSource, string schema, PostgresNotifications notifications) : SqlDialect
{
    // The first key of OrderLib's two-key advisory locks ("ORLG"); the second is a hash of schema and client.
    private const int GraphLockClass = 0x4F524C47;

    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>The schema holding OrderLib's tables.</summary>
    public string Schema { get; } = schema;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await DataSource.OpenConnectionAsync(cancellationToken);

    public override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    public override Task LockClientGraphAsync(DbConnection connection, DbTransaction transaction, ClientId client, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(@lockClass, hashtext(@key));",
            new { lockClass = GraphLockClass, key = Schema + ":" + client.Value },
            transaction,
            cancellationToken: cancellationToken));

    public override string? NotifyRunsReady { get; } = notifications == PostgresNotifications.Listen
        ? $"SELECT pg_notify('{PostgresReadyListener.ChannelOf(schema)}', @readyClient)"
        : null;

    public override bool OneStatementNeedsTransaction => false;

    public override string ForUpdateOf(string alias) => " FOR UPDATE OF " + alias;

    public override string ForShareOf(string alias) => " FOR SHARE OF " + alias;

    public override string SkipLocked => " SKIP LOCKED";

    // Dapper sends .NET arrays to Npgsql as PostgreSQL arrays.
    public override string InList(string expression, string parameter) => $"{expression} = ANY({parameter})";

    public override string IndexedIn(string column, string values) => $"{column} = ANY(ARRAY({values}))";

    // Under the "C" collation lower() folds exactly A–Z, byte by byte (under the database's locale it would fold every
    // letter the locale knows); it reads an error text several times faster than translate() with the 26 letters. A LIKE
    // of the needle (its wildcards and escape character escaped) rather than strpos(), so that the trigram index
    // ix_job_runs_client_error_trgm on lower(error COLLATE "C") can serve it.
    public override bool GathersTextMatchesFirst => false;

    public override string ContainsFoldingAsciiCase(string text, string needle) =>
        $"lower({text} COLLATE \"C\") LIKE '%' || replace(replace(replace({needle}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'";

    // EXTRACT of an interval is numeric (exact) since PostgreSQL 14.
    public override string JsonRows(string parameter, string alias, params string[] columns) =>
        $"jsonb_to_recordset(CAST({parameter} AS jsonb)) AS {alias}({string.Join(", ", columns)})";

    // date_trunc of the UTC wall time: a timestamp without time zone, read back as UTC.
    public override string BucketStart(string column, TimelineBucket bucket) => bucket switch
    {
        TimelineBucket.Minute => $"date_trunc('minute', {column} AT TIME ZONE 'UTC')",
        TimelineBucket.Hour => $"date_trunc('hour', {column} AT TIME ZONE 'UTC')",
        _ => $"date_trunc('day', {column} AT TIME ZONE 'UTC')",
    };

    // extract(epoch ...) of an interval is numeric (exact) since PostgreSQL 14.
    public override string MicrosecondsBetween(string started, string finished) =>
        $"CAST(extract(epoch FROM {finished} - {started}) * 1000000 AS BIGINT)";

    public override bool IsUnavailable(Exception exception) => IsUnavailableError(exception);

    public override string? TransientConflict(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected } => "deadlock",
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure } => "serialization_failure",
        _ => null,
    };

    public override string TableExists => "SELECT to_regclass(@table) IS NOT NULL;";

    /// <summary>
    /// True when <paramref name="exception"/> or one it wraps says the server cannot be reached or cannot serve now: a
    /// client-side failure of Npgsql's that it calls transient (connection refused or broken, I/O error, timeout), or a
    /// server error of SQLSTATE class 08 (connection exception), 57P01/57P02/57P03 (admin shutdown, crash shutdown,
    /// cannot connect now), 53300 (too many connections) or 25006 (read-only transaction: a standby after a failover).
    /// The migrator classifies its failures with it too.
    /// </summary>
    internal static bool IsUnavailableError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                            or PostgresErrorCodes.ReadOnlySqlTransaction;
                case NpgsqlException { IsTransient: true }:
                case System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    public override bool IsUniqueViolation(Exception exception, string indexName, string table) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } postgres
        && string.Equals(postgres.ConstraintName, indexName, StringComparison.Ordinal);
}
