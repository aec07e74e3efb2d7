using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using NUnit.Framework;

namespace OrderLib.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the whole test run shares, started at most once per process, on first use.
/// <list type="bullet">
/// <item>When the environment variable <c>ORDERLIB_TEST_POSTGRES</c> holds an Npgsql connection string, that
/// server is used; the connection string must be allowed to create and drop databases.</item>
/// <item>Otherwise a throwaway cluster is created with <c>initdb</c> in a temporary directory and started with
/// <c>pg_ctl</c> (<c>fsync=off</c>, 127.0.0.1 on a free port, trust authentication). As root, both run as the
/// <c>postgres</c> OS user through <c>runuser</c>. <see cref="PostgresServerLifetime"/> stops it after the run.</item>
/// <item>When neither is possible the calling test is ignored with a message that says how to enable it, except
/// when the environment variable <c>CI</c> is <c>true</c>: then it fails, so CI never skips PostgreSQL silently.</item>
/// </list>
/// Each test fixture takes a database of its own from <see cref="CreateDatabaseAsync"/> and drops it afterwards.
/// </summary>
public static class PostgresServer
{
    /// <summary>The environment variable naming an existing server to use instead of a throwaway one.</summary>
    public const string ConnectionStringVariable = "ORDERLIB_TEST_POSTGRES";

    private static readonly Lazy<Availability> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int s_databasesCreated;
    private static int s_sequence;

    /// <summary>
    /// An Npgsql connection string to the server's maintenance database (<c>postgres</c>), as a superuser of
    /// the throwaway cluster (or the user of <c>ORDERLIB_TEST_POSTGRES</c>). Starts the server on first use;
    /// ignores (or, in CI, fails) the calling test when no server is available.
    /// </summary>
    public static string AdminConnectionString => Require().AdminConnectionString!;

    /// <summary>How many databases <see cref="CreateDatabaseAsync"/> has created in this process.</summary>
    public static int DatabasesCreated => Volatile.Read(ref s_databasesCreated);

    /// <summary>
    /// Creates an empty database with a unique name and returns an Npgsql connection string to it.
    /// Ignores (or, in CI, fails) the calling test when no server is available.
    /// </summary>
    /// <returns>A connection string to the new database, as the admin user.</returns>
    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = AdminConnectionString;
        var name = string.Create(
            CultureInfo.InvariantCulture,
            $"orderlib_test_{Environment.ProcessId}_{Interlocked.Increment(ref s_sequence)}_{Guid.NewGuid().ToString("N")[..8]}");

        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var command = new NpgsqlCommand($"CREATE DATABASE {Quote(name)}", connection);
                    await command.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 10)
                {
                    // "source database template1 is being accessed by other users": another session is briefly on it.
                    await Task.Delay(100 * attempt);
                }
            }
        }

        Interlocked.Increment(ref s_databasesCreated);
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database <paramref name="connectionString"/> points to, closing its connections first.</summary>
    /// <param name="connectionString">A connection string returned by <see cref="CreateDatabaseAsync"/>.</param>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
                   ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));

        await using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(Require().AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the throwaway cluster, if this process started one, and deletes its directory. Idempotent.</summary>
    internal static void Stop()
    {
        if (Server.IsValueCreated)
        {
            Server.Value.Cluster?.Dispose();
        }
    }

    private static Availability Require()
    {
        var server = Server.Value;
        if (server.AdminConnectionString is not null)
        {
            return server;
        }

        var message = "PostgreSQL tests skipped: " + server.Problem +
                      $" Install the PostgreSQL server (apt-get install -y postgresql; initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin), " +
                      $"or set {ConnectionStringVariable} to an Npgsql connection string of a server where the user may create databases.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true, so PostgreSQL tests must run, but: " + message);
        }

        Assert.Ignore(message);
        return server; // unreachable: Assert.Ignore throws
    }

    private static Availability Start()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new Availability(configured, null, null);
        }

        var binaries = FindBinaries();
        if (binaries is null)
        {
            return new Availability(null, null, "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin.");
        }

        try
        {
            var cluster = ThrowawayCluster.Start(binaries);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
            return new Availability(cluster.AdminConnectionString, cluster, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or NpgsqlException)
        {
            return new Availability(null, null, $"starting a throwaway cluster with {binaries} failed: {ex.Message}");
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
        if (Directory.Exists(debianRoot))
        {
            return Directory.GetDirectories(debianRoot)
                .Select(versionDir => (Version: int.TryParse(Path.GetFileName(versionDir), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1,
                                       Bin: Path.Combine(versionDir, "bin")))
                .Where(candidate => HasBoth(candidate.Bin))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault();
        }

        return null;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Either a server to use (and the cluster this process owns, if any) or why there is none.</summary>
    private sealed record Availability(string? AdminConnectionString, ThrowawayCluster? Cluster, string? Problem);

    /// <summary>A PostgreSQL cluster in a temporary directory, owned by this process.</summary>
    private sealed class ThrowawayCluster : IDisposable
    {
        private readonly string _binaries;
        private readonly string _root;
        private readonly bool _asPostgresUser;
        private int _disposed;

        private ThrowawayCluster(string binaries, string root, bool asPostgresUser, int port)
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
                CommandTimeout = 120,
            }.ConnectionString;
        }

        public string AdminConnectionString { get; }

        private string DataDirectory => Path.Combine(_root, "data");

        public static ThrowawayCluster Start(string binaries)
        {
            var asPostgresUser = IsRoot();
            // /tmp rather than $TMPDIR: the postgres user must be able to reach it, and the unix socket path must stay short.
            var temp = Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath();
            var root = Path.Combine(temp, "orderlib-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(root);
            var cluster = new ThrowawayCluster(binaries, root, asPostgresUser, FreePort());
            try
            {
                if (asPostgresUser)
                {
                    // initdb refuses to run as root: the directory belongs to the postgres OS user, who runs the server.
                    Run("chown", ["postgres:postgres", root], asPostgresUser: false, TimeSpan.FromSeconds(10));
                }

                cluster.InitDb();
                cluster.StartServer();
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
                    Run(Path.Combine(_binaries, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], _asPostgresUser, TimeSpan.FromSeconds(40));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                TestContext.Progress.WriteLine($"Stopping the throwaway PostgreSQL cluster failed: {ex.Message}");
            }

            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                TestContext.Progress.WriteLine($"Deleting {_root} failed: {ex.Message}");
            }
        }

        private string? ServerLogTail()
        {
            var path = Path.Combine(_root, "server.log");
            try
            {
                return File.Exists(path) ? string.Join(" | ", File.ReadAllLines(path).TakeLast(10)) : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        private void InitDb() =>
            Run(
                Path.Combine(_binaries, "initdb"),
                ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
                _asPostgresUser,
                TimeSpan.FromSeconds(120));

        private void StartServer()
        {
            var port = new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;
            var options = string.Join(
                ' ',
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c listen_addresses=127.0.0.1",
                $"-c port={port.ToString(CultureInfo.InvariantCulture)}",
                $"-c unix_socket_directories='{_root}'",
                "-c max_connections=200");
            Run(
                Path.Combine(_binaries, "pg_ctl"),
                ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-o", options, "-w", "-t", "60", "start"],
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

        /// <summary>Runs a program to completion and returns its standard output; throws with its output when it fails.</summary>
        private static string Run(string program, IReadOnlyList<string> arguments, bool asPostgresUser, TimeSpan timeout)
        {
            var start = new ProcessStartInfo
            {
                FileName = asPostgresUser ? "runuser" : program,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetTempPath(), // the postgres user may not be able to enter the test's directory
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
    }
}
