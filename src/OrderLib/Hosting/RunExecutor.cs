using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Executes one claimed run: creates its DI scope, invokes its handler, keeps its lease alive with heartbeats, and says
/// how it ended. The handler's token fires when cancellation of the run is requested (learned at a heartbeat), when the
/// worker lost the run's lease, and when the worker abandons its runs (the shutdown's grace period ran out).
/// </summary>
internal sealed class RunExecutor : IDisposable
{
    private readonly WorkerDependencies _worker;
    private readonly JobHandlerRegistration? _handler;
    private readonly IServiceScopeFactory _scopes;
    private readonly CancellationToken _workerStopping;
    private readonly CancellationTokenSource _cancel;
    private volatile bool _cancelRequested;
    private volatile bool _leaseLost;
    private Exception? _failure;
    private DateTimeOffset _leaseExpiresAt;
    private readonly ActivityContext _claimSpan;

    /// <summary>Prepares the execution of <paramref name="claimed"/>; <paramref name="handler"/> is null when its job has none.</summary>
    public RunExecutor(WorkerDependencies worker, ClaimedRun claimed, JobHandlerRegistration? handler, IServiceScopeFactory scopes, CancellationToken workerStopping, CancellationToken abandon, ActivityContext claimSpan = default)
    {
        _claimSpan = claimSpan;
        _worker = worker;
        Claimed = claimed;
        _handler = handler;
        _scopes = scopes;
        _workerStopping = workerStopping;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(abandon);
        _leaseExpiresAt = claimed.Run.LeaseExpiresAt ?? DateTimeOffset.MinValue;
    }

    /// <summary>The run being executed.</summary>
    public ClaimedRun Claimed { get; }

    /// <summary>
    /// Runs the handler while heart-beating, and returns the outcome to record: Succeeded (with the output the handler set) when it returned, Failed when
    /// it threw (or the job has no handler), Cancelled when a cancel request stopped it; null when nothing is to be
    /// recorded (the lease was lost, or the run was abandoned). Never throws.
    /// </summary>
    public async Task<ExecutedRun?> ExecuteAsync()
    {
        var settings = _worker.Settings;
        var runId = Claimed.Run.Id;
        using var activity = StartActivity();
        var startedAt = Stopwatch.GetTimestamp();
        try
        {
            ExecutedRun outcome;
            using (var heartbeatStop = new CancellationTokenSource())
            {
                var heartbeat = HeartbeatLoopAsync(heartbeatStop.Token);
                try
                {
                    outcome = await InvokeHandlerAsync().ConfigureAwait(false);
                }
                finally
                {
                    await heartbeatStop.CancelAsync().ConfigureAwait(false);
                    await heartbeat.ConfigureAwait(false);
                }
            }

            if (_leaseLost)
            {
                WorkerLog.OutcomeOfLostRunDropped(_worker.Logger, settings.WorkerId, runId, Claimed.JobName);
                Ended(activity, startedAt, "dropped", null);
                return null;
            }

            if (outcome.Status == RunStatus.Cancelled && !_cancelRequested)
            {
                WorkerLog.StoppedByShutdown(_worker.Logger, settings.WorkerId, runId, Claimed.JobName);
                Ended(activity, startedAt, "dropped", null);
                return null;
            }

            Ended(activity, startedAt, Instrumentation.Outcome(outcome.Status), outcome);

            // A heartbeat that was in flight when the handler ended may have moved the lease since the outcome was made.
            return outcome with { LeaseExpiresAt = _leaseExpiresAt, Span = activity?.Context ?? default };
        }
        catch (Exception exception)
        {
            // Nothing may escape: the run is rescued after its lease expires.
            WorkerLog.ExecutionError(_worker.Logger, exception, settings.WorkerId, runId);
            Instrumentation.RecordError(activity, exception);
            return null;
        }
    }

