using System.Net;
using Npgsql;
using OrderLib.TestSupport;

namespace OrderLib.Dashboard.Tests;

/// <summary>
/// The dashboard on PostgreSQL (the other tests run on SQLite): every page answers over real data and an action writes
/// through. Needs a PostgreSQL server it starts itself; ignored without the server binaries, but failing when CI=true.
/// </summary>
[NonParallelizable]
public sealed class PostgresDashboardTests
{
    private ThrowawayPostgresCluster? _cluster;

    [OneTimeSetUp]
    public void StartServer()
    {
        _cluster = ThrowawayPostgresCluster.TryStartOwn("dashboard", [], message => TestContext.Progress.WriteLine(message), out var problem);
        if (_cluster is not null)
        {
            return;
        }

        var message = "PostgreSQL dashboard test skipped: " + problem + " Install the PostgreSQL server (apt-get install -y postgresql).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true, so PostgreSQL tests must run, but: " + message);
        }

        Assert.Ignore(message);
    }

    [OneTimeTearDown]
    public void StopServer() => _cluster?.Dispose();

    [Test]
    public async Task Every_page_answers_over_a_pipeline_and_an_action_writes_through()
    {
        var connectionString = await CreateDatabaseAsync("dashboard_pages");
        using var app = new DashboardApp(new Dictionary<string, string?>
        {
            ["OrderLib:Provider"] = "Postgres",
            ["ConnectionStrings:OrderLib"] = connectionString,
        });
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var extract = await orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        var load = await orderLib.Jobs.CreateAsync(new JobDefinition("load <&>"));
        await orderLib.Dependencies.AddAsync(load.Id, extract.Id);
        var pipeline = await orderLib.Runs.TriggerAsync(extract.Id, new TriggerOptions { Label = "nightly", Input = RunPayload.Parse("{\"day\":\"2026-12-07\"}") });
        var extractRun = pipeline.Runs.Single(run => run.Run.JobId == extract.Id).Run;
        await orderLib.Runs.StartAsync(extractRun.Id, new WorkerId("w1"));
        await orderLib.Runs.MarkFailedAsync(extractRun.Id, "disk full");

        string[] pages =
        [
            "/orderlib/", "/orderlib/?window=day", "/orderlib/jobs", "/orderlib/jobs?latestStatuses=failed", $"/orderlib/jobs/{extract.Id.Value}",
            "/orderlib/runs", "/orderlib/runs?statuses=failed&jobNamePrefix=ext&orderBy=finished", $"/orderlib/runs/{extractRun.Id.Value}",
            "/orderlib/pipelines", $"/orderlib/pipelines/{pipeline.Id.Value}", "/orderlib/graph", $"/orderlib/graph?job={load.Id.Value}",
        ];
        foreach (var page in pages)
        {
            var body = await (await local.GetAsync(page)).BodyAsync(HttpStatusCode.OK);
            Assert.That(body, Does.Contain("extract"), page);
            Assert.That(body, Does.Not.Contain("load <&>"), page + " encodes the job name");
        }

        var runPage = await (await local.GetAsync($"/orderlib/runs/{extractRun.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(runPage, Does.Contain("disk full").And.Contain("2026-12-07"), "the error and the input, read from PostgreSQL");

        var retried = await local.ConfirmAsync($"/orderlib/runs/{extractRun.Id.Value}/retry");
        Assert.That(retried.Location(), Does.StartWith("/orderlib/runs/").And.EndWith("?notice=retried"));
        var latest = (await orderLib.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { JobIds = [extract.Id] }, Limit = 1 })).Items.Single().Run;
        Assert.That(latest.Id, Is.Not.EqualTo(extractRun.Id));
        Assert.That(latest.Status, Is.EqualTo(RunStatus.Pending));
    }

    private async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(_cluster!.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(_cluster.AdminConnectionString) { Database = name }.ConnectionString;
    }
}
