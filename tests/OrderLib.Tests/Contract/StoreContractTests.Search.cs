using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

/// <summary>
/// History searches (<see cref="IHistoryStore.SearchRunsAsync"/>, <see cref="IHistoryStore.CountRunsAsync"/>,
/// <see cref="IHistoryStore.SearchJobsAsync"/>, <see cref="IHistoryStore.CountJobsAsync"/>) over one small history built
/// through the ports (see <see cref="BuildSearchWorldAsync"/>), every expectation written out by hand from it.
/// </summary>
public abstract partial class StoreContractTests
{
    // Newest enqueued first, ties (a1 and b1 at 10) by run id: the default order of a run search.
    private const string AllRunsNewestFirst = "l2 a2 b2 r1 l1 b1 a1";

    private static readonly RunFilter AnyRun = new();

    public static IEnumerable<TestCaseData> Orderings()
    {
        yield return new TestCaseData(RunTimestamp.Enqueued, SortDirection.NewestFirst, AllRunsNewestFirst);
        yield return new TestCaseData(RunTimestamp.Enqueued, SortDirection.OldestFirst, "a1 b1 l1 r1 b2 a2 l2");
        yield return new TestCaseData(RunTimestamp.Started, SortDirection.NewestFirst, "a2 b2 r1 b1 a1");
        yield return new TestCaseData(RunTimestamp.Started, SortDirection.OldestFirst, "a1 b1 r1 b2 a2");
        yield return new TestCaseData(RunTimestamp.Finished, SortDirection.NewestFirst, "b2 r1 b1 a1 l1");
        yield return new TestCaseData(RunTimestamp.Finished, SortDirection.OldestFirst, "l1 a1 b1 r1 b2");
    }

    [TestCaseSource(nameof(Orderings))]
    public async Task SearchRuns_InEachOrderingAndDirection_ListsTheRunsHavingThatTimestamp_TiesByRunId(RunTimestamp orderBy, SortDirection direction, string expected)
    {
        var world = await BuildSearchWorldAsync();

        var found = await History.SearchRunsAsync(Client, AnyRun, orderBy, direction, null, 100, None);

        Assert.That(found.Select(r => world.Label(r.Run.Id)), Is.EqualTo(Labels(expected)));
    }

