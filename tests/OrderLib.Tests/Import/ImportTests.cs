using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderLib.Import;
using OrderLib.Ports;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Import;

/// <summary>
/// Importing a Python Order-lib database, both shapes, from SQLite and PostgreSQL sources into every store. Each test builds
/// its own source (plain SQL) and runs with fresh client names (the source's <c>client_id</c>s and the default client carry a
/// unique suffix), so tests sharing a target database cannot see each other.
/// </summary>
[TestFixture(SourceKind.Sqlite, StoreKind.InMemory)]
[TestFixture(SourceKind.Sqlite, StoreKind.Sqlite)]
[TestFixture(SourceKind.Sqlite, StoreKind.Postgres)]
[TestFixture(SourceKind.Postgres, StoreKind.InMemory)]
[TestFixture(SourceKind.Postgres, StoreKind.Sqlite)]
[TestFixture(SourceKind.Postgres, StoreKind.Postgres)]
public sealed class ImportTests(SourceKind sourceKind, StoreKind targetKind)
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly OrderLibSourceDatabase.PostgresHost _sourceHost = new();
    private readonly FixtureStore _target = new(targetKind);
    private OrderLibSourceDatabase? _source;
    private ServiceProvider? _services;
    private string _suffix = "";

    private OrderLibSourceDatabase Source => _source ?? throw new InvalidOperationException("No source.");

    private ClientId DefaultClient => new("d-" + _suffix);

    private string Acme => "acme-" + _suffix;

    private string Globex => "globex-" + _suffix;

    private OrderLibImporter Importer => _services!.GetRequiredService<OrderLibImporter>();

    private IJobStore Jobs => _services!.GetRequiredService<IJobStore>();

    private IRunStore Runs => _services!.GetRequiredService<IRunStore>();

    private IDependencyStore Deps => _services!.GetRequiredService<IDependencyStore>();

    [OneTimeSetUp]
    public Task CreateTarget() => _target.CreateAsync("import-target");

    [OneTimeTearDown]
    public async Task DropTarget()
    {
        await _target.DropAsync();
        await _sourceHost.DropAsync();
    }

    [SetUp]
    public async Task CreateSourceAndServices()
    {
        _suffix = Guid.NewGuid().ToString("N")[..12];
        _source = sourceKind == SourceKind.Sqlite
            ? OrderLibSourceDatabase.Sqlite()
            : await OrderLibSourceDatabase.PostgresAsync(await _sourceHost.ConnectionStringAsync());
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        var builder = services.AddOrderLib(o =>
        {
            _target.Use(o);
            o.Configure(options => options.DefaultClientId = DefaultClient.Value);
        });
        builder.AddImport();
        _services = services.BuildServiceProvider();
    }

    [TearDown]
    public async Task DisposeSourceAndServices()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_source is not null)
        {
            await _source.DisposeAsync();
        }
    }

    [Test]
    public async Task DocumentedShape_ImportsJobsDependenciesAndRuns_ReportingCyclesDanglingIdsAndUnknownStatuses()
    {
        await Source.CreateDocumentedShapeAsync();

        var report = await Importer.ImportFromOrderLibAsync(Source.Url);

        var client = report.Clients.Single();
        Assert.That(client.Client, Is.EqualTo(DefaultClient));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.OptionalColumns, Is.Empty);
            Assert.That(client.JobsImported, Is.EqualTo(new[] { "extract", "transform", "load", "a", "b" }));
            Assert.That(client.JobsSkipped.Select(s => s.Reason), Is.EqualTo(new[] { ImportSkipReason.Invalid }));
            Assert.That(client.DependenciesImported, Is.EqualTo(new[] { "'transform' -> 'extract'", "'load' -> 'transform'", "'a' -> 'b'" }));
            Assert.That(client.DependenciesSkipped.Select(s => s.Reason), Is.EqualTo(new[]
            {
                ImportSkipReason.Cycle, ImportSkipReason.DanglingId, ImportSkipReason.Cycle, ImportSkipReason.Duplicate, ImportSkipReason.JobSkipped,
            }));
            Assert.That(client.DependenciesSkipped[0].Detail, Does.Contain("'b' -> 'a' -> 'b'"));
            Assert.That(client.DependenciesSkipped[1].Detail, Does.Contain("99"));
            Assert.That(client.RunsImported, Is.EqualTo(7));
            Assert.That(client.RunsSkipped.Select(s => (s.Item, s.Reason)), Is.EqualTo(new[]
            {
                ("run 6 of 'load'", ImportSkipReason.UnknownStatus), ("run 9 of job '   '", ImportSkipReason.JobSkipped),
            }));
            Assert.That(report.Unassigned.Select(s => (s.Item, s.Reason)), Is.EqualTo(new[] { ("run 8 of job id 99", ImportSkipReason.DanglingId) }));
            Assert.That(report.ToString(), Does.Contain("run 6 of 'load': UnknownStatus").And.Contain("5 imported, 1 skipped"));
        }

        var jobs = await JobsByNameAsync(DefaultClient);
        var latest = await LatestStatusesAsync(DefaultClient);
        var extractRuns = await Runs.ListRunsAsync(DefaultClient, jobs["extract"].Id, null, 10, None);
        var loadRun = (await Runs.ListRunsAsync(DefaultClient, jobs["load"].Id, null, 10, None)).Single();
        var aRun = (await Runs.ListRunsAsync(DefaultClient, jobs["a"].Id, null, 10, None)).Single();
        var bRun = (await Runs.ListRunsAsync(DefaultClient, jobs["b"].Id, null, 10, None)).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((jobs["extract"].Description, jobs["extract"].MaxAttempts, jobs["extract"].Priority, jobs["extract"].Schedule), Is.EqualTo(("Pull data", 1, 0, (string?)null)));
            Assert.That(jobs["extract"].CreatedAt, Is.EqualTo(Now));
            Assert.That((await Deps.ListUpstreamAsync(DefaultClient, jobs["load"].Id, None)).Select(j => j.Name), Is.EqualTo(new[] { "transform" }));
            Assert.That((await Deps.ListUpstreamAsync(DefaultClient, jobs["b"].Id, None)), Is.Empty);
            Assert.That(extractRuns.Select(r => (r.Status, r.StartedAt, r.FinishedAt)), Is.EqualTo(new[]
            {
                (RunStatus.Succeeded, (DateTimeOffset?)Utc(2024, 1, 2, 10, 0, 0).AddMilliseconds(250), (DateTimeOffset?)Utc(2024, 1, 2, 10, 0, 0).AddMilliseconds(250)),
                (RunStatus.Succeeded, Utc(2024, 1, 1, 10, 0, 0), Utc(2024, 1, 1, 10, 5, 0)),
            }));
            Assert.That(extractRuns[1].EnqueuedAt, Is.EqualTo(Utc(2024, 1, 1, 10, 0, 0)));
            Assert.That((loadRun.Status, loadRun.StartedAt, loadRun.FinishedAt), Is.EqualTo((RunStatus.Cancelled, (DateTimeOffset?)Utc(2024, 1, 2, 12, 0, 0), (DateTimeOffset?)Now)));
            Assert.That(loadRun.Error, Does.Contain("RUNNING").And.Contain("Python workers"));
            Assert.That((aRun.Status, aRun.StartedAt, aRun.FinishedAt, aRun.EnqueuedAt), Is.EqualTo((RunStatus.Cancelled, (DateTimeOffset?)null, (DateTimeOffset?)Now, Now)));
            Assert.That((bRun.Status, bRun.FinishedAt), Is.EqualTo((RunStatus.Succeeded, (DateTimeOffset?)Now)));
            Assert.That(latest, Is.EqualTo(new Dictionary<string, RunStatus?>
            {
                ["extract"] = RunStatus.Succeeded, ["transform"] = RunStatus.Failed, ["load"] = RunStatus.Cancelled, ["a"] = RunStatus.Cancelled, ["b"] = RunStatus.Succeeded,
            }));
            Assert.That(client.Notes, Has.Some.Contains("RUNNING").And.Some.Contains("no finished_at").And.Some.Contains("neither started_at nor finished_at"));
        }

        // The imported graph works: triggering the failed job creates its run and its downstream job's.
        var triggered = await _services!.GetRequiredService<IOrderLib>().Runs.TriggerAsync(jobs["transform"].Id);
        Assert.That(triggered.Created.Select(r => r.JobId), Is.EqualTo(new[] { jobs["transform"].Id, jobs["load"].Id }));
    }

    [Test]
    public async Task LaterShape_ImportsClientsRetriesPrioritiesSchedulesAndTimes_DroppingAnInvalidSchedule()
    {
        await Source.CreateLaterShapeAsync(Acme, Globex);

        var report = await Importer.ImportFromOrderLibAsync(Source.Url);

        var acme = report.Clients.Single(c => c.Client.Value == Acme);
        var globex = report.Clients.Single(c => c.Client.Value == Globex);
        var orphan = report.Clients.Single(c => c.Client == DefaultClient);
        var acmeJobs = await JobsByNameAsync(new ClientId(Acme));
        var globexJobs = await JobsByNameAsync(new ClientId(Globex));
        var defaultJobs = await JobsByNameAsync(DefaultClient);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Clients, Has.Count.EqualTo(3));
            Assert.That(report.OptionalColumns, Does.Contain("jobs.client_id").And.Contain("jobs.retries").And.Contain("jobs.schedule"));
            Assert.That(acme.JobsImported, Is.EqualTo(new[] { "ingest", "report", "publish" }));
            Assert.That(acme.DependenciesImported, Is.EqualTo(new[] { "'report' -> 'ingest'", "'publish' -> 'report'" }));
            Assert.That(acme.DependenciesSkipped.Select(s => s.Reason), Is.EqualTo(new[] { ImportSkipReason.Cycle }));
            Assert.That(acme.DependenciesSkipped[0].Detail, Does.Contain("'ingest' -> 'publish' -> 'report' -> 'ingest'"));
            Assert.That(globex.DependenciesSkipped.Select(s => s.Reason), Is.EqualTo(new[] { ImportSkipReason.CrossClient }));
            Assert.That(acme.RunsImported, Is.EqualTo(2));
            Assert.That(acme.RunsSkipped.Single().Reason, Is.EqualTo(ImportSkipReason.UnknownStatus));
            Assert.That(acme.Notes, Has.Some.Contains("every banana"));
            Assert.That((globex.JobsImported.Single(), globex.RunsImported), Is.EqualTo(("ingest", 1)));
            Assert.That((orphan.JobsImported.Single(), orphan.RunsImported), Is.EqualTo(("orphan", 1)));

            var ingest = acmeJobs["ingest"];
            Assert.That((ingest.MaxAttempts, ingest.Priority, ingest.Schedule, ingest.Description), Is.EqualTo((3, 9, "0 3 * * *", "Ingest feeds")));
            Assert.That((ingest.CreatedAt, ingest.UpdatedAt), Is.EqualTo((Utc(2024, 3, 1, 8, 0, 0), Utc(2024, 3, 2, 8, 0, 0))));
            Assert.That(ingest.NextDueAt, Is.EqualTo(Utc(2026, 5, 2, 3, 0, 0)));
            Assert.That((acmeJobs["report"].Schedule, acmeJobs["report"].MaxAttempts, acmeJobs["report"].Priority), Is.EqualTo(((string?)null, 1, 5)));
            Assert.That((acmeJobs["publish"].Schedule, acmeJobs["publish"].MaxAttempts, acmeJobs["publish"].Priority), Is.EqualTo(("every 15m", 1, 0)));
            Assert.That((globexJobs["ingest"].MaxAttempts, globexJobs["ingest"].Priority), Is.EqualTo((6, 1)));
            Assert.That(defaultJobs["orphan"].MaxAttempts, Is.EqualTo(2));
            Assert.That((await LatestStatusesAsync(new ClientId(Acme)))["ingest"], Is.EqualTo(RunStatus.Failed));
            Assert.That((await LatestStatusesAsync(new ClientId(Globex)))["ingest"], Is.EqualTo(RunStatus.Succeeded));
            Assert.That((await LatestStatusesAsync(DefaultClient))["orphan"], Is.EqualTo(RunStatus.Cancelled));
            var runs = await Runs.ListRunsAsync(new ClientId(Acme), ingest.Id, null, 10, None);
            Assert.That(runs.Select(r => (r.Status, r.StartedAt, r.FinishedAt)), Is.EqualTo(new[]
            {
                (RunStatus.Failed, (DateTimeOffset?)Utc(2024, 3, 2, 3, 0, 0), (DateTimeOffset?)Utc(2024, 3, 2, 3, 5, 0)),
                (RunStatus.Succeeded, Utc(2024, 3, 1, 3, 0, 0), Utc(2024, 3, 1, 3, 10, 0)),
            }));
        }

        // A job whose last imported run Failed can be triggered; its downstream jobs come along.
        var triggered = await _services!.GetRequiredService<IOrderLib>().ForClient(new ClientId(Acme)).Runs.TriggerAsync(acmeJobs["ingest"].Id);
        Assert.That(triggered.Created.Select(r => r.JobId), Is.EqualTo(new[] { acmeJobs["ingest"].Id, acmeJobs["report"].Id, acmeJobs["publish"].Id }));
    }

    [Test]
    public async Task ClientOption_PutsEveryJobInThatClient_AndReportsTheNamesThatThenCollide()
    {
        await Source.CreateLaterShapeAsync(Acme, Globex);
        var merged = "merged-" + _suffix;

        var report = await Importer.ImportFromOrderLibAsync(Source.Url, new ImportOptions { Client = merged });

        var client = report.Clients.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(client.Client.Value, Is.EqualTo(merged));
            Assert.That(client.JobsImported, Is.EqualTo(new[] { "ingest", "report", "publish", "orphan" }));
            Assert.That(client.JobsSkipped.Single().Reason, Is.EqualTo(ImportSkipReason.Duplicate));
            Assert.That((await JobsByNameAsync(new ClientId(merged))).Keys, Is.EquivalentTo(new[] { "ingest", "report", "publish", "orphan" }));
            Assert.That(await Jobs.ListJobsAsync(new ClientId(Acme), null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task DryRun_ReportsTheSame_AndWritesNothing()
    {
        await Source.CreateLaterShapeAsync(Acme, Globex);

        var dry = await Importer.ImportFromOrderLibAsync(Source.Url, new ImportOptions { DryRun = true });
        foreach (var client in new[] { new ClientId(Acme), new ClientId(Globex), DefaultClient })
        {
            Assert.That(await Jobs.ListJobsAsync(client, null, 10, None), Is.Empty);
        }

        var real = await Importer.ImportFromOrderLibAsync(Source.Url);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(dry.DryRun, Is.True);
            Assert.That(dry.ToString(), Does.StartWith("Dry run (nothing written)"));
            Assert.That(Body(dry), Is.EqualTo(Body(real)));
            Assert.That(real.JobsImported, Is.EqualTo(5));
        }

        // After the import, a dry run says everything is present.
        var again = await Importer.ImportFromOrderLibAsync(Source.Url, new ImportOptions { DryRun = true });
        Assert.That(again.JobsImported, Is.Zero);
    }

    [Test]
    public async Task SecondImport_ChangesNothing_AndReportsEverythingAlreadyPresent()
    {
        await Source.CreateDocumentedShapeAsync();
        await Importer.ImportFromOrderLibAsync(Source.Url);
        var before = await SnapshotAsync(DefaultClient);

        var second = await Importer.ImportFromOrderLibAsync(Source.Url);

        var client = second.Clients.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((second.JobsImported, second.DependenciesImported, second.RunsImported), Is.EqualTo((0, 0, 0)));
            Assert.That(client.JobsSkipped.Count(s => s.Reason == ImportSkipReason.AlreadyPresent), Is.EqualTo(5));
            Assert.That(client.DependenciesSkipped.Count(s => s.Reason == ImportSkipReason.AlreadyPresent), Is.EqualTo(3));
            Assert.That(client.RunsSkipped.Where(s => s.Reason == ImportSkipReason.AlreadyPresent).Select(s => s.Item).ToArray(), Has.Length.EqualTo(7));
            Assert.That(await SnapshotAsync(DefaultClient), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task ImportIntoOneClient_NeverTouchesAnother()
    {
        await Source.CreateDocumentedShapeAsync();
        var a = new ClientId("a-" + _suffix);
        var b = new ClientId("b-" + _suffix);
        var theirs = await Jobs.CreateJobAsync(b, new JobDefinition("extract") { Priority = 3 }, Now, None);
        var before = await SnapshotAsync(b);

        var report = await Importer.ImportFromOrderLibAsync(Source.Url, new ImportOptions { Client = a.Value });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Clients.Single().JobsImported, Has.Count.EqualTo(5));
            Assert.That(await SnapshotAsync(b), Is.EqualTo(before));
            Assert.That(await Jobs.GetJobAsync(b, theirs.Id, None), Is.EqualTo(theirs));
            Assert.That((await JobsByNameAsync(a)).Keys, Is.EquivalentTo(new[] { "extract", "transform", "load", "a", "b" }));
        }
    }

    [Test]
    public async Task AWriteRefusedMidway_LeavesTheTargetUntouched()
    {
        if (targetKind == StoreKind.InMemory)
        {
            Assert.Ignore("The in-memory store decides everything before it changes anything; a database can refuse a statement midway.");
        }

        await Source.CreateLaterShapeAsync(Acme, Globex);
        // The database refuses the acme runs, written after acme's jobs and dependencies in the same transaction; acme is the
        // first client imported, so nothing at all may be written.
        await TargetExecuteAsync(targetKind == StoreKind.Sqlite
            ? $"CREATE TRIGGER import_test_refuse BEFORE INSERT ON job_runs WHEN NEW.client_id = '{Acme}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
            : $"""
               CREATE FUNCTION import_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
               CREATE TRIGGER import_test_refuse BEFORE INSERT ON job_runs FOR EACH ROW WHEN (NEW.client_id = '{Acme}') EXECUTE FUNCTION import_test_refuse();
               """);
        try
        {
            Assert.That(() => Importer.ImportFromOrderLibAsync(Source.Url), Throws.Exception.With.Message.Contains("refused by the test"));
        }
        finally
        {
            await TargetExecuteAsync(targetKind == StoreKind.Sqlite
                ? "DROP TRIGGER import_test_refuse;"
                : "DROP TRIGGER import_test_refuse ON job_runs; DROP FUNCTION import_test_refuse();");
        }

        foreach (var client in new[] { new ClientId(Acme), new ClientId(Globex), DefaultClient })
        {
            Assert.That(await Jobs.ListJobsAsync(client, null, 10, None), Is.Empty);
        }

        // Once the database accepts the runs, the same import goes through whole.
        var report = await Importer.ImportFromOrderLibAsync(Source.Url);
        Assert.That(report.JobsImported, Is.EqualTo(5));
    }

    // ---------------------------------------------------------------- helpers

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second) => new(year, month, day, hour, minute, second, TimeSpan.Zero);

    // The report without its first two lines (which say whether it was a dry run).
    private static string Body(ImportReport report) => string.Join('\n', report.ToString().Split('\n').Skip(2));

    private async Task<Dictionary<string, Job>> JobsByNameAsync(ClientId client) =>
        (await Jobs.ListJobsAsync(client, null, 100, None)).ToDictionary(j => j.Name, StringComparer.Ordinal);

    private async Task<Dictionary<string, RunStatus?>> LatestStatusesAsync(ClientId client) =>
        (await Runs.ListLatestRunsAsync(client, null, 100, None)).ToDictionary(l => l.Job.Name, l => l.LatestRun?.Status, StringComparer.Ordinal);

    // Every job of the client with its upstream jobs and runs, as text, to compare before and after.
    private async Task<string> SnapshotAsync(ClientId client)
    {
        var lines = new List<string>();
        foreach (var job in await Jobs.ListJobsAsync(client, null, 100, None))
        {
            var upstream = await Deps.ListUpstreamAsync(client, job.Id, None);
            var runs = await Runs.ListRunsAsync(client, job.Id, null, 100, None);
            lines.Add($"{job} up=[{string.Join(",", upstream.Select(u => u.Name))}] runs=[{string.Join(";", runs)}]");
        }

        return string.Join('\n', lines);
    }

    private async Task TargetExecuteAsync(string sql)
    {
        await using var connection = _target.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
