using System.Data.Common;
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
/// owns an <see cref="NpgsqlDataSource"/> whose search path is the given schema, with <c>No Reset On Close</c> on (OrderLib
/// leaves no session state behind, so the <c>DISCARD ALL</c> round trip at every return to the pool is saved) and
/// Npgsql's automatic preparation of statements from their second use (unless the connection string sets
/// <c>Max Auto Prepare</c> or the store is <see cref="PostgresNotifications.PollOnly"/>); dispose
/// the store to close its connections. Created from the host's data source, it uses that one as the host configured it
/// and never disposes it. The schema comes from <c>PostgresOrderLibMigrations.Create(connectionString, schema).MigrateUp()</c>.
/// </summary>
/// <remarks>
/// With <see cref="PostgresNotifications.Listen"/> (the default) writes that make runs ready send a <c>NOTIFY</c>, and
/// <see cref="Notifications"/> listens for them on one connection of the store's data source while a hosted worker
/// subscribes; with <see cref="PostgresNotifications.PollOnly"/> neither happens.
/// </remarks>
public sealed class PostgresOrderLibStore : RelationalOrderLibStore, IAsyncDisposable, IDisposable
{
    // How many statements a connection of the store's own data source keeps prepared (Npgsql's Max Auto Prepare): more
    // than the store's distinct statements on any hot path.
    private const int AutoPreparedStatements = 100;

    private readonly PostgresDialect _dialect;
    private readonly bool _ownsDataSource;
    private readonly PostgresReadyListener? _listener;

    /// <summary>Creates the store over the database the connection string names, using tables in <paramref name="schema"/>.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema holding OrderLib's tables; <c>public</c> by default.</param>
    /// <param name="notifications">Whether workers of other processes are woken by <c>LISTEN</c>/<c>NOTIFY</c>; <see cref="PostgresNotifications.Listen"/> by default.</param>
    /// <exception cref="ArgumentException">The connection string is null, blank or invalid, or the schema is null or blank.</exception>
    public PostgresOrderLibStore(string connectionString, string schema = "public", PostgresNotifications notifications = PostgresNotifications.Listen)
        : this(CreateDialect(connectionString, schema, notifications), ownsDataSource: true, notifications)
    {
    }

    /// <summary>
    /// Creates the store over the host's <paramref name="dataSource"/>, which it does not own: disposing the store leaves
    /// the data source open. OrderLib's tables are in the first schema of the data source's <c>SearchPath</c>, or
    /// <c>public</c> when it sets none.
    /// </summary>
    /// <param name="dataSource">The host's data source; stays the host's to dispose.</param>
    /// <param name="notifications">Whether workers of other processes are woken by <c>LISTEN</c>/<c>NOTIFY</c>; <see cref="PostgresNotifications.Listen"/> by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is null.</exception>
    public PostgresOrderLibStore(NpgsqlDataSource dataSource, PostgresNotifications notifications = PostgresNotifications.Listen)
        : this(
            new PostgresDialect(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), PostgresHostDataSource.SchemaOf(dataSource), notifications),
            ownsDataSource: false,
            notifications)
    {
    }

    private PostgresOrderLibStore(PostgresDialect dialect, bool ownsDataSource, PostgresNotifications notifications)
        : base(
            dialect,
            new StoreCapabilities("Postgres", HasSchema: true, SharedAcrossProcesses: true),
            new ExpectedSchema(OrderLibVersionTable.KnownVersions, OrderLibVersionTable.Table, OrderLibVersionTable.VersionColumn))
    {
        _dialect = dialect;
        _ownsDataSource = ownsDataSource;
        _listener = notifications == PostgresNotifications.Listen
            ? new PostgresReadyListener(dialect.DataSource, PostgresReadyListener.ChannelOf(dialect.Schema))
            : null;
    }

    /// <summary>
    /// The store's ready-run notifications from every process (one <c>LISTEN</c> connection, opened at the first
    /// subscription); null with <see cref="PostgresNotifications.PollOnly"/>.
    /// </summary>
    public IReadyRunsNotifications? Notifications => _listener;

    /// <summary>Stops listening and closes the store's connections, when it owns its data source; a host's data source stays open.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Stops listening and closes the store's connections, when it owns its data source; a host's data source stays open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        if (_ownsDataSource)
        {
            await _dialect.DataSource.DisposeAsync();
        }
    }

    private static PostgresDialect CreateDialect(string connectionString, string schema, PostgresNotifications notifications)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        ApplyOwnedDataSourceDefaults(builder.ConnectionStringBuilder, SetsMaxAutoPrepare(connectionString), schema, notifications);
        return new PostgresDialect(builder.Build(), schema, notifications);
    }

    // The settings of a data source the store builds from a connection string. OrderLib sets no session state (the search
    // path comes from the connection string, its advisory locks are transaction-scoped), so nothing needs resetting when a
    // connection returns to the pool. Its statements are prepared on a connection from their second use (Npgsql's
    // automatic preparation; parsing and planning took nearly a third of the server's CPU in a hosted drain), unless the
    // connection string chose its own Max Auto Prepare, or the store polls only (PgBouncer in transaction mode, whose older
    // versions cannot keep prepared statements).
    internal static void ApplyOwnedDataSourceDefaults(NpgsqlConnectionStringBuilder settings, bool setsMaxAutoPrepare, string schema, PostgresNotifications notifications)
    {
        settings.SearchPath = schema;
        settings.NoResetOnClose = true;
        if (notifications == PostgresNotifications.Listen && !setsMaxAutoPrepare)
        {
            settings.MaxAutoPrepare = AutoPreparedStatements;
            settings.AutoPrepareMinUsages = 2;
        }
    }

    // Whether the connection string names Max Auto Prepare, in any of Npgsql's spellings (NpgsqlConnectionStringBuilder
    // cannot tell a keyword set to its default from one left out).
    internal static bool SetsMaxAutoPrepare(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
}
