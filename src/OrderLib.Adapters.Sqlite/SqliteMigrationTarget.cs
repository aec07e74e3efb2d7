using System.Globalization;
using FluentMigrator.Runner;
using Microsoft.Data.Sqlite;

using OrderLib.Migrations;

namespace OrderLib.Adapters.Sqlite;

/// <summary>SQLite: FluentMigrator's SQLite processor over Microsoft.Data.Sqlite; WAL journal mode.</summary>
internal sealed class SqliteMigrationTarget(string connectionString) : MigrationTarget
{
    public override string ProcessorId => "SQLite";

    public override string ProviderName => "Sqlite";

    public override bool IsUnavailable(Exception exception) => SqliteDialect.IsUnavailableError(exception);

    public override string SchemaName => string.Empty;

    public override string RunnerConnectionString => connectionString;

    public override void AddProcessor(IMigrationRunnerBuilder builder) => builder.AddSQLite();

    public override IReadOnlyList<string> ScriptPreparation => ["PRAGMA journal_mode=WAL;"];

    public override MigrationSession OpenSession(bool forMigrateUp)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var session = new Session(connection);
            if (forMigrateUp)
            {
                session.EnableWriteAheadLog();
            }

            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private sealed class Session(SqliteConnection connection) : MigrationSession
    {
        public void EnableWriteAheadLog()
        {
            // Persistent in the file; a no-op ("memory") for in-memory databases.
            _ = Scalar("PRAGMA journal_mode=WAL");
        }

        public override IReadOnlySet<long>? ReadAppliedVersions()
        {
            var versions = new HashSet<long>();
            var exists = Convert.ToInt64(
                Scalar($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{OrderLibVersionTable.Table}'"),
                CultureInfo.InvariantCulture);
            if (exists == 0)
            {
                return null;
            }

            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT \"{OrderLibVersionTable.VersionColumn}\" FROM \"{OrderLibVersionTable.Table}\"";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                versions.Add(reader.GetInt64(0));
            }

            return versions;
        }

        public override void AfterMigrateUp()
        {
            var file = FileName();
            var mode = Convert.ToString(Scalar("PRAGMA journal_mode"), CultureInfo.InvariantCulture);
            if (!string.IsNullOrEmpty(file) && !string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The SQLite database '{file}' is in journal mode '{mode}' after migrating; OrderLib needs WAL. " +
                    "Another connection may have held the database open while the migrator switched it.");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                connection.Dispose();
            }
        }

        private string? FileName()
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA database_list";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.GetString(1) == "main")
                {
                    return reader.IsDBNull(2) ? null : reader.GetString(2);
                }
            }

            return null;
        }

        private object? Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
    }
}
