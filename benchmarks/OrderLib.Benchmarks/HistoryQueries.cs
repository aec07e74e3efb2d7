using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Benchmarks;

/// <summary>
/// One query of the <c>queries</c> scenario: the call a host makes through <c>IOrderLib.History</c> and the hand-written
/// reference of the same shape, each returning the ids of its rows in order (or a fingerprint of a statistics answer), so
/// that the scenario can check both found the same.
/// </summary>
/// <param name="Group">ordering, single filter, combination, page 2, total, jobs or statistics.</param>
/// <param name="Name">The shape, for the report.</param>
/// <param name="TargetMs">The issue's target for this store, or null when the shape has none.</param>
/// <param name="Library">The call through the public API.</param>
/// <param name="Reference">The plain SQL of the same shape.</param>
internal sealed record QueryShape(
    string Group,
    string Name,
    double? TargetMs,
    Func<IOrderLib, CancellationToken, Task<IReadOnlyList<long>>> Library,
    Func<ReferenceQueries, CancellationToken, Task<ReferenceResult>> Reference);

/// <summary>
/// The <c>queries</c> scenario on a copy of the history template: every search shape's first page (and a second page,
/// totals, job searches, statistics) through <c>IOrderLib.History</c> next to its hand-written reference
/// (<see cref="ReferenceQueries"/>), alternating call by call, <c>--query-calls</c> timed calls of each per round after
/// two warm-up calls; the export of every run through <c>StreamRunsAsync</c> next to one raw reader of the same query; then,
/// on another copy, the plan of every statement OrderLib sends for each shape (<see cref="BenchDatabase.CapturePlansAsync"/>)
/// and of the reference's statements (<see cref="BenchDatabase.ExplainAsync"/>).
/// </summary>
internal sealed class HistoryQueries(BenchSettings settings, Report report, Action<string> log)
{
    private const string QueriesDb = "queries";
    private const string PlansDb = "queries_plans";
    private const int WarmUpCalls = 2;

    /// <summary>Measures every shape on a copy of <paramref name="historyTemplate"/>, then captures their plans on another.</summary>
    public async Task RunAsync(BenchDatabase engine, string historyTemplate, int history, CancellationToken cancellationToken)
    {
        await engine.CopyAsync(historyTemplate, QueriesDb, cancellationToken);
        var shapes = await ShapesAsync(engine, QueriesDb, cancellationToken);
        var stream = (Library: new List<double>(), Reference: new List<double>(), Ratio: new List<double>());
        await engine.WithServicesAsync(QueriesDb, async services =>
        {
            var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
            await using var connection = await engine.OpenAsync(QueriesDb, cancellationToken);
            var references = new ReferenceQueries(engine, connection);
            for (var round = 1; round <= settings.Repeat; round++)
            {
                foreach (var shape in shapes)
                {
                    await MeasureAsync(engine.Name, shape, lib, references, round, cancellationToken);
                }

                await StreamAsync(engine.Name, lib, references, round, stream, cancellationToken);
            }

            return 0;
        });
        await engine.DropAsync(QueriesDb, cancellationToken);
        var shape = string.Create(CultureInfo.InvariantCulture, $"every run of the {history:N0}-run history, newest enqueued first; one sample per round");
        report.Figures.Add(new FigureResult(engine.Name, "stream: StreamRunsAsync", "rows/s", stream.Library, shape + $"; pages of {HistoryService.StreamPageSize}"));
        report.Figures.Add(new FigureResult(engine.Name, "stream: raw reader of the same query", "rows/s", stream.Reference, shape + "; one statement, every column read"));
        report.Figures.Add(new FigureResult(engine.Name, "stream: StreamRunsAsync / raw reader", "×", stream.Ratio, "rows/s over rows/s of the same round"));

        await engine.CopyAsync(historyTemplate, PlansDb, cancellationToken);
        if (await engine.PreparePlanCaptureAsync(PlansDb, cancellationToken))
        {
            await engine.WithServicesAsync(PlansDb, async services =>
            {
                var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
                await using var connection = await engine.OpenAsync(PlansDb, cancellationToken);
                var references = new ReferenceQueries(engine, connection);
                foreach (var shape in shapes)
                {
                    IReadOnlyList<string> plans = [];
                    try
                    {
                        await shape.Library(lib, cancellationToken); // the first use of the services is not what is explained
                        plans = (await engine.CapturePlansAsync(PlansDb, () => shape.Library(lib, cancellationToken), cancellationToken))
                            .Where(p => p.Contains("job_runs", StringComparison.Ordinal) || p.Contains("jobs", StringComparison.Ordinal))
                            .ToList();
                    }
                    catch (NotImplementedException)
                    {
                        // no plans: reported as such
                    }

                    await shape.Reference(references, cancellationToken); // a second page reads its first page once, unexplained
                    references.Plans = [];
                    await shape.Reference(references, cancellationToken);
                    report.QueryPlans.Add(new QueryPlans(engine.Name, shape.Name, plans, references.Plans));
                    references.Plans = null;
                }

                return 0;
            });
            log($"{engine.Name}: captured the plans of {shapes.Count} query shapes");
        }
        else
        {
            report.Notes.Add($"{engine.Name}: query plans not captured (the server's log is not readable).");
        }

        await engine.DropAsync(PlansDb, cancellationToken);
    }

