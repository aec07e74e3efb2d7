using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// A hosted worker that executes OrderLib runs: it claims ready runs through <see cref="WorkerRunService"/> while it has
/// free slots, runs the job's handler for each, keeps their leases alive with heartbeats, reports each outcome, and
/// rescues runs whose worker is gone. Registered by <c>AddWorker</c>; one instance per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>At most <see cref="OrderLibWorkerOptions.Concurrency"/> runs execute at once; the worker claims only for free slots.</item>
/// <item>While there is no work it polls at <see cref="OrderLibWorkerOptions.IdlePollIntervalMin"/>, doubling up to
/// <see cref="OrderLibWorkerOptions.IdlePollIntervalMax"/>; it claims again at once when it finds work or when one of its
/// runs ends (which frees a slot and may have made dependent runs ready).</item>
/// <item>A handler's token fires when cancellation of its run is requested (learned at a heartbeat), when the worker
/// lost the run's lease (another worker or an operator ended it), and when a shutdown's grace period runs out.</item>
/// <item>Outcomes: a handler that returns is reported Succeeded; one that throws is reported Failed with
/// "&lt;exception type&gt;: &lt;message&gt;"; one stopped by a cancel request is reported Cancelled. Nothing is
/// reported for a lost lease, or for a run abandoned at shutdown (it is rescued once its lease expires). A report
/// refused because the lease was lost meanwhile is logged and dropped.</item>
/// <item>Stopping: the worker stops claiming, waits up to <see cref="OrderLibWorkerOptions.ShutdownTimeout"/> (and no
/// longer than the host allows) for running handlers, then cancels the rest.</item>
/// <item>Every wait (idle polling, heartbeats, rescue interval, shutdown timeout) uses the <see cref="TimeProvider"/>
/// registered in DI, like the services do; with a fake time provider, advance it to make the worker move.</item>
/// </list>
/// </remarks>
public sealed class OrderLibWorker : BackgroundService
{
    private const int RescueBatchSize = 100;
    private static readonly TimeSpan[] ReportRetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    private readonly OrderLibWorkerOptions _options;
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<RunId, RunExecution> _inFlight = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private WorkerSettings? _settings;
    private WorkerRunService? _queue;
    private TimeProvider _time = TimeProvider.System;
    private ILogger _logger = NullLogger.Instance;
    private CancellationToken _stopping;
    private int _running;

