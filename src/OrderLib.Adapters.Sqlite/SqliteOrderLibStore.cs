using OrderLib.Adapters.Relational;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Adapters.Sqlite;

/// <summary>
/// OrderLib's store on a SQLite database file that several processes may share: write-ahead logging, a busy timeout
/// (the connection string's <c>Default Timeout</c>, 30 seconds unless set) and foreign keys on every connection, and
/// immediate write transactions (<c>BEGIN IMMEDIATE</c>) that serialise every check-and-write. Commits are synced to disk
/// (<c>synchronous = FULL</c>) unless <see cref="SqliteSynchronous.Normal"/> is chosen (see its trade-off).
/// Timestamps are stored as ISO-8601 round-trip text of the UTC value. The schema comes from
/// <c>SqliteOrderLibMigrations.Create(connectionString).MigrateUp()</c>.
/// </summary>
public sealed class SqliteOrderLibStore : RelationalOrderLibStore
{
    /// <summary>Creates the store over the SQLite database the connection string names. Opens nothing yet.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=orderlib.db</c>.</param>
    /// <param name="synchronous">How hard each commit is made durable; <see cref="SqliteSynchronous.Full"/> by default.</param>
    /// <exception cref="ArgumentException">The connection string is null, blank or not a valid SQLite connection string.</exception>
    public SqliteOrderLibStore(string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Full)
        : base(
            CreateDialect(connectionString, synchronous),
            new StoreCapabilities("Sqlite", HasSchema: true, SharedAcrossProcesses: true),
            new ExpectedSchema(OrderLibVersionTable.KnownVersions, OrderLibVersionTable.Table, OrderLibVersionTable.VersionColumn))
    {
    }

    private static SqliteDialect CreateDialect(string connectionString, SqliteSynchronous synchronous)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new SqliteDialect(connectionString, synchronous);
    }
}
