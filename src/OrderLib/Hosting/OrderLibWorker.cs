using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// A hosted worker that executes OrderLib runs: it claims ready runs through <see cref="WorkerRunService"/> while it has
/// free slots, runs the job's handler for each, keeps their leases alive with heartbeats, reports each outcome, and
/// rescues runs whose worker is gone. Registered by <c>AddWorker</c>; one instance per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>It wires four parts: a producer that claims for the free slots, an executor per run (scope, handler,
/// heartbeats, cancellation), a completer that records the executors' outcomes, and a rescuer; see the hosting README.</item>
/// <item>At most <see cref="OrderLibWorkerOptions.Concurrency"/> runs execute at once. The worker claims for its free
/// slots and, when its handlers finish faster than a claim round trip, for up to
/// <see cref="OrderLibWorkerOptions.MaxClaimAhead"/> more runs that wait in memory for a slot (as many as it expects to
/// start within one claim round trip); with slower handlers it claims only for free slots.</item>
/// <item>While there is no work it polls at <see cref="OrderLibWorkerOptions.IdlePollIntervalMin"/>, doubling up to
/// <see cref="OrderLibWorkerOptions.IdlePollIntervalMax"/> (up to <see cref="OrderLibWorkerOptions.NotifiedIdlePollInterval"/>
/// when the store pushes notifications from every process); it claims again at once when it finds work, when one of its
/// runs ends (which frees a slot and may have made dependent runs ready), and when a write of this process, or a
/// notification of the store, says runs may be ready.</item>
/// <item>A handler's token fires when cancellation of its run is requested (learned at a heartbeat), when the worker
/// lost the run's lease (another worker or an operator ended it), and when a shutdown's grace period runs out.</item>
/// <item>Outcomes: a handler that returns is reported Succeeded; one that throws is reported Failed with
/// "&lt;exception type&gt;: &lt;message&gt;"; one stopped by a cancel request is reported Cancelled. Nothing is
/// reported for a lost lease, or for a run abandoned at shutdown (it is rescued once its lease expires). A report
/// refused because the lease was lost meanwhile is logged and dropped.</item>
/// <item>Stopping: the worker stops claiming, runs the claimed runs still waiting for a slot and waits for every handler
/// up to <see cref="OrderLibWorkerOptions.ShutdownTimeout"/> (and no longer than the host allows), then cancels the rest
/// (runs not started by then are left to be rescued), and records the outcomes it has.</item>
/// <item>Every wait (idle polling, heartbeats, rescue interval, shutdown timeout) uses the <see cref="TimeProvider"/>
/// registered in DI, like the services do; with a fake time provider, advance it to make the worker move.</item>
/// </list>
/// </remarks>
public sealed class OrderLibWorker : BackgroundService
{
    private readonly OrderLibWorkerOptions _options;
    private readonly WorkerRunService _queue;
    private readonly TimeProvider _time;
    private readonly IOptions<OrderLibOptions> _orderLibOptions;
    private readonly ILogger<OrderLibWorker> _logger;
    private readonly IServiceScopeFactory _scopes;
    private readonly OrderLibWorkerHeartbeats? _heartbeats;
    private readonly ConcurrentDictionary<RunId, Task> _inFlight = new();
    private readonly CancellationTokenSource _abandon = new();

    // Claimed runs waiting for a slot, and the lock under which a slot is taken (so never more than Concurrency run).
    private readonly Queue<(ClaimedRun Run, ActivityContext ClaimSpan)> _waiting = new();
    private readonly Lock _slots = new();

    private WorkerDependencies? _worker;
    private WorkerProducer? _producer;
    private WorkerCompleter? _completer;
    private ClaimAhead? _ahead;
    private IDisposable? _readyRuns;
    private CancellationToken _stopping;
    private int _running;