    // The shapes, on the history template's data: 1,000 jobs history-00001..01000, runs spread over a year, ~1 % Failed
    // ("simulated failure: exit code 1"), ~0.26 % Cancelled ("cancelled by operator"), workers worker-0..15, durations
    // 1..119 s, every run a first attempt (so "retries only" matches nothing: the worst case of a first page).
    private static async Task<List<QueryShape>> ShapesAsync(BenchDatabase engine, string database, CancellationToken cancellationToken)
    {
        DateTimeOffset first;
        long jobId;
        await using (var connection = await engine.OpenAsync(database, cancellationToken))
        {
            await using var command = Sql.Create(connection, null, "SELECT min(enqueued_at) FROM job_runs WHERE client_id = @client", [("client", BenchDatabase.Client)]);
            first = BenchDatabase.ReadTime((await command.ExecuteScalarAsync(cancellationToken))!);
            jobId = await Sql.ScalarAsync<long>(connection, null, "SELECT id FROM jobs WHERE client_id = @client AND name = 'history-00500'", cancellationToken, ("client", BenchDatabase.Client));
        }

        var target = engine is PostgresBench ? 20.0 : 50.0;
        var day = Timeline.BucketStart(first.AddDays(180), TimelineBucket.Day);
        var job = new JobId(jobId);
        var failed = new HashSet<RunStatus> { RunStatus.Failed };
        var finishedDay = new RunFilter { FinishedFrom = day, FinishedTo = day.AddDays(1) };
        var shapes = new List<QueryShape>();
        foreach (var orderBy in (RunTimestamp[])[RunTimestamp.Enqueued, RunTimestamp.Started, RunTimestamp.Finished])
        {
            foreach (var direction in (SortDirection[])[SortDirection.NewestFirst, SortDirection.OldestFirst])
            {
                shapes.Add(Runs("ordering", $"no filter, {orderBy} {(direction == SortDirection.NewestFirst ? "newest" : "oldest")} first", new RunSearch { OrderBy = orderBy, Direction = direction }, target));
            }
        }

        (string Name, RunFilter Filter, RunTimestamp OrderBy)[] singles =
        [
            ("status Failed", new RunFilter { Statuses = failed }, RunTimestamp.Enqueued),
            ("status Cancelled", new RunFilter { Statuses = new HashSet<RunStatus> { RunStatus.Cancelled } }, RunTimestamp.Enqueued),
            ("status Succeeded", new RunFilter { Statuses = new HashSet<RunStatus> { RunStatus.Succeeded } }, RunTimestamp.Enqueued),
            ("job id (1,000 runs)", new RunFilter { JobIds = [job] }, RunTimestamp.Enqueued),
            ("job name (1,000 runs)", new RunFilter { JobName = "history-00500" }, RunTimestamp.Enqueued),
            ("job name prefix (10 jobs)", new RunFilter { JobNamePrefix = "history-0012" }, RunTimestamp.Enqueued),
            ("worker (1/16 of the runs)", new RunFilter { WorkerId = "worker-3" }, RunTimestamp.Enqueued),
            ("retries only (none in the template)", RunFilter.Retries, RunTimestamp.Enqueued),
            ("enqueued in one day, enqueued order", new RunFilter { EnqueuedFrom = day, EnqueuedTo = day.AddDays(1) }, RunTimestamp.Enqueued),
            ("started in one day, started order", new RunFilter { StartedFrom = day, StartedTo = day.AddDays(1) }, RunTimestamp.Started),
            ("finished in one day, finished order", finishedDay, RunTimestamp.Finished),
            ("duration >= 100 s (1/6 of the runs)", new RunFilter { MinDuration = TimeSpan.FromSeconds(100) }, RunTimestamp.Enqueued),
            ("error contains 'OPERATOR' (0.26 %)", new RunFilter { ErrorContains = "OPERATOR" }, RunTimestamp.Enqueued),
            ("error contains 'Exit Code' (1 %)", new RunFilter { ErrorContains = "Exit Code" }, RunTimestamp.Enqueued),
            ("error contains 'timeout' (none)", new RunFilter { ErrorContains = "timeout" }, RunTimestamp.Enqueued),
        ];
        shapes.AddRange(singles.Select(s => Runs("single filter", s.Name, new RunSearch { Filter = s.Filter, OrderBy = s.OrderBy }, target)));
        shapes.Add(Runs("combination", "status Failed + finished in one day, finished order", new RunSearch { Filter = finishedDay with { Statuses = failed }, OrderBy = RunTimestamp.Finished }, target));
        shapes.Add(Runs("combination", "job id + status Failed", new RunSearch { Filter = new RunFilter { JobIds = [job], Statuses = failed } }, target));
        shapes.Add(Runs("combination", "job name prefix + finished in one day, finished order", new RunSearch { Filter = finishedDay with { JobNamePrefix = "history-0012" }, OrderBy = RunTimestamp.Finished }, target));
        // A prefix matching many jobs (the names are zero-padded: history-001 is history-00100..00199), and the dashboard
        // benchmark's prefix history-1, which no job of this template starts with (history-1000 is history-01000).
        var succeeded = new HashSet<RunStatus> { RunStatus.Succeeded };
        var manyJobs = new RunSearch { Filter = new RunFilter { JobNamePrefix = "history-001", Statuses = succeeded }, OrderBy = RunTimestamp.Finished };
        shapes.Add(Runs("combination", "job name prefix (100 jobs) + status Succeeded, finished order", manyJobs, target));
        shapes.Add(Runs("combination", "job name prefix history-1 (no job) + status Succeeded, finished order", manyJobs with { Filter = manyJobs.Filter with { JobNamePrefix = "history-1" } }, target));
        shapes.Add(Runs("combination", "worker + status Failed", new RunSearch { Filter = new RunFilter { WorkerId = "worker-3", Statuses = failed } }, target));
        shapes.Add(SecondPage("no filter, enqueued newest first", new RunSearch(), target));
        shapes.Add(SecondPage("status Failed", new RunSearch { Filter = new RunFilter { Statuses = failed } }, target));
        shapes.Add(SecondPage("finished in one day, finished order", new RunSearch { Filter = finishedDay, OrderBy = RunTimestamp.Finished }, target));
        shapes.Add(SecondPage("job name prefix (100 jobs) + status Succeeded, finished order", manyJobs, target));
        shapes.Add(Runs("total", "no filter + IncludeTotal", new RunSearch { IncludeTotal = true }, null));
        shapes.Add(Runs("total", "status Failed + IncludeTotal", new RunSearch { Filter = new RunFilter { Statuses = failed }, IncludeTotal = true }, null));
        shapes.Add(Runs("total", "finished in one day + IncludeTotal, finished order", new RunSearch { Filter = finishedDay, OrderBy = RunTimestamp.Finished, IncludeTotal = true }, null));
        shapes.Add(Jobs("name contains '0050' (11 jobs)", new JobFilter { NameContains = "0050" }));
        shapes.Add(Jobs("latest status Failed (none)", new JobFilter { LatestStatuses = failed }));
        shapes.Add(Jobs("has a schedule (none)", new JobFilter { HasSchedule = true }));
        shapes.Add(Jobs("has dependents (none)", new JobFilter { HasDependents = true }));
        shapes.Add(Statistics("one day, one job", new StatisticsQuery(day, day.AddDays(1)) { JobIds = [job] }, 50));
        shapes.Add(Statistics("one day, every job", new StatisticsQuery(day, day.AddDays(1)), null));
        shapes.Add(Statistics("30 days, every job, hour buckets", new StatisticsQuery(day, day.AddDays(30)) { Bucket = TimelineBucket.Hour }, null));
        return shapes;
    }