    /// <summary>Creates the worker; <c>AddWorker</c> does this. Options are checked in <see cref="StartAsync"/>.</summary>
    /// <param name="options">The worker's settings and handlers.</param>
    /// <param name="services">The application's root service provider.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OrderLibWorker(OrderLibWorkerOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _options = options;
        _services = services;
    }

    /// <summary>The worker id the runs it holds carry.</summary>
    public string WorkerId => _settings?.WorkerId.Value ?? _options.WorkerId;

    /// <summary>How many runs the worker is executing now.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Checks the options and starts claiming.</summary>
    /// <exception cref="OrderLibConfigurationException">An option is invalid, no handler is registered, or OrderLib has no store; the message says which.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var orderLibOptions = _services.GetService<Microsoft.Extensions.Options.IOptions<OrderLibOptions>>()?.Value
            ?? throw new OrderLibConfigurationException("AddWorker needs OrderLib: call services.AddOrderLib(...) with a store.");
        if (_services.GetService<IRunQueueStore>() is null)
        {
            throw new OrderLibConfigurationException("AddWorker needs a store: call UseSqlite, UsePostgres or UseInMemory on AddOrderLib().");
        }

        _settings = WorkerSettings.From(_options, orderLibOptions.LeaseDuration);
        _queue = _services.GetRequiredService<WorkerRunService>();
        _time = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = _services.GetService<ILoggerFactory>()?.CreateLogger<OrderLibWorker>() ?? NullLogger<OrderLibWorker>.Instance;
        _logger.LogInformation(
            "OrderLib worker {WorkerId} starting: concurrency {Concurrency}, batch {BatchSize}, heartbeat every {HeartbeatInterval}, rescue every {RescueInterval}, clients {Clients}",
            _settings.WorkerId,
            _settings.Concurrency,
            _settings.BatchSize,
            _settings.HeartbeatInterval,
            _settings.RescueInterval,
            _settings.Clients is null ? "(all)" : string.Join(", ", _settings.Clients));
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

    /// <summary>Runs the claim loop and the rescue loop until the host stops, then drains the running handlers.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var rescue = RescueLoopAsync(stoppingToken);
        try
        {
            await ClaimLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await DrainAsync().ConfigureAwait(false);
            await rescue.ConfigureAwait(false);
            _logger.LogInformation("OrderLib worker {WorkerId} stopped", WorkerId);
        }
    }

    private WorkerSettings Settings => _settings ?? throw new InvalidOperationException("The worker has not started.");

    private WorkerRunService Queue => _queue ?? throw new InvalidOperationException("The worker has not started.");

    private async Task ClaimLoopAsync(CancellationToken stopping)
    {
        var settings = Settings;
        var idle = settings.IdleMin;
        while (!stopping.IsCancellationRequested)
        {
            var free = settings.Concurrency - Volatile.Read(ref _running);
            if (free <= 0)
            {
                // Every slot is busy: a finishing run wakes us.
                await WaitForWakeAsync(null, stopping).ConfigureAwait(false);
                idle = settings.IdleMin;
                continue;
            }

            var wanted = Math.Min(free, settings.BatchSize);
            IReadOnlyList<ClaimedRun> claimed;
            try
            {
                // Not cancellable: a claim that committed must reach us, or its runs would sit leased until rescued.
                claimed = await Queue.ClaimAsync(settings.WorkerId, wanted, settings.Clients, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OrderLibConfigurationException)
            {
                _logger.LogWarning(exception, "OrderLib worker {WorkerId}: claiming runs failed; retrying in {Delay}", settings.WorkerId, idle);
                await WaitForWakeAsync(idle, stopping).ConfigureAwait(false);
                idle = Double(idle, settings.IdleMax);
                continue;
            }

            foreach (var run in claimed)
            {
                Launch(run);
            }

            if (claimed.Count > 0)
            {
                idle = settings.IdleMin;
                if (claimed.Count == wanted)
                {
                    continue; // there may be more ready work: claim again for the slots still free
                }
            }

            if (await WaitForWakeAsync(idle, stopping).ConfigureAwait(false))
            {
                idle = settings.IdleMin; // a run of ours ended: a slot is free and its dependents may be ready
            }
            else if (claimed.Count == 0)
            {
                idle = Double(idle, settings.IdleMax);
            }
        }
    }

    private static TimeSpan Double(TimeSpan value, TimeSpan max) => value * 2 < max ? value * 2 : max;

    /// <summary>Waits for a wake-up (a run of ours ended), the timeout (null: none) or the stop; true when woken.</summary>
    private async Task<bool> WaitForWakeAsync(TimeSpan? timeout, CancellationToken stopping)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return true;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var woken = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
        var delay = timeout is { } span ? Task.Delay(span, _time, wait.Token) : Task.Delay(Timeout.Infinite, wait.Token);
        await Task.WhenAny(woken, delay).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        return woken.IsCompletedSuccessfully && _wake.Reader.TryRead(out _);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private void Launch(ClaimedRun claimed)
    {
        var execution = new RunExecution(claimed, _abandon.Token);
        Interlocked.Increment(ref _running);
        _inFlight[claimed.Run.Id] = execution;
        _ = Task.Run(() => ExecuteRunAsync(execution));
    }

    private async Task ExecuteRunAsync(RunExecution execution)
    {
        var claimed = execution.Claimed;
        var settings = Settings;
        try
        {
            using var heartbeatStop = new CancellationTokenSource();
            var heartbeat = HeartbeatLoopAsync(execution, heartbeatStop.Token);
            RunStatus outcome;
            string? error = null;
            var threw = false;
            try
            {
                var registration = _options.Find(claimed.JobName);
                if (registration is null)
                {
                    outcome = RunStatus.Failed;
                    error = $"No handler registered for job '{claimed.JobName}'";
                }
                else
                {
                    var scope = _services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        var context = new JobExecutionContext(claimed, settings.WorkerId, scope.ServiceProvider, _stopping);
                        await registration.InvokeAsync(scope.ServiceProvider, context, execution.Token).ConfigureAwait(false);
                    }

                    outcome = RunStatus.Succeeded;
                }
            }
            catch (Exception exception)
            {
                threw = true;
                outcome = RunStatus.Failed;
                error = $"{exception.GetType().Name}: {exception.Message}";
                if (!execution.Token.IsCancellationRequested)
                {
                    _logger.LogWarning(exception, "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' (attempt {Attempt}/{MaxAttempts}) failed", settings.WorkerId, claimed.Run.Id, claimed.JobName, claimed.Run.Attempt, claimed.MaxAttempts);
                }
            }
            finally
            {
                await heartbeatStop.CancelAsync().ConfigureAwait(false);
                await heartbeat.ConfigureAwait(false);
            }

            if (execution.LeaseLost)
            {
                _logger.LogWarning("OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' was lost (its lease ended); its outcome is not reported", settings.WorkerId, claimed.Run.Id, claimed.JobName);
            }
            else if (threw && execution.CancelRequested)
            {
                await ReportAsync(claimed, RunStatus.Cancelled, null).ConfigureAwait(false);
            }
            else if (threw && execution.Token.IsCancellationRequested)
            {
                _logger.LogWarning("OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' was stopped by the shutdown; it is left to be rescued after its lease expires", settings.WorkerId, claimed.Run.Id, claimed.JobName);
            }
            else
            {
                await ReportAsync(claimed, outcome, error).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            // Nothing may escape a fire-and-forget task; the run is rescued after its lease expires.
            _logger.LogError(exception, "OrderLib worker {WorkerId}: unexpected error executing run {RunId}", settings.WorkerId, claimed.Run.Id);
        }
        finally
        {
            _inFlight.TryRemove(claimed.Run.Id, out _);
            Interlocked.Decrement(ref _running);
            execution.Dispose();
            Wake();
        }
    }

    private async Task HeartbeatLoopAsync(RunExecution execution, CancellationToken stop)
    {
        var settings = Settings;
        var runId = execution.Claimed.Run.Id;
        try
        {
            while (true)
            {
                await Task.Delay(settings.HeartbeatInterval, _time, stop).ConfigureAwait(false);
                try
                {
                    var result = await Queue.HeartbeatAsync(runId, settings.WorkerId, CancellationToken.None).ConfigureAwait(false);
                    if (result.CancelRequested && !execution.CancelRequested)
                    {
                        _logger.LogInformation("OrderLib worker {WorkerId}: cancellation requested for run {RunId}; stopping its handler", settings.WorkerId, runId);
                        execution.RequestCancel();
                    }
                }
                catch (Exception exception) when (exception is LeaseLostException or RunNotFoundException)
                {
                    _logger.LogWarning("OrderLib worker {WorkerId}: lost run {RunId}: {Reason}; stopping its handler", settings.WorkerId, runId, exception.Message);
                    execution.LoseLease();
                    return;
                }
                catch (Exception exception)
                {
                    _logger.LogWarning(exception, "OrderLib worker {WorkerId}: heartbeat of run {RunId} failed; trying again at the next one", settings.WorkerId, runId);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the handler ended
        }
    }

    private async Task ReportAsync(ClaimedRun claimed, RunStatus outcome, string? error)
    {
        var settings = Settings;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var completion = outcome switch
                {
                    RunStatus.Succeeded => await Queue.ReportSucceededAsync(claimed.Run.Id, settings.WorkerId, CancellationToken.None).ConfigureAwait(false),
                    RunStatus.Cancelled => await Queue.ReportCancelledAsync(claimed.Run.Id, settings.WorkerId, null, CancellationToken.None).ConfigureAwait(false),
                    _ => await Queue.ReportFailedAsync(claimed.Run.Id, settings.WorkerId, error ?? "failed", CancellationToken.None).ConfigureAwait(false),
                };
                _logger.LogDebug(
                    "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' ended {Status}{Retry}",
                    settings.WorkerId,
                    claimed.Run.Id,
                    claimed.JobName,
                    completion.Run.Status,
                    completion.Retry is null ? "" : $"; attempt {completion.Retry.Attempt} is run {completion.Retry.Id}");
                return;
            }
            catch (Exception exception) when (exception is LeaseLostException or RunNotFoundException)
            {
                _logger.LogWarning("OrderLib worker {WorkerId}: reporting run {RunId} {Status} was refused: {Reason}", settings.WorkerId, claimed.Run.Id, outcome, exception.Message);
                return;
            }
            catch (Exception exception) when (attempt < ReportRetryDelays.Length && exception is not OrderLibException)
            {
                _logger.LogWarning(exception, "OrderLib worker {WorkerId}: reporting run {RunId} {Status} failed; retrying", settings.WorkerId, claimed.Run.Id, outcome);
                await Task.Delay(ReportRetryDelays[attempt], _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task RescueLoopAsync(CancellationToken stopping)
    {
        var settings = Settings;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    int rescued;
                    do
                    {
                        var completions = await Queue.RescueExpiredAsync(RescueBatchSize, CancellationToken.None).ConfigureAwait(false);
                        rescued = completions.Count;
                        foreach (var completion in completions)
                        {
                            _logger.LogWarning(
                                "OrderLib worker {WorkerId}: rescued run {RunId} of worker '{LostWorker}', whose lease expired: {Status}{Retry}",
                                settings.WorkerId,
                                completion.Run.Id,
                                completion.Run.WorkerId,
                                completion.Run.Status,
                                completion.Retry is null ? "" : $"; retried as run {completion.Retry.Id}");
                        }

                        if (rescued > 0)
                        {
                            Wake();
                        }
                    }
                    while (rescued == RescueBatchSize && !stopping.IsCancellationRequested);
                }
                catch (Exception exception)
                {
                    _logger.LogWarning(exception, "OrderLib worker {WorkerId}: rescuing expired runs failed; trying again in {Delay}", settings.WorkerId, settings.RescueInterval);
                }

                await Task.Delay(settings.RescueInterval, _time, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>Waits for the running handlers up to the shutdown timeout (or until the host stops waiting), then cancels the rest.</summary>
    private async Task DrainAsync()
    {
        var running = _inFlight.Values.Select(execution => execution.Completion).ToArray();
        if (running.Length == 0)
        {
            return;
        }

        var settings = Settings;
        _logger.LogInformation("OrderLib worker {WorkerId}: stopping; waiting up to {Timeout} for {Count} running handler(s)", settings.WorkerId, settings.ShutdownTimeout, running.Length);
        var all = Task.WhenAll(running);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token))
        {
            var timeout = Task.Delay(settings.ShutdownTimeout, _time, wait.Token);
            await Task.WhenAny(all, timeout).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }

        if (!all.IsCompleted)
        {
            Abandon($"the shutdown timeout of {settings.ShutdownTimeout} ran out");
            await all.ConfigureAwait(false);
        }
    }

    private void Abandon(string why)
    {
        if (_abandon.IsCancellationRequested)
        {
            return;
        }

        var count = _inFlight.Count;
        if (count > 0)
        {
            _logger.LogWarning("OrderLib worker {WorkerId}: cancelling {Count} running handler(s) because {Why}; their runs will be rescued after their leases expire", WorkerId, count, why);
        }

        try
        {
            _abandon.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile: nothing is running any more
        }
    }

    /// <summary>One run in flight: its handler's token, why it fired, and when the run is done.</summary>
    private sealed class RunExecution : IDisposable
    {
        private readonly CancellationTokenSource _cancel;
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _cancelRequested;
        private volatile bool _leaseLost;

        public RunExecution(ClaimedRun claimed, CancellationToken abandon)
        {
            Claimed = claimed;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(abandon);
            Token = _cancel.Token;
        }

        public ClaimedRun Claimed { get; }

        public CancellationToken Token { get; }

        public bool CancelRequested => _cancelRequested;

        public bool LeaseLost => _leaseLost;

        public Task Completion => _completion.Task;

        public void RequestCancel()
        {
            _cancelRequested = true;
            _cancel.Cancel();
        }

        public void LoseLease()
        {
            _leaseLost = true;
            _cancel.Cancel();
        }

        public void Dispose()
        {
            _cancel.Dispose();
            _completion.TrySetResult();
        }
    }
}
