using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OrderLib.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL cluster owned by this process, started the way the test suite's PostgresServer does it:
/// <c>initdb</c> in a temporary directory, <c>pg_ctl start</c> with <c>fsync=off</c> on 127.0.0.1 and a free port,
/// trust authentication; as root both run as the <c>postgres</c> OS user through <c>runuser</c>. The server log is kept
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
    private readonly string _binaries;
    private readonly string _root;
    private readonly bool _asPostgresUser;
    private int _disposed;

    private PostgresCluster(string binaries, string root, bool asPostgresUser, int port)
    {
        _binaries = binaries;
        _root = root;
        _asPostgresUser = asPostgresUser;
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 30,
            CommandTimeout = 0,
        }.ConnectionString;
    }

    /// <summary>A superuser connection string to the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

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

    /// <summary>Where the server binaries were found.</summary>
    public string Binaries => _binaries;

    private string DataDirectory => Path.Combine(_root, "data");

    /// <summary>Creates and starts a cluster under <paramref name="parentDirectory"/>.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server did not start.</exception>
    public static PostgresCluster Start(string parentDirectory)
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin; install the PostgreSQL server " +
            "(apt-get install -y postgresql) or set ORDERLIB_BENCH_POSTGRES to an Npgsql connection string.");
        var asPostgresUser = IsRoot();
        var root = Path.Combine(parentDirectory, "pg");
        Directory.CreateDirectory(root);
        var cluster = new PostgresCluster(binaries, root, asPostgresUser, FreePort());
        try
        {
            if (asPostgresUser)
            {
                // initdb refuses to run as root: the directory belongs to the postgres OS user, who runs the server.
                Run("chown", ["postgres:postgres", root], asPostgresUser: false, TimeSpan.FromSeconds(10));
            }

            Run(
                Path.Combine(binaries, "initdb"),
                ["-D", cluster.DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
                asPostgresUser,
                TimeSpan.FromSeconds(120));
            var port = new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString).Port;
            var options = string.Join(
                ' ',
                Settings.Select(s => "-c " + s).Concat(
                [
                    "-c listen_addresses=127.0.0.1",
                    $"-c port={port.ToString(CultureInfo.InvariantCulture)}",
                    $"-c unix_socket_directories='{root}'",
                ]));
            Run(
                Path.Combine(binaries, "pg_ctl"),
                ["-D", cluster.DataDirectory, "-l", cluster.LogPath, "-o", options, "-w", "-t", "60", "start"],
                asPostgresUser,
                TimeSpan.FromSeconds(90));

            lock (Live)
            {
                Live.Add(cluster);
            }

            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
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

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                Run(Path.Combine(_binaries, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], _asPostgresUser, TimeSpan.FromSeconds(40));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"Stopping the throwaway PostgreSQL cluster failed: {ex.Message}");
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Deleting {_root} failed: {ex.Message}");
        }
    }

    private static string? FindBinaries()
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

    /// <summary>Runs a program to completion and returns its standard output; throws with its output when it fails.</summary>
    internal static string Run(string program, IReadOnlyList<string> arguments, bool asPostgresUser, TimeSpan timeout)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : program,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
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

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(' ', start.ArgumentList.Prepend(start.FileName))} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }

        return stdout.Result;
    }
}
