namespace OrderLib.Ports;

/// <summary>
/// Writes the SQL of OrderLib's migrations without touching a database (offline, as Alembic's <c>--sql</c> mode), for a
/// DBA to review and apply by hand. The relational adapters' migrators implement it next to
/// <see cref="IOrderLibMigrator"/>: cast the registered migrator (<c>migrator as IOrderLibMigrationScripter</c>).
/// </summary>
public interface IOrderLibMigrationScripter
{
    /// <summary>
    /// The SQL that takes a database whose schema is at <paramref name="fromVersion"/> (0: an empty database) to
    /// <paramref name="toVersion"/> (null: the latest version; lower than <paramref name="fromVersion"/>: a downgrade, 0
    /// removing the whole schema), in the adapter's own dialect, INCLUDING the rows of OrderLib's version table
    /// (<c>orderlib_version_info</c>, created when <paramref name="fromVersion"/> is 0), so a database scripted by hand is
    /// recognised as migrated by <see cref="IOrderLibMigrator.CheckSchema"/> and later <see cref="IOrderLibMigrator.MigrateUp"/> calls.
    /// Statements end with a semicolon; the whole script runs in one transaction (after any statement that cannot, such as
    /// SQLite's <c>PRAGMA journal_mode=WAL</c>).
    /// </summary>
    /// <param name="fromVersion">The version the database is at: 0 or a known migration version.</param>
    /// <param name="toVersion">The version to reach: null for the latest, 0, or a known migration version.</param>
    /// <returns>The script's text; empty of statements (comments only) when the versions are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A version is negative or not a known migration version.</exception>
    /// <exception cref="OrderLibMigrationException">FluentMigrator failed to generate a statement.</exception>
    string ScriptMigrations(long fromVersion, long? toVersion);
}
