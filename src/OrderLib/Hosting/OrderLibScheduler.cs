using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
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
    private readonly IServiceProvider _services;

    private SchedulerSettings? _settings;
    private ScheduleService? _schedules;
    private TimeProvider _time = TimeProvider.System;
    private ILogger _logger = NullLogger.Instance;

    /// <summary>Creates the scheduler; <c>AddScheduler</c> does this. Options are checked in <see cref="StartAsync"/>.</summary>
    /// <param name="options">The scheduler's settings.</param>
    /// <param name="services">The application's root service provider.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OrderLibScheduler(OrderLibSchedulerOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        _options = options;
        _services = services;
    }

    /// <summary>Checks the options and starts the scheduling loop.</summary>
    /// <exception cref="OrderLibConfigurationException">An option is invalid, OrderLib has no store, or its store keeps no schedules; the message says which.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_services.GetService<IOptions<OrderLibOptions>>() is null)
        {
            throw new OrderLibConfigurationException("AddScheduler needs OrderLib: call services.AddOrderLib(...) with a store.");
        }

        if (_services.GetService<IJobStore>() is null)
        {
            throw new OrderLibConfigurationException("AddScheduler needs a store: call UseSqlite, UsePostgres or UseInMemory on AddOrderLib().");
        }

        _settings = SchedulerSettings.From(_options);
        _schedules = _services.GetRequiredService<ScheduleService>();
        _time = _services.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = _services.GetService<ILoggerFactory>()?.CreateLogger<OrderLibScheduler>() ?? NullLogger<OrderLibScheduler>.Instance;
        _logger.LogInformation(
            "OrderLib scheduler starting: batch {BatchSize}, sleeps {MinSleep} to {MaxSleep}, clients {Clients}",
            _settings.BatchSize,
            _settings.MinSleep,
            _settings.MaxSleep,
            _settings.Clients is null ? "(all)" : string.Join(", ", _settings.Clients));
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
                    _logger.LogError(exception, "OrderLib scheduler: enqueuing due runs failed; trying again in {Delay}", sleep);
                }

                if (sleep > TimeSpan.Zero)
                {
                    _logger.LogTrace("OrderLib scheduler: sleeping {Sleep}", sleep);
                    await Task.Delay(sleep, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }

        _logger.LogInformation("OrderLib scheduler stopped");
    }

    /// <summary>Enqueues everything due, batch after batch while they come back full; returns how long to sleep.</summary>
    private async Task<TimeSpan> PassAsync(SchedulerSettings settings, CancellationToken stopping)
    {
        var schedules = _schedules ?? throw new InvalidOperationException("The scheduler has not started.");
        var consumed = 0;
        var created = 0;
        IReadOnlyList<ScheduledEnqueue> batch;
        do
        {
            batch = await schedules.EnqueueDueAsync(settings.BatchSize, settings.Clients, stopping).ConfigureAwait(false);
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
            _logger.LogInformation("OrderLib scheduler: enqueued {Created} run(s) for {Consumed} due occurrence(s)", created, consumed);
        }
        else if (consumed > 0)
        {
            _logger.LogDebug("OrderLib scheduler: {Consumed} due occurrence(s), each kept by its job's active run", consumed);
        }

        var earliest = await schedules.GetEarliestDueAtAsync(settings.Clients, stopping).ConfigureAwait(false);
        return settings.SleepAfterPass(earliest, _time.GetUtcNow(), consumed > 0);
    }

    private void LogOccurrence(ScheduledEnqueue occurrence)
    {
        if (!_logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var run = occurrence.Enqueue.Run;
        _logger.LogDebug(
            "OrderLib scheduler: job '{JobName}' ({JobId}) of client '{ClientId}' due at {DueAt:O}: {Outcome} run {RunId}; next due {NextDueAt}",
            occurrence.JobName,
            occurrence.JobId,
            occurrence.ClientId,
            occurrence.DueAt,
            occurrence.Enqueue.Created ? "enqueued" : $"kept by its {run.Status}",
            run.Id,
            occurrence.NextDueAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "(none)");
    }
}
