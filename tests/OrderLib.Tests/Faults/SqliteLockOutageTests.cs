using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Adapters.Sqlite;

namespace OrderLib.Tests.Faults;

/// <summary>
/// A SQLite database made unavailable mid-drain: once a quarter of the DAG succeeded, another process (the
/// <c>sqlite3</c> shell, else <c>python3</c>) takes the database's write lock with <c>BEGIN EXCLUSIVE</c> and holds it for
/// 12 s. The store's connection string sets <c>Default Timeout=2</c> (busy timeout 2 s), so every write the worker
/// attempts meanwhile fails instead of waiting, for longer than the lease-independent retry budget of a naive
/// completer (about 10 s). The library must ride it out: every job ends with exactly one Succeeded run and the drain
/// finishes within <see cref="OutageDrain.RecoveryBound"/> after the lock is released.
/// </summary>
[TestFixture]
[Category("Faults")]
public sealed class SqliteLockOutageTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(12);

    private string? _directory;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-fault-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Test]
    public async Task A_hosted_worker_drains_a_DAG_exactly_once_while_another_process_holds_the_SQLite_write_lock_for_12_s()
    {
        var path = Path.Combine(_directory!, "orderlib.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 2 }.ToString();
        SqliteOrderLibMigrations.Create(connectionString).MigrateUp();

        SqliteWriteLockHolder? holder = null;
        try
        {
            await OutageDrain.RunAsync(new OutageScenario
            {
                Name = "Sqlite",
                UseStore = o => o.UseSqlite(connectionString),
                CreateConnection = () => new SqliteConnection(connectionString),
                Table = table => table,
                Dag = (Layers: 20, Width: 100),
                CreationParallelism = 1,
                OutageDuration = Outage,
                BeginOutage = async () =>
                {
                    holder = await SqliteWriteLockHolder.AcquireAsync(path);
                    return $"BEGIN EXCLUSIVE held by {holder.Description} on {path} (store: Default Timeout=2)";
                },
                EndOutage = async () =>
                {
                    var description = holder?.Description ?? "nobody";
                    if (holder is not null)
                    {
                        await holder.ReleaseAsync();
                    }

                    return string.Create(CultureInfo.InvariantCulture, $"{description} committed and exited: the write lock is free");
                },
            });
        }
        finally
        {
            if (holder is not null)
            {
                await holder.DisposeAsync();
            }
        }
    }
}
