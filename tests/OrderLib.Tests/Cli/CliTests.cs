using System.Globalization;
using System.Text.Json;

namespace OrderLib.Tests.Cli;

/// <summary>
/// The <c>orderlib</c> tool end to end, once per database: the built tool runs as a process against a fresh database,
/// and each test batches many commands (a process start costs 100-200 ms).
/// </summary>
public abstract class CliTests
{
    /// <summary>The connection options for this fixture's database (fresh, empty, not migrated).</summary>
    protected abstract string[] Connection { get; }

    /// <summary>Creates a second empty database and returns the connection options for it.</summary>
    protected abstract Task<string[]> CreateEmptyDatabaseAsync();

    /// <summary>Runs <paramref name="sql"/> as one command with a plain ADO.NET connection on the database of <paramref name="connection"/>.</summary>
    protected abstract Task ExecuteByHandAsync(string[] connection, string sql);

    /// <summary>The names of the tables (OrderLib's and its version table) in the database of <paramref name="connection"/>, sorted.</summary>
    protected abstract Task<IReadOnlyList<string>> TablesAsync(string[] connection);

    [OneTimeSetUp]
    public abstract Task CreateDatabasesAsync();

    [OneTimeTearDown]
    public abstract Task DropDatabasesAsync();

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync([.. args, .. Connection]);

    private static Task<CliResult> RunOn(string[] connection, params string[] args) => CliProcess.RunAsync([.. args, .. connection]);

