using System.Diagnostics;
using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task DefineGraph_CreatesTheJobsAndDependencies_ListedInTheDefinitionsOrder()
    {
        var graph = new GraphDefinition(
            [
                new JobDefinition("load") { Priority = 2 },
                new JobDefinition(" extract ") { Description = "pull", MaxAttempts = 3, Schedule = "*/5 * * * *" },
                new JobDefinition("transform"),
            ],
            [new GraphDependency("transform", "extract"), new GraphDependency("load", " transform "), new GraphDependency("load", "extract")]);

        var result = await DefineAsync(graph, at: 1);

        var byName = result.Jobs.ToDictionary(j => j.Job.Name, j => j.Job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Jobs.Select(j => (j.Job.Name, j.Change)), Is.EqualTo(new[] { ("load", JobChange.Created), ("extract", JobChange.Created), ("transform", JobChange.Created) }));
            Assert.That(result.DependenciesAdded, Is.EqualTo(3));
            Assert.That(result.Jobs.Select(j => j.Job.Id.Value), Is.Ordered.Ascending, "ids are given in the definition's order");
            Assert.That(byName["extract"], Is.EqualTo(Job.Create(byName["extract"].Id, Client, graph.Jobs[1], At(1)) with { NextDueAt = At(300) }));
            Assert.That(byName["load"], Is.EqualTo(Job.Create(byName["load"].Id, Client, graph.Jobs[0], At(1))));
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(result.Jobs.Select(j => j.Job)), "the stored jobs are those returned");
            Assert.That(await UpstreamIdsAsync(byName["load"]), Is.EquivalentTo(new[] { byName["extract"].Id, byName["transform"].Id }));
            Assert.That(await UpstreamIdsAsync(byName["transform"]), Is.EqualTo(new[] { byName["extract"].Id }));
            Assert.That(await DownstreamIdsAsync(byName["load"]), Is.Empty);
        }
    }

    [Test]
    public async Task DefineGraph_UpdatesTheClientsJobsByName_AsUpdateJobDoes()
    {
        var hourly = await Jobs.CreateJobAsync(Client, new JobDefinition("hourly") { Description = "old", Schedule = "0 * * * *" }, At(1), None);
        var moved = await Jobs.CreateJobAsync(Client, new JobDefinition("moved") { Schedule = "0 * * * *" }, At(1), None);
        var same = await Jobs.CreateJobAsync(Client, new JobDefinition("same") { Priority = 4 }, At(1), None);

        var result = await DefineAsync(
            new GraphDefinition(
                [
                    new JobDefinition("hourly") { Description = "new", Priority = 3, MaxAttempts = 2, Schedule = "0 * * * *" },
                    new JobDefinition("moved") { Schedule = "*/5 * * * *" },
                    new JobDefinition("same") { Priority = 4 },
                ],
                []),
            at: 9);

        var expectedHourly = hourly with { Description = "new", Priority = 3, MaxAttempts = 2, UpdatedAt = At(9) };
        var expectedMoved = moved with { Schedule = "*/5 * * * *", UpdatedAt = At(9), NextDueAt = At(300) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(hourly.NextDueAt, Is.EqualTo(At(3600)));
            Assert.That(result.Jobs, Is.EqualTo(new[]
            {
                new DefinedJob(expectedHourly, JobChange.Updated),
                new DefinedJob(expectedMoved, JobChange.Updated),
                new DefinedJob(same, JobChange.Unchanged),
            }), "an unchanged schedule keeps its due time, a changed one is due at its next occurrence after now; a matching job is left as it was");
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { expectedHourly, expectedMoved, same }));
        }
    }

    [Test]
    public async Task DefineGraph_ANewPriority_IsCopiedToTheJobsActiveRun()
    {
        var low = await CreateJobAsync("low", priority: 1);
        var high = await CreateJobAsync("high", priority: 5);
        var lowRun = await EnqueueAsync(low);
        await EnqueueAsync(high);

        var result = await DefineAsync(new GraphDefinition([new JobDefinition("low") { Priority = 9 }], []), at: 2);

        Assert.That(result.Jobs.Single().Change, Is.EqualTo(JobChange.Updated));
        await ClaimOnlyFirstAsync(lowRun, at: 3);
    }

    [Test]
    public async Task DefineGraph_TheSameGraphTwice_ChangesNothingTheSecondTime()
    {
        var graph = LayeredGraph("g", layers: 4, width: 5);
        var first = await DefineAsync(graph, at: 1);
        var before = await GraphSnapshotAsync(Client);

        var second = await DefineAsync(graph, at: 50);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.DependenciesAdded, Is.EqualTo(graph.Dependencies.Count));
            Assert.That(second.DependenciesAdded, Is.Zero);
            Assert.That(second.Jobs.Select(j => j.Change), Is.All.EqualTo(JobChange.Unchanged));
            Assert.That(second.Jobs.Select(j => j.Job), Is.EqualTo(first.Jobs.Select(j => j.Job)));
            Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before), "jobs (update times included) and dependencies as they were");
        }
    }

    [Test]
    public async Task DefineGraph_DependenciesMayNameExistingJobs_AndKeepsTheDependenciesItDoesNotMention()
    {
        var extract = await CreateJobAsync("extract");
        var clean = await CreateJobAsync("clean");
        var old = await CreateJobAsync("old");
        await DependAsync(clean, extract);
        await DependAsync(old, extract);

        var result = await DefineAsync(
            new GraphDefinition(
                [new JobDefinition("report")],
                [new GraphDependency("report", "clean"), new GraphDependency("clean", "extract"), new GraphDependency("old", "clean")]),
            at: 4);

        var report = result.Jobs.Single().Job;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.DependenciesAdded, Is.EqualTo(2), "clean -> extract existed already");
            Assert.That(await UpstreamIdsAsync(report), Is.EqualTo(new[] { clean.Id }));
            Assert.That(await UpstreamIdsAsync(old), Is.EqualTo(new[] { extract.Id, clean.Id }), "old -> extract kept, old -> clean added (between two existing jobs)");
            Assert.That(await UpstreamIdsAsync(clean), Is.EqualTo(new[] { extract.Id }));
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { extract, clean, old, report }), "jobs only named by dependencies are not touched");
        }
    }

    [Test]
    public async Task DefineGraph_ANewDependencyOfAPendingRun_MakesItWaitForEachUpstreamJobThatHasNotSucceeded()
    {
        var load = await CreateJobAsync("load");
        var done = await CreateJobAsync("done");
        var busy = await CreateJobAsync("busy");
        var report = await CreateJobAsync("report");
        await RunInStatusAsync(done, RunStatus.Succeeded);
        var busyRun = await RunInStatusAsync(busy, RunStatus.Running);
        var loadRun = await EnqueueAsync(load);
        var reportRun = await EnqueueAsync(report);
        Assert.That(await ReadyRunIdsAsync(1), Is.EquivalentTo(new[] { loadRun.Id, reportRun.Id }));

        var result = await DefineAsync(
            new GraphDefinition(
                [new JobDefinition("extract")],
                [new GraphDependency("load", "extract"), new GraphDependency("load", "done"), new GraphDependency("load", "busy"), new GraphDependency("report", "done")]),
            at: 2);
        var extract = result.Jobs.Single().Job;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ReadyRunIdsAsync(3), Is.EqualTo(new[] { reportRun.Id }), "report waits only for a success; load waits for extract (never ran) and busy (Running)");
            var ex = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(loadRun, at: 3));
            Assert.That(ex!.Unsatisfied.Select(u => u.JobName), Is.EquivalentTo(new[] { "extract", "busy" }));
        }

        await RunToEndAsync(extract, RunStatus.Succeeded, at: 4);
        Assert.That(await ReadyRunIdsAsync(5), Is.EqualTo(new[] { reportRun.Id }), "still waiting for busy");
        await FinishAsync(busyRun, RunStatus.Succeeded, at: 6);
        Assert.That(await ReadyRunIdsAsync(7), Is.EquivalentTo(new[] { loadRun.Id, reportRun.Id }), "ready once both succeeded: it waited for exactly two");
    }

    [Test]
    public async Task DefineGraph_ADuplicateNameInTheBatch_IsRefusedBeforeAnythingIsWritten()
    {
        var before = await GraphSnapshotAsync(Client);

        var ex = Assert.Throws<DuplicateJobInGraphException>(() =>
            _ = new GraphDefinition([new JobDefinition("a"), new JobDefinition("b"), new JobDefinition(" a")], []));

        Assert.That(ex!.Name, Is.EqualTo("a"));
        Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before));
    }

    [Test]
    public async Task DefineGraph_ASelfDependencyOrADuplicateDependency_IsRefusedBeforeAnythingIsWritten()
    {
        var self = Assert.Throws<SelfDependencyInGraphException>(() =>
            _ = new GraphDefinition([new JobDefinition("a")], [new GraphDependency("a", " a ")]));
        var twice = Assert.Throws<DuplicateDependencyInGraphException>(() =>
            _ = new GraphDefinition([new JobDefinition("a"), new JobDefinition("b")], [new GraphDependency("a", "b"), new GraphDependency("a ", "b")]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((self!.JobName, self.DependsOnName), Is.EqualTo(("a", "a")));
            Assert.That((twice!.JobName, twice.DependsOnName), Is.EqualTo(("a", "b")));
            Assert.That(await AllJobsAsync(Client), Is.Empty);
        }
    }

    [Test]
    public async Task DefineGraph_AnUnknownUpstreamJob_RefusesTheWholeBatchAndWritesNothing()
    {
        var extract = await CreateJobAsync("extract");
        await CreateJobAsync("elsewhere", client: OtherClient);
        var before = await GraphSnapshotAsync(Client);

        var missing = await RefusedAsync<UnknownJobInGraphException>(new GraphDefinition(
            [new JobDefinition("extract") { Priority = 5 }, new JobDefinition("load")],
            [new GraphDependency("load", "extract"), new GraphDependency("load", "missing"), new GraphDependency("load", "also-missing")]));
        var otherClients = await RefusedAsync<UnknownJobInGraphException>(new GraphDefinition(
            [new JobDefinition("load")],
            [new GraphDependency("load", "elsewhere")]));
        var unknownDependent = await RefusedAsync<UnknownJobInGraphException>(new GraphDefinition(
            [new JobDefinition("load")],
            [new GraphDependency("ghost", "extract")]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((missing.JobName, missing.DependsOnName, missing.UnknownName), Is.EqualTo(("load", "missing", "missing")), "the first problem");
            Assert.That(otherClients.UnknownName, Is.EqualTo("elsewhere"), "another client's job is unknown here");
            Assert.That(unknownDependent.UnknownName, Is.EqualTo("ghost"));
            Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before), "not even the update of extract");
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.EqualTo(extract));
        }
    }

    [Test]
    public async Task DefineGraph_ACycleWithinTheBatch_IsRefusedWithItsPathAndWritesNothing()
    {
        await CreateJobAsync("bystander");
        var before = await GraphSnapshotAsync(Client);

        var ex = await RefusedAsync<GraphCycleException>(new GraphDefinition(
            [new JobDefinition("a"), new JobDefinition("b"), new JobDefinition("c"), new JobDefinition("d")],
            [new GraphDependency("d", "a"), new GraphDependency("a", "b"), new GraphDependency("b", "c"), new GraphDependency("c", "a")]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((ex.JobName, ex.DependsOnName), Is.EqualTo(("a", "b")), "the first dependency (in the batch's order) on the cycle");
            Assert.That(ex.Cycle, Is.EqualTo(new[] { "a", "b", "c", "a" }));
            Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task DefineGraph_ACycleThroughExistingDependencies_IsRefusedWithItsPathAndWritesNothing()
    {
        // chain-0 depends on chain-1, ..., chain-9 on nothing.
        var chain = await CreateJobsAsync("chain", 10);
        for (var i = 0; i < chain.Count - 1; i++)
        {
            await DependAsync(chain[i], chain[i + 1]);
        }

        var before = await GraphSnapshotAsync(Client);

        var ex = await RefusedAsync<GraphCycleException>(new GraphDefinition(
            [new JobDefinition("new")],
            [new GraphDependency("new", "chain-000"), new GraphDependency("chain-009", "new")]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((ex.JobName, ex.DependsOnName), Is.EqualTo(("new", "chain-000")));
            Assert.That(ex.Cycle, Is.EqualTo((string[])["new", .. chain.Select(j => j.Name), "new"]));
            Assert.That(ex.Message, Does.Contain("'new' -> 'chain-000' -> 'chain-001'"));
            Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before));
        }
    }

    [Test]
    public async Task DefineGraph_UnderAnotherClient_UsesTheSameNamesWithoutTouchingTheFirstClientsJobs()
    {
        var graph = new GraphDefinition([new JobDefinition("extract"), new JobDefinition("load")], [new GraphDependency("load", "extract")]);
        await DefineAsync(graph, at: 1);
        var before = await GraphSnapshotAsync(Client);

        var theirs = await Deps.DefineGraphAsync(OtherClient, new GraphDefinition([new JobDefinition("extract") { Priority = 7 }, new JobDefinition("load")], [new GraphDependency("load", "extract")]), At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(theirs.Jobs.Select(j => j.Change), Is.All.EqualTo(JobChange.Created));
            Assert.That(theirs.DependenciesAdded, Is.EqualTo(1));
            Assert.That(theirs.Jobs.Select(j => j.Job.ClientId), Is.All.EqualTo(OtherClient));
            Assert.That(await GraphSnapshotAsync(Client), Is.EqualTo(before));
            Assert.That(await Deps.ListUpstreamAsync(OtherClient, theirs.Jobs[1].Job.Id, None), Is.EqualTo(new[] { theirs.Jobs[0].Job }), "their load depends on their extract");
            Assert.ThrowsAsync<JobNotFoundException>(() => UpstreamIdsAsync(theirs.Jobs[1].Job), "asked as this client, the other client's job does not exist");
        }
    }

    [Test]
    public async Task DefineGraph_TwoThousandJobs_InOneCall()
    {
        var graph = LayeredGraph("big", layers: 20, width: 100);
        var clock = Stopwatch.StartNew();

        var result = await DefineAsync(graph, at: 1);

        var elapsed = clock.Elapsed;
        var byName = result.Jobs.ToDictionary(j => j.Job.Name, j => j.Job.Id);
        var sample = graph.Dependencies.Where((_, i) => i % 97 == 0).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Jobs, Has.Count.EqualTo(2000));
            Assert.That(result.DependenciesAdded, Is.EqualTo(graph.Dependencies.Count));
            Assert.That((await Jobs.ListJobsAsync(Client, null, 5000, None)).Count, Is.EqualTo(2000));
            foreach (var dependency in sample)
            {
                Assert.That(await Deps.ListUpstreamAsync(Client, byName[dependency.JobName], None), Has.Some.Property(nameof(Job.Name)).EqualTo(dependency.DependsOnName));
            }

            // One call per job and dependency takes tens of seconds here; set-based, well under a few.
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "set-based, not one statement per row");
        }
    }

    [Test]
    public async Task Concurrency_DefineGraphAndAddDependencyClosingACycleFromBothSides_ExactlyOneWins()
    {
        for (var round = 0; round < 10; round++)
        {
            var x = await CreateJobAsync($"x-{round}");
            var y = await CreateJobAsync($"y-{round}");

            var outcomes = await RaceAsync(2, i => i == 0
                ? Deps.DefineGraphAsync(Client, new GraphDefinition([], [new GraphDependency(x.Name, y.Name)]), At(1), None)
                : DependAsync(y, x));

            Assert.That(outcomes.Count(o => o is null), Is.EqualTo(1), $"round {round}: {Describe(outcomes)}");
            Assert.That(outcomes.Count(o => o is GraphCycleException or DependencyCycleException), Is.EqualTo(1), $"round {round}: {Describe(outcomes)}");
            var edges = (await UpstreamIdsAsync(x)).Length + (await UpstreamIdsAsync(y)).Length;
            Assert.That(edges, Is.EqualTo(1), $"round {round}: exactly one edge is stored");
        }
    }

    [Test]
    public async Task Concurrency_TwoGraphsClosingACycleFromBothSides_ExactlyOneWins()
    {
        for (var round = 0; round < 10; round++)
        {
            var x = await CreateJobAsync($"x-{round}");
            var y = await CreateJobAsync($"y-{round}");

            // Each batch also updates its dependent job, so both write jobs as well as the edge.
            var outcomes = await RaceAsync(2, i => Deps.DefineGraphAsync(
                Client,
                i == 0
                    ? new GraphDefinition([new JobDefinition(x.Name) { Priority = 1 }], [new GraphDependency(x.Name, y.Name)])
                    : new GraphDefinition([new JobDefinition(y.Name) { Priority = 2 }], [new GraphDependency(y.Name, x.Name)]),
                At(1),
                None));

            Assert.That(outcomes.Count(o => o is null), Is.EqualTo(1), $"round {round}: {Describe(outcomes)}");
            var cycle = outcomes.OfType<GraphCycleException>().Single();
            Assert.That(cycle.Cycle, Has.Count.EqualTo(3), $"round {round}: {cycle.Message}");
            var edges = (await UpstreamIdsAsync(x)).Length + (await UpstreamIdsAsync(y)).Length;
            Assert.That(edges, Is.EqualTo(1), $"round {round}: exactly one edge is stored");
            var priorities = (await AllJobsAsync(Client)).Where(j => j.Id == x.Id || j.Id == y.Id).Sum(j => j.Priority);
            Assert.That(priorities, Is.EqualTo(outcomes[0] is null ? 1 : 2), $"round {round}: only the winner's job update is stored");
        }
    }

    // ---------------------------------------------------------------- helpers

    private async Task<GraphDefinitionResult> DefineAsync(GraphDefinition graph, int at)
    {
        var result = await Deps.DefineGraphAsync(Client, graph, At(at), None);
        _testJobs.UnionWith(result.Jobs.Select(j => j.Job.Id));
        return result;
    }

    private async Task<TException> RefusedAsync<TException>(GraphDefinition graph)
        where TException : GraphRefusedException =>
        Assert.ThrowsAsync<TException>(() => Deps.DefineGraphAsync(Client, graph, At(3), None))!;

    /// <summary>Claims one run and checks it is <paramref name="expected"/> (claim order: priority first).</summary>
    private async Task ClaimOnlyFirstAsync(JobRun expected, int at)
    {
        var claimed = await ClaimAsync(at, limit: 1);
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { expected.Id }), "the run of the job with the higher priority now is claimed first");
    }

    /// <summary><paramref name="layers"/> layers of <paramref name="width"/> jobs; each job below the first depends on two of the layer above.</summary>
    private static GraphDefinition LayeredGraph(string prefix, int layers, int width)
    {
        string Name(int layer, int i) => $"{prefix}-{layer:D2}-{i:D3}";
        var jobs = Enumerable.Range(0, layers).SelectMany(layer => Enumerable.Range(0, width).Select(i => new JobDefinition(Name(layer, i))));
        var dependencies = Enumerable.Range(1, layers - 1).SelectMany(layer => Enumerable.Range(0, width).SelectMany(i => new[]
        {
            new GraphDependency(Name(layer, i), Name(layer - 1, i)),
            new GraphDependency(Name(layer, i), Name(layer - 1, (i + 1) % width)),
        }));
        return new GraphDefinition(jobs, dependencies);
    }

    /// <summary>Every job of the client with its upstream job ids, as text.</summary>
    private async Task<string> GraphSnapshotAsync(ClientId client)
    {
        var lines = new List<string>();
        foreach (var job in await Jobs.ListJobsAsync(client, null, 5000, None))
        {
            lines.Add($"{job} <- {string.Join(",", (await Deps.ListUpstreamAsync(client, job.Id, None)).Select(u => u.Id))}");
        }

        return string.Join("\n", lines);
    }
}
