using Npgsql;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// Builds the <see cref="IOrderLibMigrator"/> for a PostgreSQL schema. The migrator runs FluentMigrator's PostgreSQL
/// runner with a private service container, so it never touches the host application's services, and logs nothing.
/// </summary>
/// <example>
/// <code>
/// PostgresOrderLibMigrations.Create("Host=db;Database=app;Username=app", schema: "orderlib").MigrateUp();
/// // The adapter then connects with "...;SearchPath=orderlib" and uses unqualified table names.
/// </code>
/// </example>
public static class PostgresOrderLibMigrations
{
    /// <summary>
    /// Creates a migrator that keeps OrderLib's tables, and FluentMigrator's record of applied migrations
    /// (table <c>orderlib_version_info</c>), in the PostgreSQL schema <paramref name="schema"/> of the database
    /// that <paramref name="connectionString"/> opens. The schema is created when missing.
    /// </summary>
    /// <remarks>
    /// Several schemas in one database are independent OrderLib installations. Adapters reach the tables by
    /// connecting with <c>SearchPath=&lt;schema&gt;</c>; to keep that unambiguous the schema name must be a
    /// plain lower-case identifier (letters a-z, digits, underscore; not starting with a digit; at most 63 characters),
    /// which PostgreSQL reads the same way quoted or unquoted. Concurrent migrators on the same schema
    /// (for example several instances of a host starting at once) are serialised with an advisory lock.
    /// </remarks>
    /// <param name="connectionString">The Npgsql connection string. Its own <c>SearchPath</c>, if any, is ignored by the migrator.</param>
    /// <param name="schema">The schema that holds OrderLib's tables; <c>public</c> by default.</param>
    /// <returns>A migrator; each call opens and closes its own connections.</returns>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or invalid, or <paramref name="schema"/> is not a plain lower-case identifier.</exception>
    public static IOrderLibMigrator Create(string connectionString, string schema = "public")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(schema);
        if (!PostgresMigrationTarget.IsPlainIdentifier(schema))
        {
            throw new ArgumentException(
                $"Schema name '{schema}' is not {PostgresMigrationTarget.PlainIdentifierRule}.",
                nameof(schema));
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"Not a valid Npgsql connection string: {ex.Message}", nameof(connectionString), ex);
        }

        return new FluentOrderLibMigrator(new PostgresMigrationTarget(connectionString, schema));
    }
}
