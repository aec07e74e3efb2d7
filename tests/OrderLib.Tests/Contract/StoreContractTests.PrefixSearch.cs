using NUnit.Framework;

namespace OrderLib.Tests.Contract;

/// <summary>
/// Run searches by a job name prefix that matches more jobs than a search reads job by job (the relational stores resolve
/// the prefix to its jobs' ids first, then walk the ordering's index with them as a filter), and one that matches none:
/// every ordering, status filters, paged by position. The expected runs are the stored runs (read back one by one),
/// filtered and sorted here as the search's rules say.
/// </summary>
public abstract partial class StoreContractTests
{
    // More jobs than the relational stores read job by job (SearchSql.FewJobsCount is 4).
    private const int PrefixJobs = 12;

    public static IEnumerable<TestCaseData> PrefixSearches()
    {
        HashSet<RunStatus>?[] statusSets =
        [
            null,
            [RunStatus.Succeeded],
            [RunStatus.Failed, RunStatus.Cancelled],
            [RunStatus.Succeeded, RunStatus.Running, RunStatus.Pending],
        ];
        foreach (var orderBy in (RunTimestamp[])[RunTimestamp.Enqueued, RunTimestamp.Started, RunTimestamp.Finished])
        {
            foreach (var direction in (SortDirection[])[SortDirection.NewestFirst, SortDirection.OldestFirst])
            {
                foreach (var statuses in statusSets)
                {
                    var name = statuses is null ? "any status" : string.Join("+", statuses);
                    yield return new TestCaseData(orderBy, direction, statuses).SetArgDisplayNames(orderBy.ToString(), direction.ToString(), name);
                }
            }
        }
    }

    [TestCaseSource(nameof(PrefixSearches))]
    public async Task SearchRuns_PrefixMatchingManyJobs_PagedByPosition_ListsExactlyTheirRunsInOrder(RunTimestamp orderBy, SortDirection direction, HashSet<RunStatus>? statuses)
    {
        var world = await BuildPrefixWorldAsync();
        var filter = new RunFilter { JobNamePrefix = "batch-", Statuses = statuses };
        filter.Validate();
        var expected = ExpectedPrefixRuns(world, job => job.StartsWith("batch-", StringComparison.Ordinal), statuses, orderBy, direction);

        var pages = await ReadAllPagesAsync(filter, orderBy, direction, pageSize: 5);
        var firstPage = await History.SearchRunsAsync(Client, filter, orderBy, direction, null, 5, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(expected, Has.Length.GreaterThan(5), "the search spans pages");
            Assert.That(pages.SelectMany(p => p), Is.EqualTo(expected), "every matching run once, in order, across pages");
            Assert.That(pages.Take(pages.Count - 1).Select(p => p.Length), Is.All.EqualTo(5), "every page but the last is full");
            Assert.That(firstPage.Select(r => r.JobName), Is.EqualTo(firstPage.Select(r => world.NameOf(r.Run))), "each run with its job's name");
            Assert.That(await History.CountRunsAsync(Client, filter, orderBy, None), Is.EqualTo(expected.Length), "the count");
        }
    }

    [Test]
    public async Task SearchRuns_PrefixMatchingManyJobs_WithinJobIdsAndOtherFilters_MatchesBoth()
    {
        var world = await BuildPrefixWorldAsync();
        var named = world.Jobs.Values.Where(j => j.Name is "batch-001" or "batch-002" or "batch-010" or "batch-011" or "batchless" or "other-000").Select(j => j.Id).ToArray();
        var inNamed = named.ToHashSet();
        var filter = new RunFilter { JobNamePrefix = "batch-0", JobIds = named, Statuses = Set(RunStatus.Succeeded, RunStatus.Failed), FinishedFrom = At(150) };
        filter.Validate();
        var expected = ExpectedPrefixRuns(world, _ => true, filter.Statuses, RunTimestamp.Finished, SortDirection.NewestFirst)
            .Where(id => world.Runs[id] is var run && inNamed.Contains(run.JobId) && world.NameOf(run).StartsWith("batch-0", StringComparison.Ordinal) && run.FinishedAt >= At(150))
            .ToArray();

        var found = await History.SearchRunsAsync(Client, filter, RunTimestamp.Finished, SortDirection.NewestFirst, null, 100, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(expected, Is.Not.Empty, "the world has such runs");
            Assert.That(found.Select(r => r.Run.Id), Is.EqualTo(expected));
            Assert.That(await History.CountRunsAsync(Client, filter, RunTimestamp.Finished, None), Is.EqualTo(expected.Length), "the count");
        }
    }

