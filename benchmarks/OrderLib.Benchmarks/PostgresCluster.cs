using OrderLib.TestSupport;

namespace OrderLib.Benchmarks;

/// <summary>
/// The benchmark's throwaway PostgreSQL cluster: a <see cref="ThrowawayPostgresCluster"/> (shared with the test suite's
/// PostgresServer) started with the benchmark's <see cref="Settings"/> under the work directory, no command timeout on
/// the admin connection, and tracked so that <see cref="StopAll"/> can stop it on SIGINT/SIGTERM. The server log is kept
/// in <see cref="LogPath"/> so that <c>auto_explain</c> output can be read back.
/// </summary>
internal sealed class PostgresCluster : IDisposable
{
    /// <summary>The server settings the benchmark runs with, as <c>postgres -c</c> options.</summary>
    public static readonly IReadOnlyList<string> Settings =
    [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=200",
    ];

    private static readonly List<PostgresCluster> Live = [];
    private readonly ThrowawayPostgresCluster _cluster;
    private int _disposed;

    private PostgresCluster(ThrowawayPostgresCluster cluster) => _cluster = cluster;

    /// <summary>A superuser connection string to the <c>postgres</c> database.</summary>
    public string AdminConnectionString => _cluster.AdminConnectionString;

    /// <summary>The server's log file.</summary>
    public string LogPath => _cluster.LogPath;

    /// <summary>The postmaster's process id (first line of postmaster.pid), or null when unknown.</summary>
    public int? ServerPid => _cluster.ServerPid;

    /// <summary>Where the server binaries were found.</summary>
    public string Binaries => _cluster.Binaries;

    /// <summary>Creates and starts a cluster under <paramref name="parentDirectory"/>.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server did not start.</exception>
    public static PostgresCluster Start(string parentDirectory)
    {
        var binaries = ThrowawayPostgresCluster.FindBinaries() ?? throw new InvalidOperationException(
            "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin; install the PostgreSQL server " +
            "(apt-get install -y postgresql) or set ORDERLIB_BENCH_POSTGRES to an Npgsql connection string.");
        var cluster = new PostgresCluster(ThrowawayPostgresCluster.Start(
            binaries,
            Path.Combine(parentDirectory, "pg"),
            Settings,
            commandTimeout: 0,
            message => Console.Error.WriteLine(message)));
        lock (Live)
        {
            Live.Add(cluster);
        }

        return cluster;
    }

    /// <summary>Stops every cluster still running (for SIGINT/SIGTERM, so an interrupted run leaves no server behind).</summary>
    public static void StopAll()
    {
        PostgresCluster[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var cluster in live)
        {
            cluster.Dispose();
        }
    }

    /// <summary>Stops the server (immediate mode) and deletes its directory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (Live)
        {
            Live.Remove(this);
        }

        _cluster.Dispose();
    }
}