    /// <summary>Creates the worker; <c>AddWorker</c> does this. Options are checked in <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    internal OrderLibWorker(
        OrderLibWorkerOptions options,
        WorkerRunService queue,
        TimeProvider time,
        IOptions<OrderLibOptions> orderLibOptions,
        ILogger<OrderLibWorker> logger,
        IServiceScopeFactory scopes,
        OrderLibWorkerHeartbeats? heartbeats = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(orderLibOptions);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(scopes);
        _options = options;
        _queue = queue;
        _time = time;
        _orderLibOptions = orderLibOptions;
        _logger = logger;
        _scopes = scopes;
        _heartbeats = heartbeats;
    }

    /// <summary>The worker id the runs it holds carry.</summary>
    public string WorkerId => _worker?.Settings.WorkerId.Value ?? _options.WorkerId;

    /// <summary>How many runs the worker is executing now.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Checks the options and starts claiming.</summary>
    /// <exception cref="OrderLibConfigurationException">An option is invalid or no handler is registered; the message says which.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = WorkerSettings.From(_options, _orderLibOptions.Value.LeaseDuration);
        _worker = new WorkerDependencies(settings, _queue, _time, _logger, _heartbeats);
        _ahead = new ClaimAhead(settings.Concurrency, settings.MaxClaimAhead);
        _producer = new WorkerProducer(_worker, () => settings.Concurrency + _ahead.Runs - RunningCount - WaitingCount, Accept, _ahead);
        _completer = new WorkerCompleter(_worker, () => RunningCount, _producer.Wake);
        _readyRuns = _queue.Ready.Listen(_producer.Wake, settings.Clients);
        WorkerLog.Starting(_logger, settings.WorkerId, settings.Concurrency, settings.BatchSize, settings.HeartbeatInterval, settings.RescueInterval, settings.Clients);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Stops claiming and waits for running handlers (see the remarks on <see cref="OrderLibWorker"/>); cancels them when <paramref name="cancellationToken"/> fires first.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(static state => ((OrderLibWorker)state!).Abandon("the host stopped waiting"), this))
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        // base.StopAsync returns as soon as the token fires, possibly before the registration above ran.
        if (cancellationToken.IsCancellationRequested)
        {
            Abandon("the host stopped waiting");
        }
    }

    /// <summary>Releases the worker's cancellation source.</summary>
    public override void Dispose()
    {
        base.Dispose();
        _abandon.Dispose();
    }

    /// <summary>Runs the producer, the completer and the rescuer until the host stops, then drains the running handlers and records their outcomes.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var worker = _worker ?? throw new InvalidOperationException("The worker has not started.");
        var producer = _producer!;
        var completer = _completer!;
        _stopping = stoppingToken;
        var completing = completer.RunAsync(_abandon.Token);
        var rescuing = new WorkerRescuer(worker, producer.Wake).RunAsync(stoppingToken);
        try
        {
            await producer.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await DrainAsync(worker.Settings).ConfigureAwait(false);
            completer.Complete();
            await completing.ConfigureAwait(false);
            await rescuing.ConfigureAwait(false);
            _readyRuns?.Dispose();
            _heartbeats?.Stopped(WorkerId);
            WorkerLog.Stopped(_logger, WorkerId);
        }
    }

    private int WaitingCount
    {
        get
        {
            lock (_slots)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Takes the producer's claimed runs: they wait in claim order for a slot, and start at once where one is free.</summary>
    private void Accept(IReadOnlyList<ClaimedRun> claimed, ActivityContext claimSpan)
    {
        lock (_slots)
        {
            foreach (var run in claimed)
            {
                _waiting.Enqueue((run, claimSpan));
            }
        }

        StartWaiting();
    }

    /// <summary>Starts waiting runs while slots are free, unless the worker abandoned its runs.</summary>
    private void StartWaiting()
    {
        while (true)
        {
            (ClaimedRun Run, ActivityContext ClaimSpan) next;
            lock (_slots)
            {
                if (_waiting.Count == 0 || _running >= _worker!.Settings.Concurrency || _abandon.IsCancellationRequested)
                {
                    return;
                }

                next = _waiting.Dequeue();
                _running++;
            }

            Launch(next.Run, next.ClaimSpan);
        }
    }

    /// <summary>Starts an executor for <paramref name="claimed"/> in the slot taken for it; its outcome goes to the completer.</summary>
    private void Launch(ClaimedRun claimed, ActivityContext claimSpan)
    {
        var worker = _worker!;
        var executor = new RunExecutor(worker, claimed, _options.Find(claimed.JobName), _scopes, _stopping, _abandon.Token, claimSpan);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inFlight[claimed.Run.Id] = done.Task;
        _ = Task.Run(async () =>
        {
            ExecutedRun? outcome = null;
            var startedAt = ClaimAhead.Now();
            try
            {
                outcome = await executor.ExecuteAsync().ConfigureAwait(false);
            }
            finally
            {
                _ahead!.HandlerEnded(startedAt);
                executor.Dispose();
                lock (_slots)
                {
                    _running--;
                }

                // A run waiting for a slot takes this one before the entry goes, so a drain never sees neither.
                StartWaiting();
                _inFlight.TryRemove(claimed.Run.Id, out _);
                done.TrySetResult();

                // The slot is free now: claim for it while the outcome is recorded (the completer wakes the producer again
                // once it is, for the dependents it made ready). Claims read their time inside their transaction, so an
                // early claim never starts a run before an upstream success it sees.
                if (outcome is not null)
                {
                    _completer!.Add(outcome);
                }

                _producer!.Wake();
            }
        });
    }

    /// <summary>
    /// Runs the claimed runs still waiting for a slot and waits for every handler, up to the shutdown timeout (or until the
    /// host stops waiting); then cancels the running ones and leaves the waiting ones to be rescued.
    /// </summary>
    private async Task DrainAsync(WorkerSettings settings)
    {
        if (_inFlight.IsEmpty && WaitingCount == 0)
        {
            return;
        }

        WorkerLog.Draining(_logger, settings.WorkerId, settings.ShutdownTimeout, _inFlight.Count + WaitingCount);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token))
        {
            var timeout = Task.Delay(settings.ShutdownTimeout, _time, wait.Token);
            while (!timeout.IsCompleted)
            {
                StartWaiting();
                var running = _inFlight.Values.ToArray();
                if (running.Length == 0 && WaitingCount == 0)
                {
                    break;
                }

                await Task.WhenAny(Task.WhenAll(running), timeout).ConfigureAwait(false);
            }

            await wait.CancelAsync().ConfigureAwait(false);
        }

        if (!_inFlight.IsEmpty || WaitingCount > 0)
        {
            Abandon($"the shutdown timeout of {settings.ShutdownTimeout} ran out");
            await Task.WhenAll(_inFlight.Values.ToArray()).ConfigureAwait(false);
        }
    }

    /// <summary>Fires every running handler's token (once); their runs are left to be rescued.</summary>
    private void Abandon(string why)
    {
        if (_abandon.IsCancellationRequested)
        {
            return;
        }

        var count = _inFlight.Count;
        if (count > 0)
        {
            WorkerLog.Abandoning(_logger, WorkerId, count, why);
        }

        try
        {
            _abandon.Cancel();
            var unstarted = WaitingCount;
            if (unstarted > 0)
            {
                WorkerLog.LeftUnstarted(_logger, WorkerId, unstarted, why);
            }
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile: nothing is running any more
        }
    }
}
