using System.Runtime.CompilerServices;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Searches, statistics and retention of one client's history. Obtain it from <see cref="IOrderLib.History"/>. Every
/// request is validated before anything is read or deleted, and a bad one is refused with an
/// <see cref="OrderLibValidationException"/> whose <see cref="OrderLibValidationException.ParamName"/> names the field.
/// </summary>
public sealed class HistoryService
{
    /// <summary>How many runs a stream reads per query.</summary>
    public const int StreamPageSize = 5000;

    private readonly OrderLibContext _context;

    internal HistoryService(OrderLibContext context) => _context = context;

    /// <summary>One page of the client's runs matching the search, in its order, with the cursor of the next page (and the total when asked).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="search"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The search is invalid (a filter rule, the page size, or a cursor of another listing or ordering).</exception>
    public async Task<Page<RunWithJobName>> SearchRunsAsync(RunSearch search, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        search.Validate();
        var runs = await _context.HistoryStore.SearchRunsAsync(_context.Client, search.Filter, search.OrderBy, search.Direction, search.Position, search.Limit + 1, cancellationToken);
        var page = Paging.ToPage(runs, search.Limit, search.CursorAfter);
        return search.IncludeTotal
            ? page with { Total = await _context.HistoryStore.CountRunsAsync(_context.Client, search.Filter, search.OrderBy, cancellationToken) }
            : page;
    }

    /// <summary>
    /// Every run matching the search, in its order, from its cursor on (its limit and total are ignored), read
    /// <see cref="StreamPageSize"/> at a time with short queries, so an export of any size holds neither a long transaction
    /// nor the whole result in memory. Runs added while it streams may or may not appear; none appears twice.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="search"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The search is invalid; thrown when the enumeration starts, before anything is read.</exception>
    public async IAsyncEnumerable<RunWithJobName> StreamRunsAsync(RunSearch search, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        search = (search with { Limit = Paging.MaxLimit }).Validate(); // the limit is ignored: any passes
        var position = search.Position;
        while (true)
        {
            var runs = await _context.HistoryStore.SearchRunsAsync(_context.Client, search.Filter, search.OrderBy, search.Direction, position, StreamPageSize, cancellationToken);
            foreach (var run in runs)
            {
                yield return run;
            }

            if (runs.Count < StreamPageSize)
            {
                yield break;
            }

            position = RunSearch.PositionOf(runs[^1].Run, search.OrderBy);
        }
    }

    /// <summary>One page of the client's jobs matching the search, in id order, each with its latest run.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="search"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The search is invalid (a filter rule, the page size, or a cursor of another listing).</exception>
    public async Task<Page<JobWithLatestRun>> SearchJobsAsync(JobSearch search, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        search.Validate();
        var jobs = await _context.HistoryStore.SearchJobsAsync(_context.Client, search.Filter, search.After, search.Limit + 1, cancellationToken);
        var page = Paging.ToPage(jobs, search.Limit, JobSearch.CursorAfter);
        return search.IncludeTotal
            ? page with { Total = await _context.HistoryStore.CountJobsAsync(_context.Client, search.Filter, cancellationToken) }
            : page;
    }

    /// <summary>
    /// Statistics of the runs that finished in the query's window: counts by status, success rate, attempts per success,
    /// durations (min, p50, p95, max) overall and per job, a timeline in buckets, and the queue depth now.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The query is invalid (window the wrong way round, too many buckets or job ids).</exception>
    public Task<HistoryStatistics> GetStatisticsAsync(StatisticsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return _context.HistoryStore.GetStatisticsAsync(_context.Client, query, _context.Now(), cancellationToken);
    }

    /// <summary>
    /// Deletes the client's finished runs that finished before <paramref name="olderThan"/>, keeping each job's
    /// <paramref name="keepLatestPerJob"/> newest runs and always its latest run, in batches of
    /// <see cref="PruneRequest.DefaultBatchSize"/> (see <see cref="PruneAsync(PruneRequest, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="OrderLibValidationException"><paramref name="keepLatestPerJob"/> is negative; nothing was deleted.</exception>
    public Task<PruneReport> PruneAsync(DateTimeOffset olderThan, int keepLatestPerJob = 0, CancellationToken cancellationToken = default) =>
        PruneAsync(new PruneRequest(olderThan, keepLatestPerJob), cancellationToken);

    /// <summary>
    /// Deletes the client's finished runs the request lets go, one short transaction per batch (so claims and completions
    /// never wait long behind it), pausing between batches as asked, and reports what went. Cancelling stops between
    /// batches: what earlier batches deleted stays deleted.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The request is invalid; nothing was deleted.</exception>
    public async Task<PruneReport> PruneAsync(PruneRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var counts = new SortedDictionary<long, (string Name, long Succeeded, long Failed, long Cancelled)>();
        var batches = 0;
        RunPosition? position = null;
        do
        {
            if (batches > 0 && request.PauseBetweenBatches > TimeSpan.Zero)
            {
                await Task.Delay(request.PauseBetweenBatches, _context.TimeProvider, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var batch = await _context.HistoryStore.PruneRunsAsync(_context.Client, request, position, cancellationToken);
            batches++;
            foreach (var run in batch.Deleted)
            {
                var (_, succeeded, failed, cancelled) = counts.GetValueOrDefault(run.JobId.Value);
                counts[run.JobId.Value] = run.Status switch
                {
                    RunStatus.Succeeded => (run.JobName, succeeded + 1, failed, cancelled),
                    RunStatus.Failed => (run.JobName, succeeded, failed + 1, cancelled),
                    _ => (run.JobName, succeeded, failed, cancelled + 1),
                };
            }

            position = batch.Next;
        }
        while (position is not null);

        return new PruneReport(
            request,
            batches,
            counts.Select(entry => new PrunedJob(new JobId(entry.Key), entry.Value.Name, entry.Value.Succeeded, entry.Value.Failed, entry.Value.Cancelled)).ToList());
    }
}
