using OrderLib;
using OrderLib.Adapters.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store on the builder that <c>AddOrderLib</c> returns, or as a provider configuration can pick.</summary>
public static class SqliteOrderLibBuilderExtensions
{
    /// <summary>The key, in the <c>OrderLib</c> section, of the <see cref="SqliteSynchronous"/> level <see cref="AddSqlite"/> uses.</summary>
    private const string SynchronousKey = "Synchronous";

    /// <summary>
    /// Uses a SQLite file, e.g. <c>UseSqlite("Data Source=app.db")</c>. The file is shared safely by several
    /// processes (WAL mode, busy timeout). Migrations come from <see cref="SqliteOrderLibMigrations.Create"/>.
    /// In-memory SQLite is refused (the store opens a connection per operation and would lose it; use <c>UseInMemory</c>
    /// for tests), and so, when the host starts or the store is first resolved, is a file whose directory does not exist.
    /// Commits are synced to disk (<paramref name="synchronous"/> <see cref="SqliteSynchronous.Full"/>, the default);
    /// <see cref="SqliteSynchronous.Normal"/> makes writes cheaper at the risk, on an OS crash or power loss, of losing the
    /// latest commits (never of corruption).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or blank.</exception>
    /// <exception cref="OrderLibConfigurationException"><paramref name="connectionString"/> is invalid, names no file or opens an in-memory database.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UseSqlite(this OrderLibBuilder builder, string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseSqliteFile(connectionString, "The connection string given to UseSqlite", synchronous);
    }

    /// <summary>
    /// Lets <c>AddOrderLib(configuration, providers =&gt; providers.AddSqlite())</c> pick SQLite with <c>OrderLib:Provider=Sqlite</c>
    /// or a <c>sqlite:///</c> <c>DATABASE_URL</c>; the store is then <see cref="UseSqlite"/> with the configured connection string
    /// and <c>OrderLib:Synchronous</c> (<c>Full</c> or <c>Normal</c>, any case; <c>Full</c> unless set). An in-memory or
    /// directory-less connection string is refused naming <c>ConnectionStrings:OrderLib</c> or <c>DATABASE_URL</c>, another
    /// <c>OrderLib:Synchronous</c> naming that key, with an <see cref="OrderLibConfigurationException"/>.
    /// </summary>
    /// <returns><paramref name="providers"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="providers"/> is null.</exception>
    /// <exception cref="ArgumentException">A provider named <c>Sqlite</c> is registered already.</exception>
    public static OrderLibProviders AddSqlite(this OrderLibProviders providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return providers.Add(
            DatabaseUrl.Sqlite,
            static (builder, context) => builder.UseSqliteFile(
                context.RequireConnectionString(),
                context.ConnectionStringKey!,
                SqliteSettings.ParseSynchronous(context.Section[SynchronousKey], OrderLibOptions.SectionName + ":" + SynchronousKey)));
    }

    /// <summary>Registers the store over <paramref name="connectionString"/>, named <paramref name="setting"/> in messages, once it is known to name a file, with the <paramref name="synchronous"/> level.</summary>
    private static OrderLibBuilder UseSqliteFile(this OrderLibBuilder builder, string connectionString, string setting, SqliteSynchronous synchronous)
    {
        SqliteSettings.RequireFile(connectionString, setting);
        return builder.UseStore(
            DatabaseUrl.Sqlite,
            _ => new SqliteOrderLibStore(WithExistingDirectory(), synchronous),
            _ => SqliteOrderLibMigrations.Create(WithExistingDirectory()),
            _ => "file " + SqliteSettings.RequireDirectory(connectionString, setting));

        // Checked when the store or migrator is built (when the host starts, or at the first call), not at registration,
        // so a host may create the directory after registering OrderLib.
        string WithExistingDirectory()
        {
            _ = SqliteSettings.RequireDirectory(connectionString, setting);
            return connectionString;
        }
    }
}