    private static QueryShape Runs(string group, string name, RunSearch search, double? target) => new(
        group,
        name,
        target,
        async (lib, ct) => Ids(await lib.History.SearchRunsAsync(search, ct)),
        (references, ct) => references.SearchRunsAsync(search, null, all: false, ct));

    // The page after the first: the first page is read once (the first warm-up call), its cursor kept; no next page, no rows.
    private static QueryShape SecondPage(string name, RunSearch search, double? target)
    {
        (PageCursor? Next, bool Read) cursor = (null, false);
        (ReferencePosition? Last, bool Read) after = (null, false);
        return new(
            "page 2",
            name + ", second page",
            target,
            async (lib, ct) =>
            {
                if (!cursor.Read)
                {
                    cursor = ((await lib.History.SearchRunsAsync(search, ct)).Next, true);
                }

                return cursor.Next is { } next ? Ids(await lib.History.SearchRunsAsync(search with { Cursor = next }, ct)) : [];
            },
            async (references, ct) =>
            {
                if (!after.Read)
                {
                    var first = await references.SearchRunsAsync(search, null, all: false, ct);
                    after = (first.Ids.Count == search.Limit ? first.Last : null, true);
                }

                return after.Last is { } last ? await references.SearchRunsAsync(search, last, all: false, ct) : new ReferenceResult([], 0, null);
            });
    }

