using FluentMigrator.Runner;

namespace OrderLib.Migrations;

/// <summary>What differs between the databases OrderLib migrates: the FluentMigrator processor and the
/// few things done around a run with a connection of the migrator's own.</summary>
internal abstract class MigrationTarget
{
    /// <summary>FluentMigrator's processor id (<c>SQLite</c>, <c>PostgreSQL11_0</c>).</summary>
    public abstract string ProcessorId { get; }

    /// <summary>The store provider's name (<c>Sqlite</c>, <c>Postgres</c>), for errors.</summary>
    public abstract string ProviderName { get; }

    /// <summary>True when <paramref name="exception"/> says the database cannot be reached or cannot serve now (the store's dialect's rule).</summary>
    public abstract bool IsUnavailable(Exception exception);

    /// <summary>The schema that holds the tables and the version table; empty for SQLite.</summary>
    public abstract string SchemaName { get; }

    /// <summary>The connection string FluentMigrator's processor uses.</summary>
    public abstract string RunnerConnectionString { get; }

    /// <summary>Registers the database's FluentMigrator processor and generator.</summary>
    public abstract void AddProcessor(IMigrationRunnerBuilder builder);

    /// <summary>Opens a session that lasts for one migrator operation. With <paramref name="forMigrateUp"/>
    /// it prepares the database for migrating up (creates the schema, switches to WAL).</summary>
    public abstract MigrationSession OpenSession(bool forMigrateUp);

    /// <summary>Statements an upgrade script runs before its transaction, as <see cref="OpenSession"/> prepares a database for
    /// migrating up (SQLite: switch to WAL; PostgreSQL: create the schema). Each ends with a semicolon.</summary>
    public abstract IReadOnlyList<string> ScriptPreparation { get; }

    /// <summary>Statements a script runs first inside its transaction, as the migrator's connection is set up
    /// (PostgreSQL: the search path, for the raw SQL of the partial indexes). Each ends with a semicolon.</summary>
    public virtual IReadOnlyList<string> ScriptSessionSetup => [];
}

/// <summary>One migrator operation's own connection: holds any lock, prepares the database and reads the
/// applied versions without FluentMigrator (which would create its version table as a side effect).</summary>
internal abstract class MigrationSession : IDisposable
{
    /// <summary>The versions recorded as applied; null when the version table does not exist.</summary>
    public abstract IReadOnlySet<long>? ReadAppliedVersions();

    /// <summary>Checks the database after a successful migration up.</summary>
    public virtual void AfterMigrateUp()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the session's connection.</summary>
    protected abstract void Dispose(bool disposing);
}
