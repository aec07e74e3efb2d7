using Npgsql;
using OrderLib.Adapters.Relational;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// OrderLib's store on PostgreSQL (15 or later), safe for any number of processes and machines: every write is one
/// READ COMMITTED transaction with explicit row locks, and changes to a client's dependency graph are serialised by a
/// transaction-scoped advisory lock (see <see cref="RelationalOrderLibStore"/> for the lock discipline). The SQL uses
/// unqualified table names, found through the connections' search path. Created from a connection string, the store
/// owns an <see cref="NpgsqlDataSource"/> whose search path is the given schema; dispose the store to close its
/// connections. Created from the host's data source, it uses that one and never disposes it. The schema comes from
/// <c>PostgresOrderLibMigrations.Create(connectionString, schema).MigrateUp()</c>.
/// </summary>
public sealed class PostgresOrderLibStore : RelationalOrderLibStore, IAsyncDisposable, IDisposable
{
    private readonly PostgresDialect _dialect;
    private readonly bool _ownsDataSource;

    /// <summary>Creates the store over the database the connection string names, using tables in <paramref name="schema"/>.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema holding OrderLib's tables; <c>public</c> by default.</param>
    /// <exception cref="ArgumentException">The connection string is null, blank or invalid, or the schema is null or blank.</exception>
    public PostgresOrderLibStore(string connectionString, string schema = "public")
        : this(CreateDialect(connectionString, schema), ownsDataSource: true)
    {
    }

    /// <summary>
    /// Creates the store over the host's <paramref name="dataSource"/>, which it does not own: disposing the store leaves
    /// the data source open. OrderLib's tables are in the first schema of the data source's <c>SearchPath</c>, or
    /// <c>public</c> when it sets none.
    /// </summary>
    /// <param name="dataSource">The host's data source; stays the host's to dispose.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is null.</exception>
    public PostgresOrderLibStore(NpgsqlDataSource dataSource)
        : this(new PostgresDialect(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), PostgresHostDataSource.SchemaOf(dataSource)), ownsDataSource: false)
    {
    }

    private PostgresOrderLibStore(PostgresDialect dialect, bool ownsDataSource)
        : base(
            dialect,
            new StoreCapabilities("Postgres", HasSchema: true, SharedAcrossProcesses: true),
            new ExpectedSchema(OrderLibVersionTable.KnownVersions, OrderLibVersionTable.Table, OrderLibVersionTable.VersionColumn))
    {
        _dialect = dialect;
        _ownsDataSource = ownsDataSource;
    }

    /// <summary>Closes the store's connections, when it owns its data source; a host's data source stays open.</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dialect.DataSource.Dispose();
        }
    }

    /// <summary>Closes the store's connections, when it owns its data source; a host's data source stays open.</summary>
    public ValueTask DisposeAsync() => _ownsDataSource ? _dialect.DataSource.DisposeAsync() : ValueTask.CompletedTask;

    private static PostgresDialect CreateDialect(string connectionString, string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.SearchPath = schema;
        return new PostgresDialect(builder.Build(), schema);
    }
}
