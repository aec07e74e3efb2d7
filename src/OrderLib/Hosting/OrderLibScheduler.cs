using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// A hosted scheduler that turns schedules into runs: it calls <see cref="ScheduleService.EnqueueDueAsync"/> when the
/// earliest scheduled job is due, and sleeps in between. Registered by <c>AddScheduler</c>; one instance per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A pass enqueues the due jobs in batches of <see cref="OrderLibSchedulerOptions.BatchSize"/>, calling again while a
/// batch comes back full, then asks the store for the earliest next due time
/// (<see cref="ScheduleService.GetEarliestDueAtAsync"/>).</item>
/// <item>It then sleeps until that time, but never longer than <see cref="OrderLibSchedulerOptions.MaxSleep"/> (so jobs
/// created or rescheduled meanwhile, by this process or another, are picked up) and never shorter than
/// <see cref="OrderLibSchedulerOptions.MinSleep"/>. A due time already reached means another pass at once when the last
/// pass consumed occurrences, and a <see cref="OrderLibSchedulerOptions.MinSleep"/> pause when it consumed none: the
/// scheduler never polls the store in a tight loop.</item>
/// <item>Several schedulers may run at once, in one process or many, against one database: correctness comes from the
/// store, which consumes each occurrence once (the others see it consumed), so every occurrence yields one run. Missed
/// occurrences (the scheduler was down, or the time jumped) collapse into one run, and a job whose previous run is still
/// active keeps that run.</item>
/// <item>A failed pass (the store is unreachable, say) is logged and retried after
/// <see cref="OrderLibSchedulerOptions.MinSleep"/>, doubling up to <see cref="OrderLibSchedulerOptions.MaxSleep"/>; it
/// never stops the host.</item>
/// <item>Each consumed occurrence is logged at Debug; a pass that enqueued runs logs a summary at Information.</item>
/// <item>Every sleep uses the <see cref="TimeProvider"/> registered in DI, like the services do; with a fake time
/// provider, advance it to make the scheduler move.</item>
/// </list>
/// </remarks>
public sealed class OrderLibScheduler : BackgroundService
{
    private readonly OrderLibSchedulerOptions _options;
    private readonly ScheduleService _schedules;
    private readonly TimeProvider _time;
    private readonly ILogger<OrderLibScheduler> _logger;

    private SchedulerSettings? _settings;

    /// <summary>Creates the scheduler; <c>AddScheduler</c> does this. Options are checked in <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    internal OrderLibScheduler(OrderLibSchedulerOptions options, ScheduleService schedules, TimeProvider time, ILogger<OrderLibScheduler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _schedules = schedules;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks the options and starts the scheduling loop.</summary>
    /// <exception cref="OrderLibConfigurationException">An option is invalid; the message names it.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _settings = SchedulerSettings.From(_options);
        SchedulerLog.Starting(_logger, _settings.BatchSize, _settings.MinSleep, _settings.MaxSleep, _settings.Clients);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Runs passes and sleeps between them until the host stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = _settings ?? throw new InvalidOperationException("The scheduler has not started.");
        TimeSpan? backoff = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan sleep;
                try
                {
                    sleep = await PassAsync(settings, stoppingToken).ConfigureAwait(false);
                    backoff = null;
                }
                catch (Exception exception)
                {
                    if (stoppingToken.IsCancellationRequested)
                    {
                        break; // a call cut short by the stop, or failing while the host stops: nothing to retry
                    }

                    backoff = settings.BackoffAfterFailure(backoff);
                    sleep = backoff.Value;
                    if (exception is OrderLibDatabaseUnavailableException unavailable)
                    {
                        // An outage, not a fault of the scheduler: a warning with the driver's message, no stack trace.
                        SchedulerLog.StoreUnavailable(_logger, unavailable.InnerException?.Message ?? unavailable.Message, sleep);
                    }
                    else
                    {
                        SchedulerLog.PassFailed(_logger, exception, sleep);
                    }
                }

                if (sleep > TimeSpan.Zero)
                {
                    SchedulerLog.Sleeping(_logger, sleep);
                    await Task.Delay(sleep, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }

        SchedulerLog.Stopped(_logger);
    }

    /// <summary>Enqueues everything due, batch after batch while they come back full; returns how long to sleep.</summary>
    private async Task<TimeSpan> PassAsync(SchedulerSettings settings, CancellationToken stopping)
    {
        using var activity = StartTick();
        try
        {
            var (sleep, created) = await EnqueueAllDueAsync(settings, stopping).ConfigureAwait(false);
            activity?.SetTag(OrderLibTelemetry.Attributes.RunsScheduled, created);
            return sleep;
        }
        catch (Exception exception)
        {
            Instrumentation.RecordError(activity, exception);
            throw;
        }
    }

    private static System.Diagnostics.Activity? StartTick()
    {
        if (!Instrumentation.Source.HasListeners())
        {
            return null;
        }

        System.Diagnostics.Activity.Current = null;
        return Instrumentation.Source.StartActivity(OrderLibTelemetry.Spans.SchedulerTick);
    }

    private async Task<(TimeSpan Sleep, int Created)> EnqueueAllDueAsync(SchedulerSettings settings, CancellationToken stopping)
    {
        var consumed = 0;
        var created = 0;
        IReadOnlyList<ScheduledEnqueue> batch;
        do
        {
            batch = await _schedules.EnqueueDueAsync(settings.BatchSize, settings.Clients, stopping).ConfigureAwait(false);
            foreach (var occurrence in batch)
            {
                consumed++;
                if (occurrence.Enqueue.Created)
                {
                    created++;
                }

                LogOccurrence(occurrence);
            }
        }
        while (batch.Count >= settings.BatchSize && !stopping.IsCancellationRequested);

        if (created > 0)
        {
            SchedulerLog.Enqueued(_logger, created, consumed);
        }
        else if (consumed > 0)
        {
            SchedulerLog.AllKept(_logger, consumed);
        }

        var earliest = await _schedules.GetEarliestDueAtAsync(settings.Clients, stopping).ConfigureAwait(false);
        return (settings.SleepAfterPass(earliest, _time.GetUtcNow(), consumed > 0), created);
    }

    private void LogOccurrence(ScheduledEnqueue occurrence)
    {
        if (!_logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var run = occurrence.Enqueue.Run;
        var nextDue = occurrence.NextDueAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "(none)";
        SchedulerLog.Occurrence(
            _logger,
            occurrence.JobName,
            occurrence.JobId,
            occurrence.ClientId,
            occurrence.DueAt,
            occurrence.Enqueue.Created ? "enqueued" : $"kept by its {run.Status}",
            run.Id,
            nextDue);
    }
}
