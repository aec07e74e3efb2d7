using Microsoft.Data.Sqlite;
using OrderLib.Adapters.Sqlite;

namespace OrderLib.Tests.Infrastructure;

/// <summary>A migrated SQLite database file in a temporary directory of its own, deleted with the directory on dispose.</summary>
internal sealed class MigratedSqliteFile : IDisposable
{
    private readonly string _directory;

    /// <summary>Creates the directory (named after <paramref name="purpose"/>) and the migrated database file in it.</summary>
    public MigratedSqliteFile(string purpose)
    {
        _directory = Path.Combine(Path.GetTempPath(), $"orderlib-{purpose}-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "orderlib.db") }.ToString();
        SqliteOrderLibMigrations.Create(ConnectionString).MigrateUp();
    }

    /// <summary>The connection string of the database file.</summary>
    public string ConnectionString { get; }

    /// <summary>Closes pooled connections and deletes the directory.</summary>
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
