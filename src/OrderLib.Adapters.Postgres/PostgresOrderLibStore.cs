using Npgsql;
using OrderLib.Adapters.Relational;
using OrderLib.Ports;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// OrderLib's store on PostgreSQL (15 or later), safe for any number of processes and machines: every write is one
/// READ COMMITTED transaction with explicit row locks, and changes to a client's dependency graph are serialised by a
/// transaction-scoped advisory lock (see <see cref="RelationalOrderLibStore"/> for the lock discipline). Owns an
/// <see cref="NpgsqlDataSource"/> whose search path is the given schema, so the SQL uses unqualified table names;
/// dispose the store to close its connections. The schema comes from
/// <c>PostgresOrderLibMigrations.Create(connectionString, schema).MigrateUp()</c>.
/// </summary>
public sealed class PostgresOrderLibStore : RelationalOrderLibStore, IAsyncDisposable, IDisposable
{
    private readonly PostgresDialect _dialect;

    /// <summary>Creates the store over the database the connection string names, using tables in <paramref name="schema"/>.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema holding OrderLib's tables; <c>public</c> by default.</param>
    /// <exception cref="ArgumentException">The connection string is null, blank or invalid, or the schema is null or blank.</exception>
    public PostgresOrderLibStore(string connectionString, string schema = "public")
        : this(CreateDialect(connectionString, schema))
    {
    }

    private PostgresOrderLibStore(PostgresDialect dialect)
        : base(dialect, new StoreCapabilities("Postgres", HasSchema: true, SharedAcrossProcesses: true)) => _dialect = dialect;

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _dialect.DataSource.Dispose();

    /// <summary>Closes the store's connections.</summary>
    public ValueTask DisposeAsync() => _dialect.DataSource.DisposeAsync();

    private static PostgresDialect CreateDialect(string connectionString, string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.SearchPath = schema;
        return new PostgresDialect(builder.Build(), schema);
    }
}