    [TestCaseSource(nameof(Orderings))]
    public async Task SearchRuns_PagedTwoAtATime_GivesTheSameOrderWithoutSkipsOrRepeats(RunTimestamp orderBy, SortDirection direction, string expected)
    {
        var world = await BuildSearchWorldAsync();

        var pages = await ReadAllPagesAsync(AnyRun, orderBy, direction, pageSize: 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages.SelectMany(p => p).Select(world.Label), Is.EqualTo(Labels(expected)));
            Assert.That(pages.Take(pages.Count - 1).Select(p => p.Length), Is.All.EqualTo(2), "every page but the last is full");
        }
    }

    [Test]
    public async Task SearchRuns_ReturnsEachRunAsStoredWithItsJobsName()
    {
        var world = await BuildSearchWorldAsync();

        var found = await History.SearchRunsAsync(Client, AnyRun, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 100, None);

        var expected = Labels(AllRunsNewestFirst).Select(label => new RunWithJobName(world.Runs[label], world.JobOf(label).Name));
        Assert.That(found, Is.EqualTo(expected));
    }

    [Test]
    public async Task SearchRuns_ErrorContains_TakesWildcardsAndEscapesLiterally()
    {
        string[] errors = ["50% done", "50 percent done", "a_b", "axb", @"c:\temp", "c:temp"];
        var runIds = new Dictionary<string, RunId>();
        for (var i = 0; i < errors.Length; i++)
        {
            var job = await CreateJobAsync("literal-" + i);
            var run = (await Runs.EnqueueRunAsync(Client, job.Id, null, At(i), None)).Run;
            await Runs.StartRunAsync(Client, run.Id, new WorkerId("w"), At(i), At(i + 60), None);
            await Runs.FinishRunAsync(Client, run.Id, RunStatus.Failed, errors[i], null, At(i + 1), NoDelay, None);
            runIds[errors[i]] = run.Id;
        }

        using (Assert.EnterMultipleScope())
        {
            foreach (var (needle, expected) in new[] { ("0%", "50% done"), ("a_b", "a_b"), ("_", "a_b"), (@":\", @"c:\temp"), ("%", "50% done") })
            {
                var found = await History.SearchRunsAsync(Client, new RunFilter { ErrorContains = needle }, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 10, None);
                Assert.That(found.Select(f => f.Run.Id), Is.EqualTo(new[] { runIds[expected] }), $"'{needle}' is looked for as it is");
            }
        }
    }

    [Test]
    public async Task SearchRuns_EachFilterAlone_MatchesExactlyItsRuns()
    {
        var world = await BuildSearchWorldAsync();
        var cases = new (string Name, RunFilter Filter, string Expected)[]
        {
            ("statuses empty", new() { Statuses = new HashSet<RunStatus>() }, AllRunsNewestFirst),
            ("statuses Failed", new() { Statuses = Set(RunStatus.Failed) }, "b2 b1"),
            ("statuses Cancelled", new() { Statuses = Set(RunStatus.Cancelled) }, "l1"),
            ("statuses Failed, Cancelled", new() { Statuses = Set(RunStatus.Failed, RunStatus.Cancelled) }, "b2 l1 b1"),
            ("statuses Succeeded, Running", new() { Statuses = Set(RunStatus.Succeeded, RunStatus.Running) }, "a2 r1 a1"),
            ("statuses Pending", new() { Statuses = Set(RunStatus.Pending) }, "l2"),
            ("statuses Pending, Failed", new() { Statuses = Set(RunStatus.Pending, RunStatus.Failed) }, "l2 b2 b1"),
            ("job ids", new() { JobIds = [world.Jobs["extract-b"].Id, world.Jobs["load"].Id] }, "l2 b2 l1 b1"),
            ("job ids, one without runs", new() { JobIds = [world.Jobs["idle"].Id, world.Jobs["Report"].Id] }, "r1"),
            ("job ids empty", new() { JobIds = [] }, AllRunsNewestFirst),
            ("job name", new() { JobName = "extract-a" }, "a2 a1"),
            ("job name is exact", new() { JobName = "extract" }, ""),
            ("job name is ordinal", new() { JobName = "report" }, ""),
            ("job name prefix", new() { JobNamePrefix = "extract-" }, "a2 b2 b1 a1"),
            ("job name prefix, whole name", new() { JobNamePrefix = "Report" }, "r1"),
            ("job name prefix is ordinal", new() { JobNamePrefix = "rep" }, ""),
            ("job name prefix longer than the names", new() { JobNamePrefix = "extract-a-" }, ""),
            ("worker w1", new() { WorkerId = "w1" }, "a2 b2 a1"),
            ("worker w2", new() { WorkerId = "w2" }, "r1 b1"),
            ("worker is exact", new() { WorkerId = "w" }, ""),
            ("min attempt 2", RunFilter.Retries, "b2"),
            ("max attempt 1", RunFilter.FirstAttempts, "l2 a2 r1 l1 b1 a1"),
            ("attempt 2 to 2", new() { MinAttempt = 2, MaxAttempt = 2 }, "b2"),
            ("enqueued from 12", new() { EnqueuedFrom = At(12) }, "l2 a2 b2 r1 l1"),
            ("enqueued to 12", new() { EnqueuedTo = At(12) }, "b1 a1"),
            ("enqueued 12 to 20", new() { EnqueuedFrom = At(12), EnqueuedTo = At(20) }, "r1 l1"),
            ("enqueued 20 to 20", new() { EnqueuedFrom = At(20), EnqueuedTo = At(20) }, ""),
            ("started from 21", new() { StartedFrom = At(21) }, "a2 b2"),
            ("started to 17", new() { StartedTo = At(17) }, "b1 a1"),
            ("started 12 to 21", new() { StartedFrom = At(12), StartedTo = At(21) }, "r1 b1"),
            ("finished from 20", new() { FinishedFrom = At(20) }, "b2 r1 b1"),
            ("finished to 15", new() { FinishedTo = At(15) }, "l1"),
            ("finished 15 to 30", new() { FinishedFrom = At(15), FinishedTo = At(30) }, "r1 b1 a1"),
            ("min duration 4 s", new() { MinDuration = TimeSpan.FromSeconds(4) }, "b2 b1 a1"),
            ("min duration 4 s and 1 µs", new() { MinDuration = TimeSpan.FromSeconds(4) + TimeSpan.FromMicroseconds(1) }, "b2 b1"),
            ("min duration 4 s and 100 ns", new() { MinDuration = TimeSpan.FromSeconds(4) + TimeSpan.FromTicks(1) }, "b2 b1"),
            ("min duration 0", new() { MinDuration = TimeSpan.Zero }, "b2 r1 b1 a1"),
            ("max duration 4 s", new() { MaxDuration = TimeSpan.FromSeconds(4) }, "r1 a1"),
            ("max duration 4 s less 100 ns", new() { MaxDuration = TimeSpan.FromSeconds(4) - TimeSpan.FromTicks(1) }, "r1"),
            ("duration 4 s to 8 s", new() { MinDuration = TimeSpan.FromSeconds(4), MaxDuration = TimeSpan.FromSeconds(8) }, "b1 a1"),
            ("error contains, other ASCII case", new() { ErrorContains = "disk full" }, "b2 b1"),
            ("error contains, upper case", new() { ErrorContains = "OPERATOR" }, "l1"),
            ("error contains, all of it", new() { ErrorContains = "Stopped by OPERATOR" }, "l1"),
            ("error contains, non-ASCII letters exactly", new() { ErrorContains = "ÜNïCODE" }, "b2"),
            ("error contains, non-ASCII letters not folded", new() { ErrorContains = "ünïcode" }, ""),
            ("error contains, non-ASCII upper case not folded", new() { ErrorContains = "ÜNÏCODE" }, ""),
            ("error contains, nowhere", new() { ErrorContains = "timeout" }, ""),
        };

        await AssertRunSearchesAsync(world, cases);
    }

    [Test]
    public async Task SearchRuns_CombinedFilters_MatchTheRunsMeetingAllOfThem()
    {
        var world = await BuildSearchWorldAsync();
        var cases = new (string Name, RunFilter Filter, string Expected)[]
        {
            ("failed by w1", new() { Statuses = Set(RunStatus.Failed), WorkerId = "w1" }, "b2"),
            ("failed, first attempts", new() { Statuses = Set(RunStatus.Failed), MaxAttempt = 1 }, "b1"),
            ("prefix, succeeded or running", new() { JobNamePrefix = "extract-", Statuses = Set(RunStatus.Succeeded, RunStatus.Running) }, "a2 a1"),
            ("error text, finished from 25", new() { ErrorContains = "disk", FinishedFrom = At(25) }, "b2"),
            ("error text, succeeded", new() { ErrorContains = "disk", Statuses = Set(RunStatus.Succeeded) }, ""),
            ("error text, cancelled", new() { ErrorContains = "o", Statuses = Set(RunStatus.Cancelled) }, "l1"),
            ("job ids and name", new() { JobIds = [world.Jobs["extract-a"].Id, world.Jobs["load"].Id], JobName = "load" }, "l2 l1"),
            ("job ids, enqueued range", new() { JobIds = [world.Jobs["extract-a"].Id, world.Jobs["extract-b"].Id], EnqueuedFrom = At(10), EnqueuedTo = At(21) }, "b2 b1 a1"),
            ("worker, started range, duration", new() { WorkerId = "w1", StartedFrom = At(11), StartedTo = At(26), MinDuration = TimeSpan.FromSeconds(5) }, "b2"),
            ("prefix, retries, error text", new() { JobNamePrefix = "extract", MinAttempt = 2, ErrorContains = "ÜNïCODE" }, "b2"),
            ("name and other job's id", new() { JobIds = [world.Jobs["load"].Id], JobName = "extract-a" }, ""),
        };

        await AssertRunSearchesAsync(world, cases);
    }

    [Test]
    public async Task SearchRuns_CombinedFilters_InOtherOrderings()
    {
        var world = await BuildSearchWorldAsync();
        var twoJobs = new RunFilter { JobIds = [world.Jobs["extract-a"].Id, world.Jobs["extract-b"].Id], EnqueuedFrom = At(10), EnqueuedTo = At(21) };
        var unsuccessful = new RunFilter { Statuses = Set(RunStatus.Failed, RunStatus.Cancelled) };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await SearchLabelsAsync(world, twoJobs, RunTimestamp.Finished, SortDirection.OldestFirst), Is.EqualTo(Labels("a1 b1 b2")));
            Assert.That(await SearchLabelsAsync(world, twoJobs, RunTimestamp.Started, SortDirection.NewestFirst), Is.EqualTo(Labels("b2 b1 a1")));
            Assert.That(await SearchLabelsAsync(world, unsuccessful, RunTimestamp.Finished, SortDirection.NewestFirst), Is.EqualTo(Labels("b2 b1 l1")));
            Assert.That(await SearchLabelsAsync(world, unsuccessful, RunTimestamp.Started, SortDirection.OldestFirst), Is.EqualTo(Labels("b1 b2")));
            Assert.That(await SearchLabelsAsync(world, new() { ErrorContains = "disk" }, RunTimestamp.Finished, SortDirection.OldestFirst), Is.EqualTo(Labels("b1 b2")));
        }
    }

    [Test]
    public async Task SearchRuns_AfterAPosition_StartsStrictlyAfterIt()
    {
        var world = await BuildSearchWorldAsync();
        var b1 = world.Runs["b1"];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await SearchLabelsAsync(world, AnyRun, RunTimestamp.Enqueued, SortDirection.NewestFirst, new RunPosition(At(10), b1.Id)), Is.EqualTo(Labels("a1")));
            Assert.That(await SearchLabelsAsync(world, AnyRun, RunTimestamp.Enqueued, SortDirection.OldestFirst, new RunPosition(At(10), b1.Id)), Is.EqualTo(Labels("l1 r1 b2 a2 l2")));
            Assert.That(await SearchLabelsAsync(world, AnyRun, RunTimestamp.Finished, SortDirection.NewestFirst, new RunPosition(At(20), b1.Id)), Is.EqualTo(Labels("a1 l1")));
            Assert.That(await SearchLabelsAsync(world, AnyRun, RunTimestamp.Finished, SortDirection.OldestFirst, new RunPosition(At(20), b1.Id)), Is.EqualTo(Labels("r1 b2")));
            Assert.That(await SearchLabelsAsync(world, AnyRun, RunTimestamp.Started, SortDirection.NewestFirst, new RunPosition(At(100), new RunId(1))), Is.EqualTo(Labels("a2 b2 r1 b1 a1")), "a position between runs");
            Assert.That(await SearchLabelsAsync(world, new() { WorkerId = "w2" }, RunTimestamp.Started, SortDirection.OldestFirst, new RunPosition(At(12), b1.Id)), Is.EqualTo(Labels("r1")));
        }
    }

    [Test]
    public async Task SearchRuns_LimitCutsTheOrderedList()
    {
        var world = await BuildSearchWorldAsync();

        var found = await History.SearchRunsAsync(Client, AnyRun, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 3, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(found.Select(r => world.Label(r.Run.Id)), Is.EqualTo(Labels("l2 a2 b2")));
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => History.SearchRunsAsync(Client, AnyRun, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 0, None));
            Assert.ThrowsAsync<ArgumentNullException>(() => History.SearchRunsAsync(Client, null!, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 1, None));
        }
    }

    [TestCase(SortDirection.NewestFirst)]
    [TestCase(SortDirection.OldestFirst)]
    public async Task SearchRuns_PagingWhileRunsAreAdded_NeitherSkipsNorRepeatsTheRunsThatExisted(SortDirection direction)
    {
        // Nine runs enqueued in threes at 100, 101 and 102 (ties broken by run id).
        var jobs = await CreateJobsAsync("paged", 9);
        var existing = new List<RunId>();
        for (var i = 0; i < jobs.Count; i++)
        {
            existing.Add((await EnqueueAsync(jobs[i], at: 100 + (i / 3))).Id);
        }

        var expected = direction == SortDirection.NewestFirst ? Enumerable.Reverse(existing).ToArray() : existing.ToArray();
        var seen = new List<RunId>();
        RunPosition? after = null;
        var added = 0;
        for (var pageNumber = 1; ; pageNumber++)
        {
            var page = await History.SearchRunsAsync(Client, AnyRun, RunTimestamp.Enqueued, direction, after, 2, None);
            seen.AddRange(page.Select(r => r.Run.Id));
            if (page.Count < 2)
            {
                break;
            }

            after = new RunPosition(page[^1].Run.EnqueuedAt, page[^1].Run.Id);
            if (pageNumber > 3)
            {
                continue; // (added runs may come after the position: adding forever would never end)
            }

            // Between pages: runs at the page's last timestamp (after it by id), before every run and after every run.
            foreach (var at in new[] { (int)(page[^1].Run.EnqueuedAt - T0).TotalSeconds, 50, 200 })
            {
                var job = await CreateJobAsync($"added-{added++}");
                await EnqueueAsync(job, at);
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen.Where(existing.Contains), Is.EqualTo(expected), "every run that existed, once, in order");
            Assert.That(seen, Is.Unique, "no run twice");
            Assert.That(added, Is.EqualTo(9), "runs were added after each of the first three pages");
        }
    }

    [Test]
    public async Task CountRuns_CountsTheMatchingRunsHavingTheTimestamp()
    {
        var world = await BuildSearchWorldAsync();
        var cases = new (string Name, RunFilter Filter, RunTimestamp OrderBy, long Expected)[]
        {
            ("all, enqueued", AnyRun, RunTimestamp.Enqueued, 7),
            ("all, started", AnyRun, RunTimestamp.Started, 5),
            ("all, finished", AnyRun, RunTimestamp.Finished, 5),
            ("failed", new() { Statuses = Set(RunStatus.Failed) }, RunTimestamp.Enqueued, 2),
            ("failed or cancelled, started", new() { Statuses = Set(RunStatus.Failed, RunStatus.Cancelled) }, RunTimestamp.Started, 2),
            ("error text", new() { ErrorContains = "DISK" }, RunTimestamp.Finished, 2),
            ("job name", new() { JobName = "extract-b" }, RunTimestamp.Enqueued, 2),
            ("job name prefix, pending", new() { JobNamePrefix = "lo", Statuses = Set(RunStatus.Pending) }, RunTimestamp.Enqueued, 1),
            ("job ids", new() { JobIds = [world.Jobs["extract-a"].Id, world.TheirExtract.Id] }, RunTimestamp.Enqueued, 2),
            ("duration", new() { MinDuration = TimeSpan.FromSeconds(4) }, RunTimestamp.Enqueued, 3),
            ("nothing", new() { WorkerId = "nobody" }, RunTimestamp.Enqueued, 0),
        };

        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, filter, orderBy, expected) in cases)
            {
                Assert.That(await History.CountRunsAsync(Client, filter, orderBy, None), Is.EqualTo(expected), name);
            }
        }
    }

    [Test]
    public async Task SearchRuns_NeverReachAnotherClientsRuns_EvenByTheirJobIdsOrNames()
    {
        var world = await BuildSearchWorldAsync();
        var theirJobs = new[] { world.TheirExtract.Id, world.TheirOnly.Id };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await History.SearchRunsAsync(Client, new() { JobIds = theirJobs }, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 100, None), Is.Empty, "their job ids");
            Assert.That(await History.SearchRunsAsync(Client, new() { JobName = "theirs-only" }, RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 100, None), Is.Empty, "their job name");
            Assert.That(await History.SearchRunsAsync(Client, new() { JobNamePrefix = "theirs" }, RunTimestamp.Finished, SortDirection.OldestFirst, null, 100, None), Is.Empty, "their job name prefix");
            Assert.That(await SearchLabelsAsync(world, new() { JobName = "extract-a" }, RunTimestamp.Enqueued, SortDirection.NewestFirst), Is.EqualTo(Labels("a2 a1")), "a name both clients have");
            Assert.That(await History.CountRunsAsync(Client, new() { JobIds = theirJobs }, RunTimestamp.Enqueued, None), Is.Zero);
            Assert.That(await History.CountRunsAsync(Client, new() { JobName = "theirs-only" }, RunTimestamp.Enqueued, None), Is.Zero);

            var theirs = await History.SearchRunsAsync(OtherClient, AnyRun, RunTimestamp.Enqueued, SortDirection.OldestFirst, null, 100, None);
            Assert.That(theirs.Select(r => r.Run.Id), Is.EqualTo(world.TheirRuns), "the other client sees only its own");
            Assert.That(await History.SearchRunsAsync(OtherClient, new() { JobIds = [world.Jobs["extract-a"].Id] }, RunTimestamp.Enqueued, SortDirection.OldestFirst, null, 100, None), Is.Empty);
            Assert.That(await History.CountRunsAsync(OtherClient, AnyRun, RunTimestamp.Enqueued, None), Is.EqualTo(world.TheirRuns.Length));
        }
    }

    // ---------------------------------------------------------------- job search

    [Test]
    public async Task SearchJobs_EachFilterAlone_MatchesExactlyItsJobs()
    {
        var world = await BuildSearchWorldAsync();
        var cases = new (string Name, JobFilter Filter, string Expected)[]
        {
            ("none", new(), "extract-a extract-b load Report idle"),
            ("name", new() { NameEquals = "load" }, "load"),
            ("name is ordinal", new() { NameEquals = "report" }, ""),
            ("name prefix", new() { NamePrefix = "extract-" }, "extract-a extract-b"),
            ("name prefix is ordinal", new() { NamePrefix = "rep" }, ""),
            ("name contains, ignoring ASCII case", new() { NameContains = "EPOR" }, "Report"),
            ("name contains", new() { NameContains = "xtract" }, "extract-a extract-b"),
            ("name contains the end", new() { NameContains = "-A" }, "extract-a"),
            ("has schedule", new() { HasSchedule = true }, "extract-a Report"),
            ("has no schedule", new() { HasSchedule = false }, "extract-b load idle"),
            ("next due in [600, 601)", new() { NextDueFrom = At(600), NextDueTo = At(601) }, "extract-a"),
            ("next due from 601", new() { NextDueFrom = At(601) }, "Report"),
            ("next due before 600", new() { NextDueTo = At(600) }, ""),
            ("next due before 3601", new() { NextDueTo = At(3601) }, "extract-a Report"),
            ("latest running", new() { LatestStatuses = Set(RunStatus.Running) }, "extract-a"),
            ("latest pending", new() { LatestStatuses = Set(RunStatus.Pending) }, "load"),
            ("latest failed or succeeded", new() { LatestStatuses = Set(RunStatus.Failed, RunStatus.Succeeded) }, "extract-b Report"),
            ("latest cancelled", new() { LatestStatuses = Set(RunStatus.Cancelled) }, ""),
            ("latest statuses empty", new() { LatestStatuses = new HashSet<RunStatus>() }, "extract-a extract-b load Report idle"),
            ("has runs", new() { HasRuns = true }, "extract-a extract-b load Report"),
            ("has no runs", new() { HasRuns = false }, "idle"),
            ("has dependencies", new() { HasDependencies = true }, "load Report"),
            ("has no dependencies", new() { HasDependencies = false }, "extract-a extract-b idle"),
            ("has dependents", new() { HasDependents = true }, "extract-a extract-b load"),
            ("has no dependents", new() { HasDependents = false }, "Report idle"),
            ("min priority 0", new() { MinPriority = 0 }, "extract-a extract-b load Report"),
            ("max priority 0", new() { MaxPriority = 0 }, "extract-b load idle"),
            ("priority 1 to 5", new() { MinPriority = 1, MaxPriority = 5 }, "extract-a"),
        };

        await AssertJobSearchesAsync(world, cases);
    }

    [Test]
    public async Task SearchJobs_CombinedFilters_MatchTheJobsMeetingAllOfThem()
    {
        var world = await BuildSearchWorldAsync();
        var cases = new (string Name, JobFilter Filter, string Expected)[]
        {
            ("scheduled, latest succeeded", new() { HasSchedule = true, LatestStatuses = Set(RunStatus.Succeeded) }, "Report"),
            ("prefix, dependents, priority", new() { NamePrefix = "extract-", HasDependents = true, MinPriority = 1 }, "extract-a"),
            ("contains, no dependencies, ran", new() { NameContains = "E", HasDependencies = false, HasRuns = true }, "extract-a extract-b"),
            ("dependencies and dependents", new() { HasDependencies = true, HasDependents = true }, "load"),
            ("name, wrong priority", new() { NameEquals = "Report", MaxPriority = 9 }, ""),
        };

        await AssertJobSearchesAsync(world, cases);
    }

    [Test]
    public async Task SearchJobs_ReturnsEachJobWithItsLatestRun_PagedInIdOrder()
    {
        var world = await BuildSearchWorldAsync();
        var all = new[] { "extract-a", "extract-b", "load", "Report", "idle" };
        var latest = new Dictionary<string, JobRun?> { ["extract-a"] = world.Runs["a2"], ["extract-b"] = world.Runs["b2"], ["load"] = world.Runs["l2"], ["Report"] = world.Runs["r1"], ["idle"] = null };

        var first = await History.SearchJobsAsync(Client, new(), null, 2, None);
        var second = await History.SearchJobsAsync(Client, new(), first[^1].Job.Id, 2, None);
        var third = await History.SearchJobsAsync(Client, new(), second[^1].Job.Id, 2, None);
        var filtered = await History.SearchJobsAsync(Client, new() { HasRuns = true }, world.Jobs["extract-b"].Id, 100, None);

        var expected = all.Select(name => new JobWithLatestRun(world.Jobs[name], latest[name])).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Concat(second).Concat(third), Is.EqualTo(expected));
            Assert.That(first, Has.Count.EqualTo(2));
            Assert.That(third, Has.Count.EqualTo(1));
            Assert.That(filtered.Select(j => j.Job.Name), Is.EqualTo(new[] { "load", "Report" }));
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => History.SearchJobsAsync(Client, new(), null, 0, None));
        }
    }

    [Test]
    public async Task CountJobs_CountsTheMatchingJobs()
    {
        await BuildSearchWorldAsync();
        var cases = new (JobFilter Filter, long Expected)[]
        {
            (new(), 5),
            (new() { HasSchedule = true }, 2),
            (new() { LatestStatuses = Set(RunStatus.Running, RunStatus.Pending) }, 2),
            (new() { NameContains = "T" }, 3),
            (new() { HasDependents = false, HasRuns = false }, 1),
            (new() { NameEquals = "theirs-only" }, 0),
        };

        using (Assert.EnterMultipleScope())
        {
            foreach (var (filter, expected) in cases)
            {
                Assert.That(await History.CountJobsAsync(Client, filter, None), Is.EqualTo(expected), filter.ToString());
            }

            Assert.That(await History.CountJobsAsync(OtherClient, new(), None), Is.EqualTo(2), "the other client's own");
        }
    }

    [Test]
    public async Task SearchJobs_NeverReachAnotherClientsJobs()
    {
        var world = await BuildSearchWorldAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await History.SearchJobsAsync(Client, new() { NameEquals = "theirs-only" }, null, 100, None), Is.Empty);
            Assert.That(await History.SearchJobsAsync(Client, new() { NamePrefix = "theirs" }, null, 100, None), Is.Empty);
            Assert.That(await History.SearchJobsAsync(Client, new() { NameContains = "THEIRS" }, null, 100, None), Is.Empty);
            Assert.That((await History.SearchJobsAsync(Client, new() { NameEquals = "extract-a" }, null, 100, None)).Select(j => j.Job), Is.EqualTo(new[] { world.Jobs["extract-a"] }));
            Assert.That(
                (await History.SearchJobsAsync(OtherClient, new(), null, 100, None)).Select(j => j.Job.Id),
                Is.EqualTo(new[] { world.TheirExtract.Id, world.TheirOnly.Id }));
            Assert.That(await History.SearchJobsAsync(OtherClient, new() { HasDependents = true }, null, 100, None), Is.Empty, "our edges are not theirs");
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// The history the searches read, all through the ports (times in seconds after <see cref="T0"/>; run ids grow in this
    /// order: a1 b1 l1 r1 b2 a2 l2):
    /// <code>
    /// run job        status    attempt enqueued started finished worker duration error
    /// a1  extract-a  Succeeded 1       10       11      15       w1     4 s
    /// b1  extract-b  Failed    1       10       12      20       w2     8 s      "Disk FULL on /data"
    /// l1  load       Cancelled 1       12       -       14       -      -        "Stopped by OPERATOR"
    /// r1  Report     Succeeded 1       16       17      20       w2     3 s
    /// b2  extract-b  Failed    2       20       21      30       w1     9 s      "disk full: Ünïcode"
    /// a2  extract-a  Running   1       25       26      -        w1     -
    /// l2  load       Pending   1       27       -       -        -      -
    /// </code>
    /// Jobs: extract-a (priority 5, every 10m: due at 600), extract-b (2 attempts), load (depends on both extracts),
    /// Report (priority 10, every 1h: due at 3600; depends on load), idle (priority -1, never ran). The other client has
    /// a job also named extract-a and one named theirs-only (priority 5, every 10m), with failed runs ("disk full") by w1
    /// enqueued at 10 and 12 and a pending one at 27.
    /// </summary>
    private async Task<SearchWorld> BuildSearchWorldAsync()
    {
        var extractA = await CreateJobAsync("extract-a", priority: 5, schedule: "every 10m");
        var extractB = await CreateJobAsync("extract-b", maxAttempts: 2);
        var load = await CreateJobAsync("load");
        var report = await CreateJobAsync("Report", priority: 10, schedule: "every 1h");
        var idle = await CreateJobAsync("idle", priority: -1);

        var a1 = await EnqueueAsync(extractA, at: 10);
        var b1 = await EnqueueAsync(extractB, at: 10);
        await StartAsync(a1, at: 11, worker: "w1");
        await StartAsync(b1, at: 12, worker: "w2");
        var l1 = await EnqueueAsync(load, at: 12);
        await Runs.CancelRunAsync(Client, l1.Id, "Stopped by OPERATOR", At(14), None);
        await FinishAsync(a1, RunStatus.Succeeded, at: 15);
        var r1 = await EnqueueAsync(report, at: 16);
        await StartAsync(r1, at: 17, worker: "w2");
        var b2 = (await Runs.FinishRunAsync(Client, b1.Id, RunStatus.Failed, "Disk FULL on /data", null, At(20), NoDelay, None)).Retry
                 ?? throw new InvalidOperationException("extract-b has two attempts: its first failure is retried.");
        await FinishAsync(r1, RunStatus.Succeeded, at: 20);
        await StartAsync(b2, at: 21, worker: "w1");
        var a2 = await EnqueueAsync(extractA, at: 25);
        await StartAsync(a2, at: 26, worker: "w1");
        var l2 = await EnqueueAsync(load, at: 27);
        await FinishAsync(b2, RunStatus.Failed, at: 30, error: "disk full: Ünïcode");
        await DependAsync(load, extractA, at: 31);
        await DependAsync(load, extractB, at: 31);
        await DependAsync(report, load, at: 31);

        var theirExtract = await CreateJobAsync("extract-a", client: OtherClient);
        var theirOnly = await CreateJobAsync("theirs-only", priority: 5, client: OtherClient, schedule: "every 10m");
        var theirRuns = new List<RunId>();
        foreach (var (job, at) in new[] { (theirExtract, 10), (theirOnly, 12), (theirExtract, 27) })
        {
            var run = (await Runs.EnqueueRunAsync(OtherClient, job.Id, null, At(at), None)).Run;
            theirRuns.Add(run.Id);
            if (at < 27)
            {
                await Runs.StartRunAsync(OtherClient, run.Id, new WorkerId("w1"), At(at + 1), At(at + 61), None);
                await Runs.FinishRunAsync(OtherClient, run.Id, RunStatus.Failed, "disk full", null, At(at + 5), NoDelay, None);
            }
        }

        var runs = new Dictionary<string, JobRun>();
        foreach (var (label, run) in new[] { ("a1", a1), ("b1", b1), ("l1", l1), ("r1", r1), ("b2", b2), ("a2", a2), ("l2", l2) })
        {
            runs[label] = await GetRunAsync(run) ?? throw new InvalidOperationException($"Run {label} is gone.");
        }

        var jobs = new Dictionary<string, Job>();
        foreach (var job in await AllJobsAsync(Client))
        {
            jobs[job.Name] = job;
        }

        Assert.That(
            (jobs["extract-a"].NextDueAt, jobs["Report"].NextDueAt, jobs["idle"].Priority, jobs.Count),
            Is.EqualTo((At(600), At(3600), -1, 5)),
            "the world as built");
        return new SearchWorld(runs, jobs, theirExtract, theirOnly, [.. theirRuns]);
    }

    private async Task AssertRunSearchesAsync(SearchWorld world, IEnumerable<(string Name, RunFilter Filter, string Expected)> cases)
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, filter, expected) in cases)
            {
                filter.Validate();
                Assert.That(await SearchLabelsAsync(world, filter, RunTimestamp.Enqueued, SortDirection.NewestFirst), Is.EqualTo(Labels(expected)), name);
                Assert.That(await History.CountRunsAsync(Client, filter, RunTimestamp.Enqueued, None), Is.EqualTo(Labels(expected).Length), name + " (count)");
            }
        }
    }

    private async Task AssertJobSearchesAsync(SearchWorld world, IEnumerable<(string Name, JobFilter Filter, string Expected)> cases)
    {
        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, filter, expected) in cases)
            {
                filter.Validate();
                var found = await History.SearchJobsAsync(Client, filter, null, 100, None);
                Assert.That(found.Select(j => j.Job), Is.EqualTo(Labels(expected).Select(label => world.Jobs[label])), name);
                Assert.That(await History.CountJobsAsync(Client, filter, None), Is.EqualTo(Labels(expected).Length), name + " (count)");
            }
        }
    }

    private async Task<string[]> SearchLabelsAsync(SearchWorld world, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after = null) =>
        (await History.SearchRunsAsync(Client, filter, orderBy, direction, after, 100, None)).Select(r => world.Label(r.Run.Id)).ToArray();

    // Every page of a search, each read after the previous one's last run.
    private async Task<List<RunId[]>> ReadAllPagesAsync(RunFilter filter, RunTimestamp orderBy, SortDirection direction, int pageSize)
    {
        var pages = new List<RunId[]>();
        RunPosition? after = null;
        while (true)
        {
            var page = await History.SearchRunsAsync(Client, filter, orderBy, direction, after, pageSize, None);
            pages.Add(page.Select(r => r.Run.Id).ToArray());
            if (page.Count < pageSize)
            {
                return pages;
            }

            var last = page[^1].Run;
            var at = orderBy switch
            {
                RunTimestamp.Started => last.StartedAt,
                RunTimestamp.Finished => last.FinishedAt,
                _ => last.EnqueuedAt,
            };
            after = new RunPosition(at ?? throw new InvalidOperationException($"Run {last.Id} was listed without its {orderBy} time."), last.Id);
        }
    }

    private static string[] Labels(string labels) => labels.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static HashSet<RunStatus> Set(params RunStatus[] statuses) => [.. statuses];

    /// <summary>The history of <see cref="BuildSearchWorldAsync"/>: this client's runs by label (as they ended up) and jobs by name, and the other client's jobs and runs.</summary>
    private sealed record SearchWorld(IReadOnlyDictionary<string, JobRun> Runs, IReadOnlyDictionary<string, Job> Jobs, Job TheirExtract, Job TheirOnly, RunId[] TheirRuns)
    {
        public string Label(RunId id) => Runs.FirstOrDefault(r => r.Value.Id == id).Key ?? $"unknown run {id}";

        public Job JobOf(string label) => Jobs.Values.Single(job => job.Id == Runs[label].JobId);
    }
}
