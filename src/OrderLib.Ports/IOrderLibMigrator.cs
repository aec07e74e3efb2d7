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
    /// <exception cref="OrderLibSchemaVersionException">The database has migrations applied that this library does not know (it is newer); nothing is applied.</exception>
    /// <exception cref="OrderLibMigrationException">A migration failed; the failing migration is rolled back.</exception>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database could not be reached or cannot serve now (the driver's error inside).</exception>
    void MigrateUp();

    /// <summary>Reverts applied migrations newer than <paramref name="version"/>; 0 removes the whole schema.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative or not a known migration version.</exception>
    /// <exception cref="OrderLibMigrationException">A migration failed, or the database has migrations applied that this library does not know (then nothing is reverted).</exception>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database could not be reached or cannot serve now (the driver's error inside).</exception>
    void MigrateDownTo(long version);

    /// <summary>Reverts the <paramref name="steps"/> most recently applied migrations.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    /// <exception cref="OrderLibMigrationException">A migration failed, or the database has migrations applied that this library does not know (then nothing is reverted).</exception>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database could not be reached or cannot serve now (the driver's error inside).</exception>
    void Rollback(int steps);

    /// <summary>Lists every migration the library knows, oldest first, each marked applied or pending.</summary>
    /// <exception cref="OrderLibMigrationException">The database could not be read.</exception>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database could not be reached or cannot serve now (the driver's error inside).</exception>
    IReadOnlyList<MigrationInfo> ListMigrations();

    /// <summary>Compares the database's applied migrations with the ones this library knows, changing nothing.</summary>
    /// <exception cref="OrderLibMigrationException">The database could not be read.</exception>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database could not be reached or cannot serve now (the driver's error inside).</exception>
    SchemaStatus CheckSchema();
}

/// <summary>How the database's schema compares with this library's migrations.</summary>
/// <param name="Missing">Migrations this library knows that the database has not applied, oldest first (the database is behind).</param>
/// <param name="Unknown">Migrations the database has applied that this library does not know, oldest first (the database is newer than the library).</param>
public sealed record SchemaStatus(IReadOnlyList<long> Missing, IReadOnlyList<long> Unknown)
{
    /// <summary>Compares the <paramref name="applied"/> migration versions with the <paramref name="known"/> ones.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static SchemaStatus Compare(IEnumerable<long> known, IEnumerable<long> applied)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(applied);
        var knownSet = known.ToHashSet();
        var appliedSet = applied.ToHashSet();
        return new SchemaStatus(
            knownSet.Where(v => !appliedSet.Contains(v)).Order().ToList(),
            appliedSet.Where(v => !knownSet.Contains(v)).Order().ToList());
    }

    /// <summary>True when the database has exactly this library's migrations.</summary>
    public bool IsCurrent => Missing.Count == 0 && Unknown.Count == 0;

    /// <summary>Throws unless the schema is current, saying what to do.</summary>
    /// <exception cref="OrderLibSchemaVersionException">The database is newer than the library, or behind it.</exception>
    public void EnsureCurrent()
    {
        if (!IsCurrent)
        {
            throw new OrderLibSchemaVersionException(Missing, Unknown);
        }
    }
}

/// <summary>One migration known to the library and whether the database has it.</summary>
/// <param name="Version">The migration's version number (a sortable timestamp, e.g. 2026112601).</param>
/// <param name="Description">What the migration changes, in a few words.</param>
/// <param name="IsApplied">True when the database has this migration applied.</param>
public sealed record MigrationInfo(long Version, string Description, bool IsApplied);
