using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderLib.Adapters.Postgres;
using OrderLib.TestSupport;

namespace OrderLib.Tests.Faults;

/// <summary>
/// A PostgreSQL outage mid-drain: a throwaway cluster of this fixture's own (the suite's shared server is used by other
/// fixtures, so it cannot be stopped) is stopped with <c>pg_ctl stop -m immediate</c> once a quarter of a 2,001-job DAG
/// succeeded, kept down 10 s, and started again on the same data directory and port. The library must ride it out on
/// its own (no pool clearing from the test): every job ends with exactly one Succeeded run and the drain finishes
/// within <see cref="OutageDrain.RecoveryBound"/> after the server is back. <c>synchronous_commit = on</c>, so a commit the
/// library saw acknowledged survives the crash.
/// </summary>
[TestFixture]
[Category("Faults")]
public sealed class PostgresOutageTests
{
    private const string Schema = "orderlib_fault";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    private static readonly IReadOnlyList<string> ClusterSettings =
    [
        "fsync=off", // a process crash, not an OS crash: what was written survives without fsync
        "synchronous_commit=on",
        "max_connections=100",
    ];

    private ThrowawayPostgresCluster? _cluster;

    [OneTimeSetUp]
    public void StartCluster() => _cluster = OwnPostgresCluster.Start("pgfault", ClusterSettings);

    [OneTimeTearDown]
    public void StopCluster() => _cluster?.Dispose();

    [Test]
    public async Task A_hosted_worker_drains_a_2000_job_DAG_exactly_once_through_a_10_s_PostgreSQL_outage()
    {
        var cluster = _cluster!;
        var connectionString = cluster.AdminConnectionString;
        PostgresOrderLibMigrations.Create(connectionString, Schema).MigrateUp();

        // The test's own queries bypass the pool, so the test does nothing for the library's connections after the restart.
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        await OutageDrain.RunAsync(new OutageScenario
        {
            Name = "Postgres",
            UseStore = o => o.UsePostgres(connectionString, Schema),
            CreateConnection = () => new NpgsqlConnection(unpooled),
            Table = table => $"{Schema}.{table}",
            Dag = (Layers: 20, Width: 100),
            CreationParallelism = 4,
            OutageDuration = Outage,
            BeginOutage = () =>
            {
                var pid = cluster.ServerPid;
                cluster.StopImmediate();
                return Task.FromResult(string.Create(CultureInfo.InvariantCulture, $"pg_ctl stop -m immediate (postmaster {pid}), port {new NpgsqlConnectionStringBuilder(connectionString).Port}"));
            },
            EndOutage = async () =>
            {
                cluster.StartAgain();
                await using var connection = new NpgsqlConnection(unpooled);
                await connection.OpenAsync(); // pg_ctl -w returned: it accepts connections
                return string.Create(CultureInfo.InvariantCulture, $"pg_ctl start on the same data directory and port (postmaster {cluster.ServerPid}), accepting connections");
            },
        });
    }
}
