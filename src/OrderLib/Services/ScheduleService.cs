using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Turns schedules into runs: call <see cref="EnqueueDueAsync"/> on time (the hosted scheduler in OrderLib.Hosting
/// does) from one process or several. Registered by <c>AddOrderLib</c>.
/// </summary>
public sealed class ScheduleService
{
    private readonly IScheduleStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ReadyRunsSignal _ready;

    /// <summary>Creates the service over the registered store; host apps resolve it from DI instead.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ScheduleService(IScheduleStore store, TimeProvider timeProvider)
        : this(store, timeProvider, new ReadyRunsSignal())
    {
    }

    /// <summary>Creates the service that wakes this process's workers through <paramref name="ready"/> after enqueuing due runs.</summary>
    internal ScheduleService(IScheduleStore store, TimeProvider timeProvider, ReadyRunsSignal ready)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _timeProvider = timeProvider;
        _ready = ready;
    }

    /// <summary>
    /// Enqueues a run for every scheduled job due now (up to <paramref name="limit"/>), each occurrence once even with
    /// concurrent callers; occurrences missed during downtime collapse into one run; a job with an active run keeps it.
    /// </summary>
    /// <param name="limit">How many due jobs at most, 1 to 1000; call again while the result is full.</param>
    /// <param name="clients">The clients served; null for <see cref="Clients.All"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range.</exception>
    public Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueAsync(int limit = 100, Clients? clients = null, CancellationToken cancellationToken = default)
    {
        Paging.CheckLimit(limit);
        return _ready.RaiseAfter(_store.EnqueueDueRunsAsync(OrderLibClock.Now(_timeProvider), clients ?? Clients.All, limit, cancellationToken), enqueued => !enqueued.Any(e => e.Enqueue.Created));
    }

    /// <summary>The earliest time a scheduled job of the clients (null: <see cref="Clients.All"/>) is due, or null when none is scheduled.</summary>
    public Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients? clients = null, CancellationToken cancellationToken = default) =>
        _store.GetEarliestDueAtAsync(clients ?? Clients.All, cancellationToken);
}
