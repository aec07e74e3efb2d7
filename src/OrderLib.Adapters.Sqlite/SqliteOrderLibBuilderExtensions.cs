using OrderLib;
using OrderLib.Adapters.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store on the builder that <c>AddOrderLib</c> returns, or as a provider configuration can pick.</summary>
public static class SqliteOrderLibBuilderExtensions
{
    /// <summary>
    /// Uses a SQLite file, e.g. <c>UseSqlite("Data Source=app.db")</c>. The file is shared safely by several
    /// processes (WAL mode, busy timeout). Migrations come from <see cref="SqliteOrderLibMigrations.Create"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or blank.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UseSqlite(this OrderLibBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseStore(
            DatabaseUrl.Sqlite,
            _ => new SqliteOrderLibStore(connectionString),
            _ => SqliteOrderLibMigrations.Create(connectionString));
    }

    /// <summary>
    /// Lets <c>AddOrderLib(configuration, providers =&gt; providers.AddSqlite())</c> pick SQLite with <c>OrderLib:Provider=Sqlite</c>
    /// or a <c>sqlite:///</c> <c>DATABASE_URL</c>; the store is then <see cref="UseSqlite"/> with the configured connection string.
    /// </summary>
    /// <returns><paramref name="providers"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="providers"/> is null.</exception>
    /// <exception cref="ArgumentException">A provider named <c>Sqlite</c> is registered already.</exception>
    public static OrderLibProviders AddSqlite(this OrderLibProviders providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return providers.Add(DatabaseUrl.Sqlite, static (builder, context) => builder.UseSqlite(context.RequireConnectionString()));
    }
}