    [Test]
    public async Task SearchRuns_PrefixMatchingNoJob_IsEmptyInEveryOrdering()
    {
        var world = await BuildPrefixWorldAsync();
        var theirs = await CreateJobAsync("batch-x-theirs", client: OtherClient);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(5), None)).Run;
        var batchJobs = world.Jobs.Values.Where(j => j.Name.StartsWith("batch-", StringComparison.Ordinal)).Select(j => j.Id).ToArray();
        var cases = new (string Name, RunFilter Filter)[]
        {
            ("no job starts with it", new() { JobNamePrefix = "batch-x" }),
            ("only another client's job starts with it", new() { JobNamePrefix = "batch-x-" }),
            ("a prefix of none, with statuses", new() { JobNamePrefix = "history-1", Statuses = Set(RunStatus.Succeeded) }),
            ("matching jobs, none of them named", new() { JobNamePrefix = "other-", JobIds = batchJobs }),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(theirRun.Id, Is.Not.EqualTo(default(RunId)));
            foreach (var (name, filter) in cases)
            {
                filter.Validate();
                foreach (var orderBy in (RunTimestamp[])[RunTimestamp.Enqueued, RunTimestamp.Started, RunTimestamp.Finished])
                {
                    foreach (var direction in (SortDirection[])[SortDirection.NewestFirst, SortDirection.OldestFirst])
                    {
                        Assert.That(await History.SearchRunsAsync(Client, filter, orderBy, direction, null, 100, None), Is.Empty, $"{name}, {orderBy} {direction}");
                    }

                    Assert.That(await History.CountRunsAsync(Client, filter, orderBy, None), Is.Zero, $"{name}, count by {orderBy}");
                }
            }
        }
    }

    // PrefixJobs jobs batch-000..011, three jobs other-000..002 and a job "batchless" (no hyphen), each with three rounds of
    // runs 100 s apart: enqueue times tie across jobs (ties broken by run id), start and finish times in another order
    // than the enqueue times, Succeeded, Failed and Cancelled runs (cancelled before they started); in the last round
    // some runs stay Pending or Running. Another client has a batch- job with runs too.
    private async Task<PrefixWorld> BuildPrefixWorldAsync()
    {
        var jobs = new List<Job>();
        for (var i = 0; i < PrefixJobs; i++)
        {
            jobs.Add(await CreateJobAsync($"batch-{i:D3}"));
        }

        for (var i = 0; i < 3; i++)
        {
            jobs.Add(await CreateJobAsync($"other-{i:D3}"));
        }

        jobs.Add(await CreateJobAsync("batchless"));
        var runIds = new List<RunId>();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                var enqueued = (100 * round) + (i * 7 % 5);
                var run = await EnqueueAsync(jobs[i], enqueued);
                runIds.Add(run.Id);
                var kind = (i + round) % 6;
                if (round == 2 && kind == 5)
                {
                    continue; // stays Pending
                }

                if (kind == 4)
                {
                    await Runs.CancelRunAsync(Client, run.Id, "cancelled before it started", At(enqueued + 1 + (i % 3)), None);
                    continue;
                }

                await StartAsync(run, enqueued + 1 + ((i * 3) % 7));
                if (round == 2 && kind == 3)
                {
                    continue; // stays Running
                }

                var finished = enqueued + 10 + ((i * 5 + round) % 11);
                await FinishAsync(run, kind is 1 or 2 ? RunStatus.Failed : RunStatus.Succeeded, finished, kind is 1 or 2 ? "failed" : null);
            }
        }

        var theirs = await CreateJobAsync("batch-000", client: OtherClient);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(3), None)).Run;
        await Runs.StartRunAsync(OtherClient, theirRun.Id, new WorkerId("w"), At(4), At(64), None);
        await Runs.FinishRunAsync(OtherClient, theirRun.Id, RunStatus.Succeeded, null, null, At(15), NoDelay, None);

        var runs = new Dictionary<RunId, JobRun>();
        foreach (var id in runIds)
        {
            runs[id] = await Runs.GetRunAsync(Client, id, None) ?? throw new InvalidOperationException($"Run {id} is gone.");
        }

        return new PrefixWorld(runs, jobs.ToDictionary(j => j.Id));
    }

    // The world's runs of the jobs whose name matches, in the statuses (any when null or empty), having the ordering's
    // timestamp, sorted by it and the run id in the direction.
    private static RunId[] ExpectedPrefixRuns(PrefixWorld world, Func<string, bool> jobName, IReadOnlySet<RunStatus>? statuses, RunTimestamp orderBy, SortDirection direction)
    {
        DateTimeOffset? Timestamp(JobRun run) => orderBy switch
        {
            RunTimestamp.Started => run.StartedAt,
            RunTimestamp.Finished => run.FinishedAt,
            _ => run.EnqueuedAt,
        };

        var matching = world.Runs.Values
            .Where(run => jobName(world.NameOf(run)) && (statuses is not { Count: > 0 } || statuses.Contains(run.Status)) && Timestamp(run) is not null)
            .Select(run => (At: Timestamp(run)!.Value, run.Id))
            .ToList();
        var ordered = matching.OrderBy(r => r.At).ThenBy(r => r.Id.Value).Select(r => r.Id);
        return (direction == SortDirection.NewestFirst ? ordered.Reverse() : ordered).ToArray();
    }

    private sealed record PrefixWorld(IReadOnlyDictionary<RunId, JobRun> Runs, IReadOnlyDictionary<JobId, Job> Jobs)
    {
        public string NameOf(JobRun run) => Jobs[run.JobId].Name;
    }
}
