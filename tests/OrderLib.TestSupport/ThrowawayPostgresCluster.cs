using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OrderLib.TestSupport;

/// <summary>
/// A PostgreSQL cluster in a directory of its own, owned by this process: <c>initdb</c> (trust authentication, UTF8,
/// C locale) and <c>pg_ctl start</c> on 127.0.0.1 and a free port, with the unix socket in that directory. As root,
/// the directory is handed to the <c>postgres</c> OS user and both programs run as that user through <c>runuser</c>
/// (initdb refuses to run as root). <see cref="Dispose"/> stops the server (immediate mode) and deletes the directory.
/// Used by the test suite's <c>PostgresServer</c> and by the benchmark's <c>PostgresCluster</c>, which add their own
/// settings and policies on top.
/// </summary>
public sealed class ThrowawayPostgresCluster : IDisposable
{
    private readonly string _root;
    private readonly bool _asPostgresUser;
    private readonly Action<string> _log;
    private IReadOnlyList<string> _settings = [];
    private int _disposed;

    private ThrowawayPostgresCluster(string binaries, string root, bool asPostgresUser, int port, int commandTimeout, Action<string> log)
    {
        Binaries = binaries;
        _root = root;
        _asPostgresUser = asPostgresUser;
        _log = log;
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 30,
            CommandTimeout = commandTimeout,
        }.ConnectionString;
    }

    /// <summary>A superuser (<c>postgres</c>) connection string to the maintenance database <c>postgres</c>.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The directory holding <c>initdb</c> and <c>pg_ctl</c> that the cluster was started with.</summary>
    public string Binaries { get; }

    /// <summary>The server's log file.</summary>
    public string LogPath => Path.Combine(_root, "server.log");

    /// <summary>The postmaster's process id (first line of postmaster.pid), or null when unknown.</summary>
    public int? ServerPid
    {
        get
        {
            try
            {
                var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
                return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>
    /// Starts a cluster of one test fixture's own (for tests that stop the server, or a test project without the suite's
    /// shared server) in a temporary directory named after <paramref name="purpose"/>; null, with the reason in
    /// <paramref name="problem"/>, when no server binaries are found or the cluster does not start. The caller decides
    /// whether that skips or fails the test (it must fail when <c>CI</c> is <c>true</c>).
    /// </summary>
    public static ThrowawayPostgresCluster? TryStartOwn(string purpose, IReadOnlyList<string> settings, Action<string> log, out string problem)
    {
        var binaries = FindBinaries();
        if (binaries is null)
        {
            problem = "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin.";
            return null;
        }

        try
        {
            var root = Path.Combine(Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath(), $"orderlib-{purpose}-" + Guid.NewGuid().ToString("N")[..12]);
            problem = "";
            return Start(binaries, root, settings, commandTimeout: 30, log);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or NpgsqlException)
        {
            problem = $"starting a throwaway cluster with {binaries} failed: {ex.Message}";
            return null;
        }
    }

    /// <summary>
    /// The directory holding both <c>initdb</c> and <c>pg_ctl</c>: the first such directory on <c>PATH</c>, else the
    /// highest version's <c>bin</c> under <c>/usr/lib/postgresql</c>; null when there is none.
    /// </summary>
    public static string? FindBinaries()
    {
        static bool HasBoth(string dir) =>
            File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasBoth(dir))
            {
                return dir;
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(versionDir => (Version: int.TryParse(Path.GetFileName(versionDir), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1,
                                       Bin: Path.Combine(versionDir, "bin")))
                .Where(candidate => HasBoth(candidate.Bin))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault()
            : null;
    }

    /// <summary>Creates <paramref name="root"/>, initialises a cluster in it and starts the server.</summary>
    /// <param name="binaries">The directory holding <c>initdb</c> and <c>pg_ctl</c> (see <see cref="FindBinaries"/>).</param>
    /// <param name="root">The directory the cluster owns (data directory, server log, unix socket); deleted on <see cref="Dispose"/>.
    /// Keep its path short (unix socket path limit) and reachable by the <c>postgres</c> OS user.</param>
    /// <param name="settings">Server settings as <c>postgres -c</c> options (<c>name=value</c>), besides the address, port and socket directory.</param>
    /// <param name="commandTimeout">The <see cref="AdminConnectionString"/>'s command timeout in seconds (0: none).</param>
    /// <param name="log">Where problems met while stopping or deleting the cluster are reported.</param>
    /// <returns>The running cluster.</returns>
    /// <exception cref="InvalidOperationException">The cluster could not be created or started (with the server log's tail when there is one).</exception>
    public static ThrowawayPostgresCluster Start(string binaries, string root, IReadOnlyList<string> settings, int commandTimeout, Action<string> log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(binaries);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);

        var asPostgresUser = IsRoot();
        Directory.CreateDirectory(root);
        var cluster = new ThrowawayPostgresCluster(binaries, root, asPostgresUser, FreePort(), commandTimeout, log);
        try
        {
            if (asPostgresUser)
            {
                // initdb refuses to run as root: the directory belongs to the postgres OS user, who runs the server.
                Run("chown", ["postgres:postgres", root], asPostgresUser: false, TimeSpan.FromSeconds(10));
            }

            cluster.InitDb();
            cluster._settings = settings.ToArray();
            cluster.StartServer(cluster._settings);
            return cluster;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            var serverLog = cluster.ServerLogTail();
            cluster.Dispose();
            throw new InvalidOperationException(serverLog is null ? ex.Message : $"{ex.Message} Server log: {serverLog}", ex);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops the server in immediate mode (<c>pg_ctl stop -m immediate</c>: every backend is killed, no checkpoint, crash
    /// recovery at the next start), keeping the data directory, so <see cref="StartAgain"/> can bring the same cluster back.
    /// </summary>
    /// <exception cref="InvalidOperationException">pg_ctl failed or did not finish.</exception>
    public void StopImmediate()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Run(Path.Combine(Binaries, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], _asPostgresUser, TimeSpan.FromSeconds(40));
    }

    /// <summary>
    /// Starts the server again on the same data directory, address, port and settings it was first started with (after
    /// <see cref="StopImmediate"/>); returns once it accepts connections (after crash recovery).
    /// </summary>
    /// <exception cref="InvalidOperationException">pg_ctl failed or did not finish (with the server log's tail when there is one).</exception>
    public void StartAgain()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            StartServer(_settings);
        }
        catch (InvalidOperationException ex)
        {
            var serverLog = ServerLogTail();
            throw new InvalidOperationException(serverLog is null ? ex.Message : $"{ex.Message} Server log: {serverLog}", ex);
        }
    }

    /// <summary>Stops the server (immediate mode) and deletes the cluster's directory. Idempotent; problems go to the log.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                Run(Path.Combine(Binaries, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], _asPostgresUser, TimeSpan.FromSeconds(40));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            _log($"Stopping the throwaway PostgreSQL cluster failed: {ex.Message}");
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log($"Deleting {_root} failed: {ex.Message}");
        }
    }

    /// <summary>Runs a program to completion and returns its standard output; throws with its output when it fails.</summary>
    /// <param name="program">The program to run.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="asPostgresUser">Whether to run it as the <c>postgres</c> OS user through <c>runuser</c> (needs root).</param>
    /// <param name="timeout">How long it may take before it is killed.</param>
    /// <returns>The program's standard output.</returns>
    /// <exception cref="InvalidOperationException">The program did not start, timed out or exited with a non-zero code.</exception>
    public static string Run(string program, IReadOnlyList<string> arguments, bool asPostgresUser, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : program,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/", // the postgres user may not be able to enter the caller's directory
        };
        if (asPostgresUser)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} did not finish within {timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit(); // flush the redirected streams
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(' ', start.ArgumentList.Prepend(start.FileName))} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }

        return stdout.Result;
    }

    private string? ServerLogTail()
    {
        try
        {
            return File.Exists(LogPath) ? string.Join(" | ", File.ReadAllLines(LogPath).TakeLast(10)) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void InitDb() =>
        Run(
            Path.Combine(Binaries, "initdb"),
            ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            _asPostgresUser,
            TimeSpan.FromSeconds(120));

    private void StartServer(IReadOnlyList<string> settings)
    {
        var port = new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;
        var options = string.Join(
            ' ',
            settings.Select(s => "-c " + s).Concat(
            [
                "-c listen_addresses=127.0.0.1",
                $"-c port={port.ToString(CultureInfo.InvariantCulture)}",
                $"-c unix_socket_directories='{_root}'",
            ]));
        Run(
            Path.Combine(Binaries, "pg_ctl"),
            ["-D", DataDirectory, "-l", LogPath, "-o", options, "-w", "-t", "60", "start"],
            _asPostgresUser,
            TimeSpan.FromSeconds(90));
    }

    private static bool IsRoot()
    {
        try
        {
            return Run("id", ["-u"], asPostgresUser: false, TimeSpan.FromSeconds(10)).Trim() == "0";
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