    private static QueryShape Jobs(string name, JobFilter filter)
    {
        var search = new JobSearch { Filter = filter };
        return new(
            "jobs",
            name,
            null,
            async (lib, ct) => (await lib.History.SearchJobsAsync(search, ct)).Items.Select(j => j.Job.Id.Value).ToArray(),
            (references, ct) => references.SearchJobsAsync(search, ct));
    }

    private static QueryShape Statistics(string name, StatisticsQuery query, double? target) => new(
        "statistics",
        name,
        target,
        async (lib, ct) =>
        {
            var s = await lib.History.GetStatisticsAsync(query, ct);
            var (overall, queue) = (s.Overall, s.Queue);
            return
            [
                overall.Succeeded, overall.Failed, overall.Cancelled, s.PerJob.Count, s.Timeline.Count,
                ReferenceQueries.Milliseconds(overall.Durations?.P50.TotalSeconds ?? double.NaN),
                ReferenceQueries.Milliseconds(overall.Durations?.P95.TotalSeconds ?? double.NaN),
                s.PerJob.Sum(j => ReferenceQueries.Milliseconds(j.Runs.Durations?.P95.TotalSeconds ?? double.NaN)),
                queue.Ready, queue.WaitingOnUpstream, queue.ScheduledLater, queue.Running,
            ];
        },
        (references, ct) => references.StatisticsAsync(query, TimeProvider.System.GetUtcNow(), ct));

    private static long[] Ids(Page<RunWithJobName> page) =>
        page.Total is { } total ? [.. page.Items.Select(i => i.Run.Id.Value), total] : page.Items.Select(i => i.Run.Id.Value).ToArray();