    [Test, Order(1)]
    public async Task Migrate_up_down_current_list_and_a_script_applied_by_hand()
    {
        var empty = await Run("migrate", "current");
        Assert.That(empty.ExitCode, Is.EqualTo(5), empty.ToString());
        Assert.That(empty.Output, Does.Contain("none"));

        var up = await Run("migrate", "up", "--json");
        Assert.That(up.ExitCode, Is.EqualTo(0), up.ToString());
        var applied = up.Json().GetProperty("applied").EnumerateArray().Select(v => v.GetInt64()).ToList();
        Assert.That(applied, Has.Count.GreaterThanOrEqualTo(5).And.Ordered);
        var head = applied[^1];

        var current = await Run("migrate", "current");
        Assert.That((current.ExitCode, current.Output.Trim()), Is.EqualTo((0, $"{head} (head)")), current.ToString());

        var down = await Run("migrate", "down", "--steps", "1");
        Assert.That((down.ExitCode, down.Output.Trim()), Is.EqualTo((0, $"Reverted {head}.")), down.ToString());
        var list = await Run("migrate", "list", "--json");
        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var listed = list.Json().EnumerateArray().ToDictionary(m => m.GetProperty("version").GetInt64(), m => m.GetProperty("applied").GetBoolean());
        Assert.That(listed.Keys, Is.EqualTo(applied));
        Assert.That(listed.Where(m => !m.Value).Select(m => m.Key), Is.EqualTo(new[] { head }));
        var behind = await Run("migrate", "current", "--json");
        Assert.That(behind.ExitCode, Is.EqualTo(5), behind.ToString());
        Assert.That(behind.Json().GetProperty("missing").EnumerateArray().Single().GetInt64(), Is.EqualTo(head));

        var again = await Run("migrate", "up");
        Assert.That((again.ExitCode, again.Output.Trim()), Is.EqualTo((0, $"Applied {head}.")), again.ToString());

        // The script, written to a file, applied by hand to an empty database: the tool and the library accept it.
        var other = await CreateEmptyDatabaseAsync();
        var file = Path.Combine(Path.GetTempPath(), $"orderlib-cli-script-{Guid.NewGuid():N}.sql");
        try
        {
            var script = await RunOn(other, "migrate", "script", "--output", file);
            Assert.That(script.ExitCode, Is.EqualTo(0), script.ToString());
            var sql = await File.ReadAllTextAsync(file);
            Assert.That(sql, Does.Contain("orderlib_version_info").And.Contains(head.ToString(CultureInfo.InvariantCulture)));
            var toStdout = await RunOn(other, "migrate", "script");
            Assert.That(toStdout.Output, Is.EqualTo(sql));

            await ExecuteByHandAsync(other, sql);
            var scripted = await RunOn(other, "migrate", "current");
            Assert.That((scripted.ExitCode, scripted.Output.Trim()), Is.EqualTo((0, $"{head} (head)")), scripted.ToString());
            var job = await RunOn(other, "jobs", "create", "scripted", "--json");
            Assert.That(job.ExitCode, Is.EqualTo(0), job.ToString());
            Assert.That(await TablesAsync(other), Is.EqualTo(await TablesAsync(Connection)));

            var downScript = await RunOn(other, "migrate", "script", "--from", head.ToString(CultureInfo.InvariantCulture), "--to", applied[^2].ToString(CultureInfo.InvariantCulture));
            Assert.That(downScript.ExitCode, Is.EqualTo(0), downScript.ToString());
            Assert.That(downScript.Output, Does.Contain("DELETE FROM"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test, Order(2)]
    public async Task Jobs_dependencies_a_refused_cycle_triggered_runs_their_explanation_and_the_graph()
    {
        Assert.That((await Run("migrate", "up")).ExitCode, Is.EqualTo(0));
        foreach (var name in new[] { "extract", "transform", "load" })
        {
            var created = await Run("jobs", "create", name, "--priority", "2", "--max-attempts", "3", "--description", $"the {name} step");
            Assert.That(created.ExitCode, Is.EqualTo(0), created.ToString());
        }

        var show = await Run("jobs", "show", "transform", "--json");
        Assert.That(show.ExitCode, Is.EqualTo(0), show.ToString());
        var transformId = show.Json().GetProperty("id").GetInt64();
        Assert.That(show.Json().GetProperty("maxAttempts").GetInt32(), Is.EqualTo(3));
        var byId = await Run("jobs", "show", transformId.ToString(CultureInfo.InvariantCulture));
        Assert.That(byId.Output, Does.Contain("the transform step"));

        Assert.That((await Run("deps", "add", "transform", "extract")).ExitCode, Is.EqualTo(0));
        var second = await Run("deps", "add", "load", "transform");
        Assert.That((second.ExitCode, second.Output.Trim()), Is.EqualTo((0, "'load' now depends on 'transform'.")), second.ToString());
        var cycle = await Run("deps", "add", "extract", "load");
        Assert.That(cycle.ExitCode, Is.EqualTo(4), cycle.ToString());
        Assert.That(cycle.Error, Does.Contain("cycle").And.StartWith("orderlib: "));
        Assert.That(cycle.Error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
        var deps = await Run("deps", "list", "transform", "--json");
        Assert.That(deps.Json().GetProperty("upstream")[0].GetProperty("name").GetString(), Is.EqualTo("extract"));
        Assert.That(deps.Json().GetProperty("downstream")[0].GetProperty("name").GetString(), Is.EqualTo("load"));

        var trigger = await Run("runs", "trigger", "extract", "--input", "{\"day\":\"2026-12-06\"}", "--label", "backfill", "--json");
        Assert.That(trigger.ExitCode, Is.EqualTo(0), trigger.ToString());
        var runs = trigger.Json().GetProperty("runs").EnumerateArray().ToList();
        Assert.That(runs.Select(r => r.GetProperty("run").GetProperty("jobName").GetString()), Is.EquivalentTo(new[] { "extract", "transform", "load" }));
        var loadRun = runs.Single(r => r.GetProperty("run").GetProperty("jobName").GetString() == "load").GetProperty("run").GetProperty("id").GetInt64();

        var pipelineRun = trigger.Json().GetProperty("pipelineRunId").GetInt64().ToString(CultureInfo.InvariantCulture);
        var pipelines = await Run("pipelines", "list", "--label", "backfill", "--state", "Running", "--json");
        Assert.That(pipelines.ExitCode, Is.EqualTo(0), pipelines.ToString());
        Assert.That(pipelines.Json().GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture)), Is.EqualTo(new[] { pipelineRun }));
        var pipeline = await Run("pipelines", "show", pipelineRun, "--json");
        Assert.That(pipeline.ExitCode, Is.EqualTo(0), pipeline.ToString());
        Assert.That(pipeline.Json().GetProperty("input").GetProperty("day").GetString(), Is.EqualTo("2026-12-06"));
        Assert.That(pipeline.Json().GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("name").GetString()), Is.EqualTo(new[] { "extract", "transform", "load" }));
        var pipelineTable = await Run("pipelines", "list");
        Assert.That(pipelineTable.Output, Does.StartWith("PIPELINE RUN").And.Contains("backfill"));
        Assert.That((await Run("pipelines", "show", "999999")).ExitCode, Is.EqualTo(3));
        var badInput = await Run("runs", "trigger", "extract", "--input", "{not json");
        Assert.That(badInput.ExitCode, Is.EqualTo(2), badInput.ToString());

        var pending = await Run("runs", "list", "--status", "Pending", "--json");
        Assert.That(pending.ExitCode, Is.EqualTo(0), pending.ToString());
        Assert.That(pending.Json().GetProperty("items").GetArrayLength(), Is.EqualTo(3));
        var ofLoad = await Run("runs", "list", "--job", "load", "--since", "1h", "--filter", "jobNamePrefix=lo", "--json");
        Assert.That(ofLoad.ExitCode, Is.EqualTo(0), ofLoad.ToString());
        Assert.That(ofLoad.Json().GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()), Is.EqualTo(new[] { loadRun }));
        var table = await Run("runs", "list");
        Assert.That(table.Output, Does.StartWith("RUN").And.Contains("transform").And.Contains("Pending"));
        var badFilter = await Run("runs", "list", "--filter", "color=blue");
        Assert.That(badFilter.ExitCode, Is.EqualTo(2), badFilter.ToString());

        var explain = await Run("runs", "explain", loadRun.ToString(CultureInfo.InvariantCulture));
        Assert.That(explain.ExitCode, Is.EqualTo(0), explain.ToString());
        Assert.That(explain.Output, Does.Contain("waits for 'transform'"));
        var show2 = await Run("runs", "show", loadRun.ToString(CultureInfo.InvariantCulture), "--json");
        Assert.That(show2.Json().GetProperty("run").GetProperty("status").GetString(), Is.EqualTo("Pending"));

        var mermaid = await Run("graph", "--format", "mermaid");
        Assert.That(mermaid.ExitCode, Is.EqualTo(0), mermaid.ToString());
        Assert.That(mermaid.Output, Does.StartWith("flowchart LR").And.Contains("[\"extract\"]").And.Contains("-->"));
        var pipelineGraph = await Run("graph", "--pipeline", pipelineRun);
        Assert.That(pipelineGraph.ExitCode, Is.EqualTo(0), pipelineGraph.ToString());
        Assert.That(pipelineGraph.Output, Does.StartWith("flowchart LR").And.Contains("[\"load\"]"));
        var dot = await Run("graph", "--format", "dot", "--job", "load");
        Assert.That(dot.Output, Does.Contain("digraph"));

        var notFound = await Run("jobs", "show", "no-such-job");
        Assert.That((notFound.ExitCode, notFound.Error.Trim()), Is.EqualTo((3, "orderlib: Job 'no-such-job' was not found.")));
        Assert.That((await Run("runs", "explain", "999999")).ExitCode, Is.EqualTo(3));
        Assert.That((await Run("deps", "add", "load", "nope")).ExitCode, Is.EqualTo(3));

        var hasDependents = await Run("jobs", "delete", "transform");
        Assert.That(hasDependents.ExitCode, Is.EqualTo(4), hasDependents.ToString());
        var updated = await Run("jobs", "update", "load", "--priority", "9", "--schedule", "every 15m", "--json");
        Assert.That(updated.Json().GetProperty("priority").GetInt32(), Is.EqualTo(9));
        Assert.That(updated.Json().GetProperty("description").GetString(), Is.EqualTo("the load step"));
        Assert.That((await Run("jobs", "pause", "load", "--json")).Json().GetProperty("paused").GetBoolean(), Is.True);
        Assert.That((await Run("jobs", "resume", "load", "--json")).Json().GetProperty("paused").GetBoolean(), Is.False);
        var cancel = await Run("runs", "cancel", loadRun.ToString(CultureInfo.InvariantCulture), "--reason", "not today");
        Assert.That(cancel.ExitCode, Is.EqualTo(0), cancel.ToString());
        var cancelAgain = await Run("runs", "cancel", loadRun.ToString(CultureInfo.InvariantCulture));
        Assert.That(cancelAgain.ExitCode, Is.EqualTo(4), cancelAgain.ToString());

        var again = await Run("runs", "trigger", "load", "--json");
        var secondPipeline = again.Json().GetProperty("pipelineRunId").GetInt64().ToString(CultureInfo.InvariantCulture);
        var pipelineCancel = await Run("pipelines", "cancel", secondPipeline, "--json");
        Assert.That(pipelineCancel.ExitCode, Is.EqualTo(0), pipelineCancel.ToString());
        Assert.That(pipelineCancel.Json().GetProperty("cancelled").GetArrayLength(), Is.EqualTo(1));

        var stats = await Run("stats", "--json");
        Assert.That(stats.ExitCode, Is.EqualTo(0), stats.ToString());
        Assert.That(stats.Json().GetProperty("overall").GetProperty("cancelled").GetInt64(), Is.GreaterThanOrEqualTo(1));
        var prune = await Run("prune", "--older-than", "30d", "--keep", "1");
        Assert.That(prune.ExitCode, Is.EqualTo(0), prune.ToString());
        Assert.That(prune.Output, Does.StartWith("Deleted 0 run(s)"));

        var deleted = await Run("jobs", "delete", "transform", "--remove-dependencies", "--cancel-active-run");
        Assert.That(deleted.ExitCode, Is.EqualTo(0), deleted.ToString());
        var list = await Run("jobs", "list", "--json");
        Assert.That(list.Json().GetProperty("items").EnumerateArray().Select(j => j.GetProperty("name").GetString()), Is.EqualTo(new[] { "extract", "load" }));
    }

