using System.Text.RegularExpressions;
using FluentMigrator.Runner;
using Npgsql;

using OrderLib.Migrations;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// PostgreSQL: FluentMigrator's PostgreSQL 11+ processor, every object in one schema. FluentMigrator
/// qualifies the objects it generates with the schema (through a default-schema convention) and the
/// migrator's connection sets <c>search_path</c> to the schema, so the raw SQL of the partial indexes
/// lands there too and the adapters find everything with <c>SearchPath=&lt;schema&gt;</c>.
/// </summary>
internal sealed partial class PostgresMigrationTarget : MigrationTarget
{
    private readonly string _connectionString;

    public PostgresMigrationTarget(string connectionString, string schema)
    {
        _connectionString = connectionString;
        SchemaName = schema;
        RunnerConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;
    }

    public override string ProcessorId => "PostgreSQL11_0"; // the DatabaseType of the processor AddPostgres11_0 registers

    public override string ProviderName => "Postgres";

    public override bool IsUnavailable(Exception exception) => PostgresDialect.IsUnavailableError(exception);

    public override string SchemaName { get; }

    public override string RunnerConnectionString { get; }

    /// <summary>The rule <see cref="IsPlainIdentifier"/> checks, for messages.</summary>
    public const string PlainIdentifierRule = "a plain lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)";

    /// <summary>True when <paramref name="name"/> reads the same quoted and unquoted in PostgreSQL.</summary>
    public static bool IsPlainIdentifier(string name) => PlainIdentifier().IsMatch(name);

    public override void AddProcessor(IMigrationRunnerBuilder builder) => builder.AddPostgres11_0();

    public override IReadOnlyList<string> ScriptPreparation => [$"CREATE SCHEMA IF NOT EXISTS {QuoteIdentifier(SchemaName)};"];

    public override IReadOnlyList<string> ScriptSessionSetup => [$"SET LOCAL search_path TO {QuoteIdentifier(SchemaName)};"];

    public override MigrationSession OpenSession(bool forMigrateUp)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
            var session = new Session(connection, SchemaName);
            session.Lock();
            if (forMigrateUp)
            {
                session.CreateSchemaIfMissing();
            }

            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Quotes an identifier for PostgreSQL.</summary>
    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();

    private sealed class Session(NpgsqlConnection connection, string schema) : MigrationSession
    {
        /// <summary>Session-level advisory lock, per schema, held until the connection closes.</summary>
        public void Lock()
        {
            using var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended(@key, 0))", connection);
            command.Parameters.AddWithValue("key", "OrderLib.Migrations:" + schema);
            command.ExecuteNonQuery();
        }

        public void CreateSchemaIfMissing()
        {
            using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {QuoteIdentifier(schema)}", connection);
            command.ExecuteNonQuery();
        }

        public override IReadOnlySet<long>? ReadAppliedVersions()
        {
            var versions = new HashSet<long>();
            var table = QuoteIdentifier(schema) + "." + QuoteIdentifier(OrderLibVersionTable.Table);
            using (var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection))
            {
                exists.Parameters.AddWithValue("table", table);
                if (exists.ExecuteScalar() is not true)
                {
                    return null;
                }
            }

            using var command = new NpgsqlCommand($"SELECT {QuoteIdentifier(OrderLibVersionTable.VersionColumn)} FROM {table}", connection);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                versions.Add(reader.GetInt64(0));
            }

            return versions;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Closing returns the connection to the pool, and Npgsql resets the session (DISCARD ALL),
                // which releases the advisory lock; unlock explicitly anyway so the intent is visible.
                try
                {
                    if (connection.State == System.Data.ConnectionState.Open)
                    {
                        using var command = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                        command.ExecuteNonQuery();
                    }
                }
                catch (NpgsqlException)
                {
                    // The connection is broken; the server releases the lock with the session.
                }

                connection.Dispose();
            }
        }
    }
}