    // Warm-up, then --query-calls calls of each side, alternating which goes first; checks both found the same rows.
    private async Task MeasureAsync(string provider, QueryShape shape, IOrderLib lib, ReferenceQueries references, int round, CancellationToken cancellationToken)
    {
        var (libraryMs, referenceMs) = (new List<double>(), new List<double>());
        IReadOnlyList<long>? libraryIds = null;
        ReferenceResult? reference = null;
        string? problem = null;
        for (var call = -WarmUpCalls; call < settings.QueryCalls; call++)
        {
            foreach (var library in call % 2 == 0 ? (bool[])[true, false] : [false, true])
            {
                if (library && problem is not null)
                {
                    continue;
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (library)
                    {
                        libraryIds = await shape.Library(lib, cancellationToken);
                    }
                    else
                    {
                        reference = await shape.Reference(references, cancellationToken);
                    }
                }
                catch (NotImplementedException)
                {
                    problem = "not implemented in the store yet";
                    continue;
                }

                if (call >= 0)
                {
                    (library ? libraryMs : referenceMs).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        if (problem is null && libraryIds is not null && reference is not null && !libraryIds.SequenceEqual(reference.Ids))
        {
            problem = $"ROWS DIFFER: library [{Head(libraryIds)}] ({libraryIds.Count}), reference [{Head(reference.Ids)}] ({reference.Ids.Count})";
        }

        var result = new QueryResult(provider, shape.Group, shape.Name, round, libraryMs, referenceMs, libraryIds?.Count, reference?.Rows ?? 0, problem, shape.TargetMs);
        report.Queries.Add(result);
        log(string.Create(
            CultureInfo.InvariantCulture,
            $"{provider} query '{shape.Name}' round {round}: OrderLib p50 {Percentiles.Of(libraryMs, 0.5):0.00} ms, reference p50 {Percentiles.Of(referenceMs, 0.5):0.00} ms, {reference?.Rows ?? 0} rows{(problem is null ? string.Empty : "; " + problem)}"));

        static string Head(IReadOnlyList<long> ids) => string.Join(", ", ids.Take(4)) + (ids.Count > 4 ? ", ..." : string.Empty);
    }

    // Every run, newest enqueued first: StreamRunsAsync against one raw reader of the same query, in alternating order.
    private async Task StreamAsync(string provider, IOrderLib lib, ReferenceQueries references, int round, (List<double> Library, List<double> Reference, List<double> Ratio) samples, CancellationToken cancellationToken)
    {
        var rates = new Dictionary<bool, double>();
        foreach (var library in round % 2 == 1 ? (bool[])[true, false] : [false, true])
        {
            var started = Stopwatch.GetTimestamp();
            long rows = 0;
            if (library)
            {
                try
                {
                    await foreach (var _ in lib.History.StreamRunsAsync(new RunSearch(), cancellationToken))
                    {
                        rows++;
                    }
                }
                catch (Exception ex) when (ex is NotImplementedException or OrderLibValidationException)
                {
                    var note = $"{provider}: StreamRunsAsync failed: {ex.GetType().Name}: {ex.Message}";
                    if (!report.Notes.Contains(note))
                    {
                        report.Notes.Add(note);
                    }

                    continue;
                }
            }
            else
            {
                rows = (await references.SearchRunsAsync(new RunSearch(), null, all: true, cancellationToken)).Rows;
            }

            rates[library] = rows / Stopwatch.GetElapsedTime(started).TotalSeconds;
            log(string.Create(CultureInfo.InvariantCulture, $"{provider} stream round {round}, {(library ? "StreamRunsAsync" : "raw reader")}: {rows:N0} rows, {rates[library]:N0} rows/s"));
        }

        samples.Reference.Add(rates[false]);
        if (rates.TryGetValue(true, out var rate))
        {
            samples.Library.Add(rate);
            samples.Ratio.Add(rate / rates[false]);
        }
    }
}