    [Test, Order(3)]
    public async Task Import_reads_a_python_order_lib_database_reports_what_it_did_and_a_second_import_changes_nothing()
    {
        var target = await CreateEmptyDatabaseAsync();
        Assert.That((await RunOn(target, "migrate", "up")).ExitCode, Is.EqualTo(0));
        var source = Path.Combine(Path.GetTempPath(), $"orderlib-cli-import-{Guid.NewGuid():N}.db");
        try
        {
            // The documented shape of the predecessor's tables, written with plain SQL.
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={source}"))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT);
                    CREATE TABLE job_dependencies (id INTEGER PRIMARY KEY, job_id INTEGER, depends_on_id INTEGER);
                    CREATE TABLE job_runs (id INTEGER PRIMARY KEY, job_id INTEGER, status TEXT, started_at TEXT, finished_at TEXT);
                    INSERT INTO jobs VALUES (1, 'extract', 'pulls'), (2, 'load', NULL);
                    INSERT INTO job_dependencies VALUES (1, 2, 1), (2, 1, 2);
                    INSERT INTO job_runs VALUES (1, 1, 'COMPLETED', '2025-01-01 03:00:00', '2025-01-01 03:01:00'), (2, 2, 'EXPLODED', NULL, NULL);
                    """;
                await command.ExecuteNonQueryAsync();
            }

            var url = "sqlite:///" + source;
            var dryRun = await RunOn(target, "import", "--from", url, "--dry-run", "--json");
            Assert.That(dryRun.ExitCode, Is.EqualTo(0), dryRun.ToString());
            Assert.That(dryRun.Json().GetProperty("jobsImported").GetInt32(), Is.EqualTo(2));
            Assert.That((await RunOn(target, "jobs", "list", "--json")).Json().GetProperty("items").GetArrayLength(), Is.Zero, "a dry run writes nothing");

            var imported = await RunOn(target, "import", "--from", url);
            Assert.That(imported.ExitCode, Is.EqualTo(0), imported.ToString());
            Assert.That(imported.Output, Does.Contain("extract").And.Contain("Cycle").And.Contain("UnknownStatus"));
            var jobs = await RunOn(target, "jobs", "list", "--json");
            Assert.That(jobs.Json().GetProperty("items").EnumerateArray().Select(j => j.GetProperty("name").GetString()), Is.EqualTo(new[] { "extract", "load" }));

            var second = await RunOn(target, "import", "--from", url, "--json");
            Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
            Assert.That(
                (second.Json().GetProperty("jobsImported").GetInt32(), second.Json().GetProperty("runsImported").GetInt32()),
                Is.EqualTo((0, 0)),
                "a second import of the same source changes nothing");

            var missing = await RunOn(target, "import", "--from", "sqlite:///" + source + ".missing");
            Assert.That(missing.ExitCode, Is.EqualTo(5), missing.ToString());
            var notAUrl = await RunOn(target, "import", "--from", "ftp://nowhere");
            Assert.That(notAUrl.ExitCode, Is.EqualTo(2), notAUrl.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(source);
        }
    }
}
