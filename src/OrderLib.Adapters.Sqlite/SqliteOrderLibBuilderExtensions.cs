using OrderLib;
using OrderLib.Adapters.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store on the builder that <c>AddOrderLib</c> returns.</summary>
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
            "Sqlite",
            _ => new SqliteOrderLibStore(connectionString),
            _ => SqliteOrderLibMigrations.Create(connectionString));
    }
}