    /// <summary>
    /// Starts the run's <c>orderlib.run</c> span when something listens: its parent is the trace context stored with the run
    /// (the enqueuer's or trigger's), or none; it links to the claim span.
    /// </summary>
    private Activity? StartActivity()
    {
        if (!Instrumentation.Source.HasListeners())
        {
            return null;
        }

        // The executor may start inside another run's flow: never inherit its span.
        Activity.Current = null;
        var claimed = Claimed;
        var links = _claimSpan == default ? null : new[] { new ActivityLink(_claimSpan) };
        var activity = Instrumentation.Source.StartActivity(OrderLibTelemetry.Spans.Run, ActivityKind.Consumer, Instrumentation.ParentOf(claimed), links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingSystem, "orderlib");
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingOperationType, "process");
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingDestinationName, claimed.JobName);
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingMessageId, claimed.Run.Id.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag(OrderLibTelemetry.Attributes.JobName, claimed.JobName);
            activity.SetTag(OrderLibTelemetry.Attributes.Client, claimed.ClientId.Value);
            activity.SetTag(OrderLibTelemetry.Attributes.RunId, claimed.Run.Id.Value);
            activity.SetTag(OrderLibTelemetry.Attributes.RunAttempt, claimed.Run.Attempt);
            activity.SetTag(OrderLibTelemetry.Attributes.WorkerId, _worker.Settings.WorkerId.Value);
            if (claimed.Run.PipelineRunId is { } pipelineRunId)
            {
                activity.SetTag(OrderLibTelemetry.Attributes.PipelineRunId, pipelineRunId.Value);
            }
        }

        return activity;
    }

    /// <summary>Records the outcome on the span and the duration histogram.</summary>
    private void Ended(Activity? activity, long startedAt, string outcome, ExecutedRun? run)
    {
        if (Instrumentation.RunDuration.Enabled)
        {
            Instrumentation.RunDuration.Record(
                Stopwatch.GetElapsedTime(startedAt).TotalSeconds,
                new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.RunOutcome, outcome),
                new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.JobName, Claimed.JobName));
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag(OrderLibTelemetry.Attributes.RunOutcome, outcome);
        if (run is { Status: RunStatus.Failed })
        {
            if (_failure is { } exception)
            {
                activity.AddException(exception);
                activity.SetTag(OrderLibTelemetry.Attributes.ErrorType, exception.GetType().FullName);
            }
            else
            {
                activity.SetTag(OrderLibTelemetry.Attributes.ErrorType, "no_handler");
            }

            activity.SetStatus(ActivityStatusCode.Error, run.Error);
        }
        else if (outcome == "dropped")
        {
            activity.SetTag(OrderLibTelemetry.Attributes.ErrorType, _leaseLost ? "lease_lost" : "abandoned");
            activity.SetStatus(ActivityStatusCode.Error, _leaseLost ? "lease lost" : "abandoned at shutdown");
        }
    }

    /// <summary>Releases the run's cancellation source.</summary>
    public void Dispose() => _cancel.Dispose();

    /// <summary>Invokes the handler in a new scope; a handler that threw once its token fired yields Cancelled.</summary>
    private async Task<ExecutedRun> InvokeHandlerAsync()
    {
        if (_handler is null)
        {
            return Ended(RunStatus.Failed, $"No handler registered for job '{Claimed.JobName}'");
        }

        var token = _cancel.Token;
        try
        {
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var context = new JobExecutionContext(Claimed, _worker.Settings.WorkerId, scope.ServiceProvider, _workerStopping);
                await _handler.InvokeAsync(scope.ServiceProvider, context, token).ConfigureAwait(false);
                return Ended(RunStatus.Succeeded, null) with { Output = context.Output };
            }
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            return Ended(RunStatus.Cancelled, null);
        }
        catch (Exception exception)
        {
            _failure = exception;
            WorkerLog.HandlerFailed(_worker.Logger, exception, _worker.Settings.WorkerId, Claimed.Run.Id, Claimed.JobName, Claimed.Run.Attempt, Claimed.MaxAttempts);
            return Ended(RunStatus.Failed, TextRules.Clean($"{exception.GetType().Name}: {exception.Message}"));
        }
    }

    private ExecutedRun Ended(RunStatus status, string? error) => new(Claimed, status, error, _leaseExpiresAt);

    private async Task HeartbeatLoopAsync(CancellationToken stop)
    {
        var settings = _worker.Settings;
        var runId = Claimed.Run.Id;
        while (true)
        {
            // Most handlers end before the first heartbeat: the stopped wait returns without throwing, which in a drain of
            // short runs saves an exception per run.
            await Task.Delay(settings.HeartbeatInterval, _worker.Time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                var result = await _worker.Queue.HeartbeatAsync(runId, settings.WorkerId, CancellationToken.None).ConfigureAwait(false);
                _leaseExpiresAt = result.Run.LeaseExpiresAt ?? _leaseExpiresAt;
                if (result.CancelRequested && !_cancelRequested)
                {
                    WorkerLog.CancelRequested(_worker.Logger, settings.WorkerId, runId);
                    _cancelRequested = true;
                    await _cancel.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is LeaseLostException or RunNotFoundException)
            {
                WorkerLog.LeaseLost(_worker.Logger, settings.WorkerId, runId, exception.Message);
                _leaseLost = true;
                if (Instrumentation.LeasesLost.Enabled)
                {
                    Instrumentation.LeasesLost.Add(1, new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.JobName, Claimed.JobName));
                }
                await _cancel.CancelAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception exception)
            {
                WorkerLog.HeartbeatFailed(_worker.Logger, exception, settings.WorkerId, runId);
            }
        }
    }
}
