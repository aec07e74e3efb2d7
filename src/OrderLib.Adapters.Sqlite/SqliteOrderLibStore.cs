using OrderLib.Adapters.Relational;
using OrderLib.Ports;

namespace OrderLib.Adapters.Sqlite;

/// <summary>
/// OrderLib's store on a SQLite file, shareable by several processes (WAL mode, a busy timeout, and immediate
/// write transactions that serialise every check-and-write).
/// </summary>
public sealed class SqliteOrderLibStore : RelationalOrderLibStore
{
    /// <summary>Creates the store over the SQLite database the connection string names. Opens nothing yet.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=orderlib.db</c>.</param>
    /// <exception cref="ArgumentException">The connection string is null, empty or blank.</exception>
    public SqliteOrderLibStore(string connectionString)
        : base(new SqliteDialect(connectionString), new StoreCapabilities("Sqlite", HasSchema: true, SharedAcrossProcesses: true))
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
    }
}
