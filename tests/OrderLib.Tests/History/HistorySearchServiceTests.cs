using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderLib.Ports;
using OrderLib.Testing;

namespace OrderLib.Tests.History;

/// <summary>
/// The history searches through <see cref="HistoryService"/> over the in-memory store: cursors (as text, refused from
/// another listing or ordering), totals, streaming over several stream pages, and validation before any read. The
/// store is wrapped to record what reaches it.
/// </summary>
public class HistorySearchServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private FakeTimeProvider _time = null!;
    private ServiceProvider _provider = null!;
    private RecordingHistoryStore _store = null!;
    private IOrderLib _lib = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(T0);
        _store = new RecordingHistoryStore(new InMemoryOrderLibStore());
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddOrderLib(o => o.UseStore("InMemory", _ => _store.Inner, migratorFactory: null));
        services.AddSingleton<IHistoryStore>(_store);
        _provider = services.BuildServiceProvider();
        _lib = _provider.GetRequiredService<IOrderLib>();
    }

    [TearDown]
    public void TearDown() => _provider.Dispose();

    [Test]
    public async Task Run_search_pages_through_cursors_carried_as_text()
    {
        var ids = await CreateCancelledRunsAsync(5);

        var seen = new List<RunId>();
        var search = new RunSearch { Limit = 2, IncludeTotal = true };
        var pages = 0;
        while (true)
        {
            var page = await _lib.History.SearchRunsAsync(search);
            pages++;
            seen.AddRange(page.Items.Select(r => r.Run.Id));
            Assert.That(page.Total, Is.EqualTo(5), "the total of the whole search, on every page");
            if (page.Next is not { } next)
            {
                break;
            }

            // Through text, as a URL carries it, and through the search's own fields.
            var fields = (search with { Cursor = PageCursor.Parse(next.ToString()) }).ToFields();
            search = RunSearch.FromFields(fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)));
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(Enumerable.Reverse(ids)), "newest first, every run once");
            Assert.That(pages, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Job_search_pages_through_cursors_carried_as_text()
    {
        var jobs = new List<JobId>();
        for (var i = 0; i < 3; i++)
        {
            jobs.Add((await _lib.Jobs.CreateAsync(new JobDefinition($"job-{i}"))).Id);
        }

        var first = await _lib.History.SearchJobsAsync(new JobSearch { Limit = 2 });
        var second = await _lib.History.SearchJobsAsync(new JobSearch { Limit = 2, Cursor = PageCursor.Parse(first.Next!.Value.ToString()) });

        Assert.Multiple(() =>
        {
            Assert.That(first.Items.Concat(second.Items).Select(j => j.Job.Id), Is.EqualTo(jobs));
            Assert.That(first.Total, Is.Null, "no total unless asked");
            Assert.That(second.Next, Is.Null);
        });
    }

    [Test]
    public async Task Totals_count_every_match_and_only_when_asked()
    {
        await CreateCancelledRunsAsync(3);
        await _lib.Jobs.CreateAsync(new JobDefinition("never-ran"));

        var runs = await _lib.History.SearchRunsAsync(new RunSearch { Limit = 1, IncludeTotal = true });
        var started = await _lib.History.SearchRunsAsync(new RunSearch { Limit = 1, IncludeTotal = true, OrderBy = RunTimestamp.Started });
        var withoutTotal = await _lib.History.SearchRunsAsync(new RunSearch { Limit = 1 });
        var jobs = await _lib.History.SearchJobsAsync(new JobSearch { Limit = 1, IncludeTotal = true });

        Assert.Multiple(() =>
        {
            Assert.That(runs.Items, Has.Count.EqualTo(1));
            Assert.That(runs.Total, Is.EqualTo(3));
            Assert.That(started.Total, Is.Zero, "cancelled before they started: none has a start time");
            Assert.That(withoutTotal.Total, Is.Null);
            Assert.That(jobs.Items, Has.Count.EqualTo(1));
            Assert.That(jobs.Total, Is.EqualTo(2));
            Assert.That(_store.Calls.Count(c => c.StartsWith("Count", StringComparison.Ordinal)), Is.EqualTo(3), "one count per search that asked");
        });
    }

    [Test]
    public async Task A_cursor_of_another_ordering_or_listing_is_refused()
    {
        await CreateCancelledRunsAsync(3);
        await _lib.Jobs.CreateAsync(new JobDefinition("second"));
        var byEnqueued = (await _lib.History.SearchRunsAsync(new RunSearch { Limit = 1 })).Next!.Value;
        var byFinishedOldest = (await _lib.History.SearchRunsAsync(new RunSearch { Limit = 1, OrderBy = RunTimestamp.Finished, Direction = SortDirection.OldestFirst })).Next!.Value;
        var ofJobs = (await _lib.History.SearchJobsAsync(new JobSearch { Limit = 1 })).Next!.Value;
        var ofJobList = (await _lib.Jobs.ListAsync(limit: 1)).Next!.Value;
        _store.Calls.Clear();

        var refusals = new (string Name, Func<Task> Act)[]
        {
            ("another timestamp", () => _lib.History.SearchRunsAsync(new RunSearch { Cursor = byEnqueued, OrderBy = RunTimestamp.Started })),
            ("another direction", () => _lib.History.SearchRunsAsync(new RunSearch { Cursor = byEnqueued, Direction = SortDirection.OldestFirst })),
            ("another timestamp and direction", () => _lib.History.SearchRunsAsync(new RunSearch { Cursor = byFinishedOldest })),
            ("a job search's", () => _lib.History.SearchRunsAsync(new RunSearch { Cursor = ofJobs })),
            ("a job list's", () => _lib.History.SearchRunsAsync(new RunSearch { Cursor = ofJobList })),
            ("a run search's, to a job search", () => _lib.History.SearchJobsAsync(new JobSearch { Cursor = byEnqueued })),
            ("a job list's, to a job search", () => _lib.History.SearchJobsAsync(new JobSearch { Cursor = ofJobList })),
            ("a job search's, to the job list", () => _lib.Jobs.ListAsync(ofJobs)),
            ("another ordering, to a stream", () => _lib.History.StreamRunsAsync(new RunSearch { Cursor = byEnqueued, OrderBy = RunTimestamp.Finished }).ToListAsync().AsTask()),
        };

        Assert.Multiple(() =>
        {
            foreach (var (name, act) in refusals)
            {
                var refused = Assert.ThrowsAsync<OrderLibValidationException>(() => act(), name);
                Assert.That(refused?.ParamName, Is.EqualTo("cursor"), name);
            }

            Assert.That(_store.Calls, Is.Empty, "nothing was read");
        });
    }

    [Test]
    public async Task Streaming_reads_every_run_once_over_several_stream_pages()
    {
        var ids = await CreateCancelledRunsAsync(HistoryService.StreamPageSize + 3, runsPerSecond: 1000);

        var streamed = await _lib.History.StreamRunsAsync(new RunSearch { Limit = 10, IncludeTotal = true }).Select(r => r.Run.Id).ToListAsync();

        Assert.Multiple(() =>
        {
            Assert.That(streamed, Is.EqualTo(Enumerable.Reverse(ids)), "newest first, every run once (a tie of 1000 runs per second)");
            Assert.That(_store.Calls, Is.EqualTo(new[] { $"SearchRuns {HistoryService.StreamPageSize}", $"SearchRuns {HistoryService.StreamPageSize}" }), "two stream pages, the limit and total ignored");
        });
    }

    [Test]
    public async Task Streaming_starts_at_the_cursor_and_follows_the_filter()
    {
        var ids = await CreateCancelledRunsAsync(6);
        var first = await _lib.History.SearchRunsAsync(new RunSearch { Limit = 2, Direction = SortDirection.OldestFirst, Filter = RunFilter.FirstAttempts });

        var rest = await _lib.History.StreamRunsAsync(new RunSearch { Cursor = first.Next, Direction = SortDirection.OldestFirst, Filter = RunFilter.FirstAttempts })
            .Select(r => r.Run.Id)
            .ToListAsync();
        var none = await _lib.History.StreamRunsAsync(new RunSearch { Filter = RunFilter.Retries }).ToListAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first.Items.Select(r => r.Run.Id), Is.EqualTo(ids.Take(2)));
            Assert.That(rest, Is.EqualTo(ids.Skip(2)));
            Assert.That(none, Is.Empty);
        });
    }

    public static IEnumerable<TestCaseData> InvalidRunSearches()
    {
        yield return Invalid(new RunSearch { Filter = new RunFilter { MinAttempt = 0 } }, "minAttempt");
        yield return Invalid(new RunSearch { Filter = new RunFilter { MinAttempt = 3, MaxAttempt = 2 } }, "maxAttempt");
        yield return Invalid(new RunSearch { Filter = new RunFilter { EnqueuedFrom = T0, EnqueuedTo = T0.AddSeconds(-1) } }, "enqueuedTo");
        yield return Invalid(new RunSearch { Filter = new RunFilter { FinishedFrom = T0, FinishedTo = T0.AddTicks(-1) } }, "finishedTo");
        yield return Invalid(new RunSearch { Filter = new RunFilter { MinDuration = TimeSpan.FromTicks(-1) } }, "minDuration");
        yield return Invalid(new RunSearch { Filter = new RunFilter { ErrorContains = "" } }, "errorContains");
        yield return Invalid(new RunSearch { Filter = new RunFilter { ErrorContains = "a\0b" } }, "errorContains");
        yield return Invalid(new RunSearch { Filter = new RunFilter { JobNamePrefix = "\uD800" } }, "jobNamePrefix");
        yield return Invalid(new RunSearch { Filter = new RunFilter { Statuses = new HashSet<RunStatus> { (RunStatus)99 } } }, "statuses");
        yield return Invalid(new RunSearch { Filter = new RunFilter { JobIds = Enumerable.Range(1, RunFilter.MaxJobIds + 1).Select(i => new JobId(i)).ToArray() } }, "jobIds");
        yield return Invalid(new RunSearch { OrderBy = (RunTimestamp)7 }, "orderBy");
        yield return Invalid(new RunSearch { Direction = (SortDirection)7 }, "direction");
        yield return Invalid(new RunSearch { Limit = 0 }, "limit");
    }

    [TestCaseSource(nameof(InvalidRunSearches))]
    public void An_invalid_run_search_is_refused_before_the_store_is_read(RunSearch search, string field)
    {
        var searched = Assert.ThrowsAsync<OrderLibValidationException>(() => _lib.History.SearchRunsAsync(search));
        var streamed = search.Limit == 0
            ? null // streaming ignores the limit
            : Assert.ThrowsAsync<OrderLibValidationException>(() => _lib.History.StreamRunsAsync(search).ToListAsync().AsTask());

        Assert.Multiple(() =>
        {
            Assert.That(searched?.ParamName, Is.EqualTo(field));
            Assert.That(streamed?.ParamName, Is.EqualTo(search.Limit == 0 ? null : field));
            Assert.That(_store.Calls, Is.Empty);
        });
    }

    public static IEnumerable<TestCaseData> InvalidJobSearches()
    {
        yield return Invalid(new JobSearch { Filter = new JobFilter { NameEquals = "" } }, "nameEquals");
        yield return Invalid(new JobSearch { Filter = new JobFilter { NameContains = "x\0" } }, "nameContains");
        yield return Invalid(new JobSearch { Filter = new JobFilter { MinPriority = 2, MaxPriority = 1 } }, "maxPriority");
        yield return Invalid(new JobSearch { Filter = new JobFilter { NextDueFrom = T0, NextDueTo = T0.AddDays(-1) } }, "nextDueTo");
        yield return Invalid(new JobSearch { Filter = new JobFilter { HasRuns = false, LatestStatuses = new HashSet<RunStatus> { RunStatus.Failed } } }, "latestStatuses");
        yield return Invalid(new JobSearch { Limit = 1001 }, "limit");
    }

    [TestCaseSource(nameof(InvalidJobSearches))]
    public void An_invalid_job_search_is_refused_before_the_store_is_read(JobSearch search, string field)
    {
        var refused = Assert.ThrowsAsync<OrderLibValidationException>(() => _lib.History.SearchJobsAsync(search));

        Assert.Multiple(() =>
        {
            Assert.That(refused?.ParamName, Is.EqualTo(field));
            Assert.That(_store.Calls, Is.Empty);
        });
    }

    private static TestCaseData Invalid(object search, string field) => new TestCaseData(search, field).SetArgDisplayNames(field);

    // Creates `count` runs of one job, each cancelled before its next is enqueued, `runsPerSecond` per second of the
    // clock (runs within a second share their enqueue time); returns their ids in creation order.
    private async Task<List<RunId>> CreateCancelledRunsAsync(int count, int runsPerSecond = 1)
    {
        var job = await _lib.Jobs.CreateAsync(new JobDefinition("busy"));
        var ids = new List<RunId>(count);
        for (var i = 0; i < count; i++)
        {
            if (i % runsPerSecond == 0)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }

            var run = (await _lib.Runs.EnqueueAsync(job.Id)).Run;
            await _lib.Runs.CancelAsync(run.Id, "done");
            ids.Add(run.Id);
        }

        return ids;
    }

    /// <summary>The history port of the in-memory store, recording each search and count that reaches it (with its limit).</summary>
    private sealed class RecordingHistoryStore(InMemoryOrderLibStore inner) : IHistoryStore
    {
        public InMemoryOrderLibStore Inner { get; } = inner;

        public List<string> Calls { get; } = [];

        public Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken)
        {
            Calls.Add($"SearchRuns {limit}");
            return Inner.SearchRunsAsync(client, filter, orderBy, direction, after, limit, cancellationToken);
        }

        public Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken)
        {
            Calls.Add("CountRuns");
            return Inner.CountRunsAsync(client, filter, orderBy, cancellationToken);
        }

        public Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken)
        {
            Calls.Add($"SearchJobs {limit}");
            return Inner.SearchJobsAsync(client, filter, after, limit, cancellationToken);
        }

        public Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken)
        {
            Calls.Add("CountJobs");
            return Inner.CountJobsAsync(client, filter, cancellationToken);
        }

        public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken) =>
            Inner.GetStatisticsAsync(client, query, now, cancellationToken);

        public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken) =>
            Inner.PruneRunsAsync(client, request, after, cancellationToken);

        public Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken) => Inner.ListClientsAsync(cancellationToken);
    }
}
