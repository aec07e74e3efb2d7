using Npgsql;
using OrderLib.TestSupport;

namespace OrderLib.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster of one fixture's own, for tests that stop the server (the suite's shared one cannot be
/// stopped). When none can be started the calling fixture is ignored, or fails when <c>CI</c> is <c>true</c>, as
/// <see cref="PostgresServer"/> does.
/// </summary>
internal static class OwnPostgresCluster
{
    /// <summary>Starts a cluster with <paramref name="settings"/> in a temporary directory named after <paramref name="purpose"/>.</summary>
    public static ThrowawayPostgresCluster Start(string purpose, IReadOnlyList<string> settings)
    {
        var binaries = ThrowawayPostgresCluster.FindBinaries();
        string problem;
        if (binaries is null)
        {
            problem = "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin.";
        }
        else
        {
            try
            {
                var root = Path.Combine(Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath(), $"orderlib-{purpose}-" + Guid.NewGuid().ToString("N")[..12]);
                return ThrowawayPostgresCluster.Start(binaries, root, settings, commandTimeout: 30, message => TestContext.Progress.WriteLine(message));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or NpgsqlException)
            {
                problem = $"starting a throwaway cluster with {binaries} failed: {ex.Message}";
            }
        }

        // The suite's policy (see PostgresServer): in CI a PostgreSQL test never skips silently.
        var message = "PostgreSQL test skipped: it needs a server of its own to stop, but " + problem +
                      " Install the PostgreSQL server (apt-get install -y postgresql).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true, so PostgreSQL tests must run, but: " + message);
        }

        Assert.Ignore(message);
        throw new InvalidOperationException("unreachable: Assert.Ignore throws");
    }
}
