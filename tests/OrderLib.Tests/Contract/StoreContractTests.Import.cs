using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

// IImportStore.ImportAsync: a client's jobs, dependencies and finished runs in one transaction, idempotent by name.
public abstract partial class StoreContractTests
{
    private static ImportBatch Imported(params string[] present) => new(
        [
            new ImportedJob(new JobDefinition("extract") { Priority = 7, MaxAttempts = 3, Description = "pull" }, At(-100), At(-50)),
            new ImportedJob(new JobDefinition("load") { Schedule = "every 15m" }, At(-90)),
            new ImportedJob(new JobDefinition("report")),
        ],
        [new GraphDependency("load", "extract"), new GraphDependency("report", "load")],
        [
            new ImportedRun("extract", RunStatus.Succeeded, At(-40), At(-40), At(-39), null),
            new ImportedRun("extract", RunStatus.Failed, At(-30), At(-30), At(-29), "boom"),
            new ImportedRun("load", RunStatus.Succeeded, At(-20), At(-20), At(-19), null),
            new ImportedRun("report", RunStatus.Cancelled, At(-10), null, At(-10), "gone"),
        ]);

    [Test]
    public async Task Import_CreatesJobsEdgesAndTerminalRunsWithTheirTimes_TheLastRunBeingLatest()
    {
        var result = await Imports.ImportAsync(Client, Imported(), At(0), None);

        Assert.That(result.JobsCreated.Select(j => j.Name), Is.EqualTo(new[] { "extract", "load", "report" }));
        Assert.That(result.JobsAlreadyPresent, Is.Empty);
        Assert.That((result.DependenciesAdded, result.RunsAdded), Is.EqualTo((2, 4)));
        var extract = (await Jobs.GetJobByNameAsync(Client, "extract", None))!;
        var load = (await Jobs.GetJobByNameAsync(Client, "load", None))!;
        var report = (await Jobs.GetJobByNameAsync(Client, "report", None))!;
        var extractRuns = await Runs.ListRunsAsync(Client, extract.Id, null, 10, None);
        var latest = (await Runs.ListLatestRunsAsync(Client, null, 10, None)).ToDictionary(l => l.Job.Name, l => l.LatestRun);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((extract.Priority, extract.MaxAttempts, extract.Description), Is.EqualTo((7, 3, "pull")));
            Assert.That((extract.CreatedAt, extract.UpdatedAt), Is.EqualTo((At(-100), At(-50))));
            Assert.That((load.CreatedAt, load.UpdatedAt, load.Schedule), Is.EqualTo((At(-90), At(-90), "every 15m")));
            Assert.That(load.NextDueAt, Is.EqualTo(At(0).AddMinutes(15)));
            Assert.That(report.CreatedAt, Is.EqualTo(At(0)));
            Assert.That((await Deps.ListUpstreamAsync(Client, load.Id, None)).Select(j => j.Name), Is.EqualTo(new[] { "extract" }));
            Assert.That((await Deps.ListUpstreamAsync(Client, report.Id, None)).Select(j => j.Name), Is.EqualTo(new[] { "load" }));
            Assert.That(extractRuns.Select(r => (r.Status, r.Attempt, r.EnqueuedAt, r.StartedAt, r.FinishedAt, r.Error)), Is.EqualTo(new[]
            {
                (RunStatus.Failed, 1, At(-30), (DateTimeOffset?)At(-30), (DateTimeOffset?)At(-29), (string?)"boom"),
                (RunStatus.Succeeded, 1, At(-40), At(-40), At(-39), null),
            }));
            Assert.That(latest["extract"]!.Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(latest["load"]!.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That((latest["report"]!.Status, latest["report"]!.StartedAt, latest["report"]!.Error), Is.EqualTo((RunStatus.Cancelled, (DateTimeOffset?)null, "gone")));
        }
    }

    [Test]
    public async Task Import_KeepsReadinessRight_AnImportedFailureHoldsDependentsUntilASuccess()
    {
        await Imports.ImportAsync(Client, Imported(), At(0), None);
        var extract = (await Jobs.GetJobByNameAsync(Client, "extract", None))!;
        var load = (await Jobs.GetJobByNameAsync(Client, "load", None))!;
        var report = (await Jobs.GetJobByNameAsync(Client, "report", None))!;

        // load's latest imported run Succeeded, so report's new run is ready.
        var reportRun = (await Runs.EnqueueRunAsync(Client, report.Id, null, At(1), None)).Run;
        Assert.That((await Runs.ListReadyRunsAsync(Client, At(2), 10, None)).Select(r => r.Id), Is.EqualTo(new[] { reportRun.Id }));

        // extract's latest imported run Failed, so load's new run waits (and report's waits for load again).
        var loadRun = (await Runs.EnqueueRunAsync(Client, load.Id, null, At(3), None)).Run;
        Assert.That(await Runs.ListReadyRunsAsync(Client, At(4), 10, None), Is.Empty);

        var extractRun = (await Runs.EnqueueRunAsync(Client, extract.Id, null, At(5), None)).Run;
        Assert.That(extractRun.Attempt, Is.EqualTo(1));
        await Runs.StartRunAsync(Client, extractRun.Id, new WorkerId("w"), At(6), At(60), None);
        await Runs.FinishRunAsync(Client, extractRun.Id, RunStatus.Succeeded, null, null, At(7), NoDelay, None);
        Assert.That((await Runs.ListReadyRunsAsync(Client, At(8), 10, None)).Select(r => r.Id), Is.EqualTo(new[] { loadRun.Id }));
    }

    [Test]
    public async Task Import_OfNamesTheClientHas_LeavesThoseJobsTheirEdgesAndRunsAlone_AndAgainChangesNothing()
    {
        var existing = await CreateJobAsync("load", priority: 1);
        var first = await Imports.ImportAsync(Client, Imported(), At(0), None);
        var second = await Imports.ImportAsync(Client, Imported(), At(1), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.JobsCreated.Select(j => j.Name), Is.EqualTo(new[] { "extract", "report" }));
            Assert.That(first.JobsAlreadyPresent, Is.EqualTo(new[] { "load" }));
            Assert.That((first.DependenciesAdded, first.RunsAdded), Is.EqualTo((0, 3)));
            Assert.That(second.JobsCreated, Is.Empty);
            Assert.That(second.JobsAlreadyPresent, Is.EqualTo(new[] { "extract", "load", "report" }));
            Assert.That((second.DependenciesAdded, second.RunsAdded), Is.EqualTo((0, 0)));
            Assert.That(await Jobs.GetJobAsync(Client, existing.Id, None), Is.EqualTo(existing));
            Assert.That(await Runs.ListRunsAsync(Client, existing.Id, null, 10, None), Is.Empty);
            Assert.That(await Deps.ListUpstreamAsync(Client, existing.Id, None), Is.Empty);
            Assert.That(await Deps.ListDownstreamAsync(Client, existing.Id, None), Is.Empty);
            var extract = (await Jobs.GetJobByNameAsync(Client, "extract", None))!;
            Assert.That(await Runs.ListRunsAsync(Client, extract.Id, null, 10, None), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task Import_ForOneClient_NeverTouchesAnother()
    {
        var theirs = await CreateJobAsync("extract", client: OtherClient);
        await Imports.ImportAsync(Client, Imported(), At(0), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Jobs.ListJobsAsync(OtherClient, null, 10, None)).Select(j => j.Name), Is.EqualTo(new[] { "extract" }));
            Assert.That(await Runs.ListRunsAsync(OtherClient, theirs.Id, null, 10, None), Is.Empty);
            Assert.That((await Jobs.ListJobsAsync(Client, null, 10, None)).Select(j => j.Name), Is.EquivalentTo(new[] { "extract", "load", "report" }));
        }
    }

    [Test]
    public void ImportBatch_RefusesACycle_AnEdgeToAJobOutsideIt_AndAnActiveRun()
    {
        var a = new ImportedJob(new JobDefinition("a"));
        var b = new ImportedJob(new JobDefinition("b"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => new ImportBatch([a, b], [new GraphDependency("a", "b"), new GraphDependency("b", "a")], []), Throws.ArgumentException.With.Message.Contains("cycle"));
            Assert.That(() => new ImportBatch([a], [new GraphDependency("a", "c")], []), Throws.ArgumentException);
            Assert.That(() => new ImportedRun("a", RunStatus.Pending, At(0), null, At(0), null), Throws.ArgumentException);
        }
    }
}
