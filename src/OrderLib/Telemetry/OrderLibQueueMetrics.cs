using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Feeds the <c>orderlib.queue.ready</c> and <c>orderlib.queue.oldest_ready_age</c> gauges from the history statistics'
/// queue depth (<see cref="IHistoryStore.GetStatisticsAsync"/>, per client of <see cref="IHistoryStore.ListClientsAsync"/>).
/// A scrape never waits on the database: it reports the last values read, and when they are older than
/// <see cref="OrderLibOptions.QueueMetricsRefreshInterval"/> it starts one background refresh (never two at once), whose
/// values the next scrape reports. So however often metrics are scraped, the database sees at most one read per client
/// per interval, and none while nothing scrapes. Registered by <c>AddOrderLib</c>; the hosted worker and
/// <c>AddOrderLibInstrumentation</c> resolve it, which switches the gauges on for that container.
/// </summary>
public sealed class OrderLibQueueMetrics : IDisposable
{
    private static readonly ConcurrentDictionary<OrderLibQueueMetrics, byte> Active = new();

    private readonly IHistoryStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private IReadOnlyList<(ClientId Client, QueueDepth Depth, DateTimeOffset At)> _last = [];
    private long _readAtTicks = DateTimeOffset.MinValue.UtcTicks;
    private int _refreshing;

    /// <summary>Creates the feed and switches it on (until disposed).</summary>
    /// <param name="store">Where the queue depth is read.</param>
    /// <param name="time">The clock.</param>
    /// <param name="refreshInterval">The least time between two reads of the database; positive.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refreshInterval"/> is not positive.</exception>
    public OrderLibQueueMetrics(IHistoryStore store, TimeProvider time, TimeSpan refreshInterval)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refreshInterval, TimeSpan.Zero);
        _store = store;
        _time = time;
        _interval = refreshInterval;
        Instrumentation.EnsureCreated();
        Active.TryAdd(this, 0);
    }

    /// <summary>When the values reported now were read; <see cref="DateTimeOffset.MinValue"/> before the first read.</summary>
    public DateTimeOffset ReadAt => new(Interlocked.Read(ref _readAtTicks), TimeSpan.Zero);

    /// <summary>The queue depth per client as last read (empty before the first read).</summary>
    public IReadOnlyList<(ClientId Client, QueueDepth Depth)> Last => Volatile.Read(ref _last).Select(l => (l.Client, l.Depth)).ToList();

    /// <summary>Reads the queue depth of every client now (what a background refresh does).</summary>
    /// <exception cref="OrderLibDatabaseUnavailableException">The database cannot be reached.</exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var now = OrderLibClock.Now(_time);
        var clients = await _store.ListClientsAsync(cancellationToken).ConfigureAwait(false);
        var query = new StatisticsQuery(now.AddMinutes(-1), now) { Bucket = TimelineBucket.Minute };
        var depths = new List<(ClientId, QueueDepth, DateTimeOffset)>(clients.Count);
        foreach (var client in clients)
        {
            var statistics = await _store.GetStatisticsAsync(client, query, now, cancellationToken).ConfigureAwait(false);
            depths.Add((client, statistics.Queue, now));
        }

        Volatile.Write(ref _last, depths);
        Interlocked.Exchange(ref _readAtTicks, now.UtcTicks);
    }

    /// <summary>Switches the feed off.</summary>
    public void Dispose() => Active.TryRemove(this, out _);

    internal static IEnumerable<Measurement<long>> ObserveReady()
    {
        foreach (var feed in Active.Keys)
        {
            foreach (var (client, depth, _) in feed.Current())
            {
                yield return new Measurement<long>(depth.Ready, new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.Client, client.Value));
            }
        }
    }

    internal static IEnumerable<Measurement<double>> ObserveOldestReadyAge()
    {
        foreach (var feed in Active.Keys)
        {
            foreach (var (client, depth, at) in feed.Current())
            {
                var age = depth.OldestReadySince is { } since && at > since ? (at - since).TotalSeconds : 0;
                yield return new Measurement<double>(age, new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.Client, client.Value));
            }
        }
    }

    // The last values, starting a background refresh when they are stale.
    private IReadOnlyList<(ClientId Client, QueueDepth Depth, DateTimeOffset At)> Current()
    {
        if (_time.GetUtcNow() - ReadAt >= _interval && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RefreshAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Unreadable now (an outage): keep the last values; the next scrape after the interval tries again.
                    Interlocked.Exchange(ref _readAtTicks, _time.GetUtcNow().UtcTicks);
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            });
        }

        return Volatile.Read(ref _last);
    }
}
