using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// What workers call: claim ready runs of every client (or of a chosen set), heartbeat, report outcomes, rescue runs of
/// lost workers. Registered by <c>AddOrderLib</c>; every call proves ownership with the worker id (fencing), so a slow
/// worker can never overwrite the outcome of a run's next owner.
/// </summary>
public sealed class WorkerRunService
{
    private readonly IRunQueueStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly OrderLibOptions _options;

    /// <summary>Creates the queue over the registered store; host apps resolve it from DI instead.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public WorkerRunService(IRunQueueStore store, TimeProvider timeProvider, OrderLibOptions options)
        : this(store, timeProvider, options, new ReadyRunsSignal())
    {
    }

    /// <summary>Creates the queue that wakes this process's workers through <paramref name="ready"/> after every recorded outcome.</summary>
    internal WorkerRunService(IRunQueueStore store, TimeProvider timeProvider, OrderLibOptions options, ReadyRunsSignal ready)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _timeProvider = timeProvider;
        _options = options;
        Ready = ready;
    }

    /// <summary>Raised after every recorded outcome and rescue (dependents or retries may be ready); the hosted workers listen to it.</summary>
    internal ReadyRunsSignal Ready { get; }

    /// <summary>How long a claim or heartbeat holds a run.</summary>
    public TimeSpan LeaseDuration => _options.LeaseDuration;

    /// <summary>Claims up to <paramref name="limit"/> ready runs (highest job priority first, then oldest) for the worker, leased for <see cref="LeaseDuration"/>.</summary>
    /// <param name="workerId">Who claims.</param>
    /// <param name="limit">How many runs at most, 1 to 1000.</param>
    /// <param name="clients">The clients served; null for <see cref="Clients.All"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="OrderLibValidationException">The limit is out of range.</exception>
    public Task<IReadOnlyList<ClaimedRun>> ClaimAsync(WorkerId workerId, int limit, Clients? clients = null, CancellationToken cancellationToken = default)
    {
        Paging.CheckLimit(limit);
        return _store.ClaimRunsAsync(new ClaimRequest(workerId, clients ?? Clients.All, limit, _timeProvider, _options.LeaseDuration), cancellationToken);
    }

    /// <summary>Extends the worker's lease on the run by <see cref="LeaseDuration"/> from now; the result says whether to stop.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The worker no longer holds the run; it must stop working on it.</exception>
    public Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, CancellationToken cancellationToken = default)
    {
        var now = OrderLibClock.Now(_timeProvider);
        return _store.HeartbeatAsync(runId, workerId, now, OrderLibClock.LeaseEnd(now, _options.LeaseDuration), cancellationToken);
    }

    /// <summary>The worker reports its run Succeeded.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The worker no longer holds the run; nothing changed.</exception>
    public Task<RunCompletion> ReportSucceededAsync(RunId runId, WorkerId workerId, CancellationToken cancellationToken = default) =>
        ReportSucceededAsync(runId, workerId, null, cancellationToken);

    /// <summary>The worker reports its run Succeeded with <paramref name="output"/>, which is written only when the worker still holds the run.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="workerId">The worker that holds it.</param>
    /// <param name="output">What the run produced, read by its dependents' handlers and through <see cref="RunService.GetPayloadsAsync"/>; null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The worker no longer holds the run; nothing changed (the output is not written).</exception>
    public Task<RunCompletion> ReportSucceededAsync(RunId runId, WorkerId workerId, RunPayload? output, CancellationToken cancellationToken = default) =>
        Report(runId, workerId, RunStatus.Succeeded, null, output, cancellationToken);

    /// <summary>
    /// The worker reports its run Failed; it is retried after a backoff while attempts remain. The error text is checked
    /// before the run is looked up and stored capped at <see cref="TextRules.MaxReportLength"/> (8,000) characters (text
    /// elements): a longer one keeps its head and ends in <c>… [truncated: N characters in all]</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="errorText"/> is null.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="errorText"/> holds a NUL or a lone surrogate; nothing changed.</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The worker no longer holds the run; nothing changed.</exception>
    public Task<RunCompletion> ReportFailedAsync(RunId runId, WorkerId workerId, string errorText, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(errorText);
        return Report(runId, workerId, RunStatus.Failed, TextRules.CapReport(errorText, nameof(errorText), "An error text"), null, cancellationToken);
    }

    /// <summary>
    /// The worker reports that it stopped the run because cancellation was requested (or for its own reason). The reason is
    /// checked and capped like an error text (see <see cref="ReportFailedAsync"/>).
    /// </summary>
    /// <exception cref="OrderLibValidationException"><paramref name="reason"/> holds a NUL or a lone surrogate; nothing changed.</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The worker no longer holds the run; nothing changed.</exception>
    public Task<RunCompletion> ReportCancelledAsync(RunId runId, WorkerId workerId, string? reason = null, CancellationToken cancellationToken = default) =>
        Report(runId, workerId, RunStatus.Cancelled, TextRules.CapReport(reason, nameof(reason), "A cancel reason") ?? "cancelled on request", null, cancellationToken);

    /// <summary>
    /// Records many outcomes, of one worker or several, in one transaction and a constant number of statements: each run
    /// ends as its single report would end it (retry, cascade). An outcome whose run its worker no longer holds changes
    /// nothing and comes back with <see cref="OutcomeResult.Lost"/> set; the others are recorded. The hosted worker
    /// reports through this in batches.
    /// </summary>
    /// <returns>One result per outcome, in the order given.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="outcomes"/> is null.</exception>
    /// <exception cref="ArgumentException">Two outcomes name the same run, a status is not Succeeded, Failed or Cancelled, or an output comes with a status other than Succeeded; nothing changed.</exception>
    /// <exception cref="OrderLibValidationException">More than 1000 outcomes, or an error text or reason holds a NUL or a lone surrogate (texts longer than <see cref="TextRules.MaxReportLength"/> are stored capped).</exception>
    public Task<IReadOnlyList<OutcomeResult>> ReportOutcomesAsync(IReadOnlyList<RunOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        RunOutcome.CheckBatch(outcomes);
        if (outcomes.Count > Paging.MaxLimit)
        {
            throw new OrderLibValidationException(nameof(outcomes), $"A batch holds at most {Paging.MaxLimit} outcomes; got {outcomes.Count}.");
        }

        var checkedOutcomes = outcomes
            .Select(o => o.Status == RunStatus.Succeeded ? o : o with { Error = TextRules.CapReport(o.Error, nameof(outcomes), o.Status == RunStatus.Failed ? "An error text" : "A cancel reason") })
            .ToList();
        return Ready.RaiseAfter(_store.CompleteRunsAsync(checkedOutcomes, OrderLibClock.Now(_timeProvider), _options.RetryPolicy, cancellationToken), results => results.All(r => r.Completion is null));
    }

    /// <summary>Ends up to <paramref name="limit"/> runs whose lease expired ("worker lost"), retrying those with attempts left.</summary>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range (1 to 1000).</exception>
    public Task<IReadOnlyList<RunCompletion>> RescueExpiredAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        Ready.RaiseAfter(_store.RescueExpiredRunsAsync(OrderLibClock.Now(_timeProvider), _options.RetryPolicy, Paging.CheckLimit(limit), cancellationToken), rescued => rescued.Count == 0);

    private Task<RunCompletion> Report(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, RunPayload? output, CancellationToken cancellationToken) =>
        Ready.RaiseAfter(_store.CompleteRunAsync(runId, workerId, outcome, errorText, output, OrderLibClock.Now(_timeProvider), _options.RetryPolicy, cancellationToken));
}
