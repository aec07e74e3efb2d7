using System.Globalization;
using Npgsql;
using NUnit.Framework;
using OrderLib.TestSupport;

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

    /// <summary>The throwaway cluster's server settings, as <c>postgres -c</c> options.</summary>
    private static readonly IReadOnlyList<string> ClusterSettings =
    [
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=200",
    ];

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

        var binaries = ThrowawayPostgresCluster.FindBinaries();
        if (binaries is null)
        {
            return new Availability(null, null, "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin.");
        }

        try
        {
            // /tmp rather than $TMPDIR: the postgres user must be able to reach it, and the unix socket path must stay short.
            var temp = Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath();
            var root = Path.Combine(temp, "orderlib-pg-" + Guid.NewGuid().ToString("N")[..12]);
            var cluster = ThrowawayPostgresCluster.Start(binaries, root, ClusterSettings, commandTimeout: 120, message => TestContext.Progress.WriteLine(message));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
            return new Availability(cluster.AdminConnectionString, cluster, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or NpgsqlException)
        {
            return new Availability(null, null, $"starting a throwaway cluster with {binaries} failed: {ex.Message}");
        }
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Either a server to use (and the cluster this process owns, if any) or why there is none.</summary>
    private sealed record Availability(string? AdminConnectionString, ThrowawayPostgresCluster? Cluster, string? Problem);
}
