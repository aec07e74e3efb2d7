using Microsoft.Data.Sqlite;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Adapters.Sqlite;

/// <summary>
/// Builds the <see cref="IOrderLibMigrator"/> for a SQLite database file. The migrator runs FluentMigrator's SQLite
/// runner with a private service container, so it never touches the host application's services, and logs nothing.
/// </summary>
public static class SqliteOrderLibMigrations
{
    /// <summary>
    /// Creates a migrator for the SQLite database that <paramref name="connectionString"/> opens
    /// (a Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=/var/lib/app/orderlib.db</c>).
    /// </summary>
    /// <remarks>
    /// <see cref="IOrderLibMigrator.MigrateUp"/> switches a database file to write-ahead logging
    /// (<c>PRAGMA journal_mode=WAL</c>, which persists in the file), so readers and the single writer do not
    /// block each other. Creating the migrator does not open the database.
    /// </remarks>
    /// <param name="connectionString">The SQLite connection string.</param>
    /// <returns>A migrator; each call opens and closes its own connections.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or not a valid SQLite connection string.</exception>
    public static IOrderLibMigrator Create(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            _ = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"Not a valid SQLite connection string: {ex.Message}", nameof(connectionString), ex);
        }

        return new FluentOrderLibMigrator(new SqliteMigrationTarget(connectionString));
    }
}
