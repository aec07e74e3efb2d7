namespace OrderLib.Ports;

/// <summary>
/// Applies and reverts OrderLib's schema. The relational adapters implement it with
/// FluentMigrator, which is the one owner of the schema; the in-memory adapter has no schema
/// and registers no migrator (see <see cref="StoreCapabilities.HasSchema"/>).
/// All methods are synchronous because the underlying migration runner is.
/// </summary>
public interface IOrderLibMigrator
{
    /// <summary>Applies every pending migration, bringing the schema to the latest version.</summary>
    /// <exception cref="OrderLibMigrationException">A migration failed; the failing migration is rolled back.</exception>
    void MigrateUp();

    /// <summary>Reverts applied migrations newer than <paramref name="version"/>; 0 removes the whole schema.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative or not a known migration version.</exception>
    /// <exception cref="OrderLibMigrationException">A migration failed.</exception>
    void MigrateDownTo(long version);

    /// <summary>Reverts the <paramref name="steps"/> most recently applied migrations.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    /// <exception cref="OrderLibMigrationException">A migration failed.</exception>
    void Rollback(int steps);

    /// <summary>Lists every migration the library knows, oldest first, each marked applied or pending.</summary>
    IReadOnlyList<MigrationInfo> ListMigrations();
}

/// <summary>One migration known to the library and whether the database has it.</summary>
/// <param name="Version">The migration's version number (a sortable timestamp, e.g. 2026112601).</param>
/// <param name="Description">What the migration changes, in a few words.</param>
/// <param name="IsApplied">True when the database has this migration applied.</param>
public sealed record MigrationInfo(long Version, string Description, bool IsApplied);
