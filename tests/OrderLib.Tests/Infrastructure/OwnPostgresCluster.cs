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
        var cluster = ThrowawayPostgresCluster.TryStartOwn(purpose, settings, message => TestContext.Progress.WriteLine(message), out var problem);
        if (cluster is not null)
        {
            return cluster;
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
