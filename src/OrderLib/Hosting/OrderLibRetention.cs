using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// A hosted service that deletes old finished runs: every <see cref="OrderLibRetentionOptions.Interval"/> it prunes each
/// served client with <see cref="HistoryService.PruneAsync(PruneRequest, CancellationToken)"/>. Registered by
/// <c>AddRetention</c>; one instance per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The first pass starts right after the service starts (a host restarted more often than the interval still
/// prunes), the next ones every <see cref="OrderLibRetentionOptions.Interval"/> from the start of the previous one.</item>
/// <item>A pass reads the time once: every client's request deletes the runs that finished more than
/// <see cref="OrderLibRetentionOptions.MaxAge"/> before it, keeping each job's
/// <see cref="OrderLibRetentionOptions.KeepLatestPerJob"/> newest runs and its latest run, in batches of
/// <see cref="OrderLibRetentionOptions.BatchSize"/> (one short transaction each) with
/// <see cref="OrderLibRetentionOptions.PauseBetweenBatches"/> between them. The clients are the configured ones, or every
/// client with jobs (<see cref="IHistoryStore.ListClientsAsync"/>), one after the other.</item>
/// <item>Each client's report is logged in one line: at Information when runs were deleted, at Debug when none.</item>
/// <item>An unavailable database ends the pass with a warning; another failure ends it with an error, except one while
/// pruning a client, which is logged for that client while the others go on. The next pass comes at the next interval;
/// failures never stop the host.</item>
/// <item>Stopping cancels the pass between two batches (what earlier batches deleted stays deleted) or the sleep.</item>
/// <item>Several retention services may run at once, in one process or many: the batches of two prunes of one client
/// delete each run once (PostgreSQL skips the rows another holds; SQLite serialises writers).</item>
/// <item>Every sleep and pause uses the <see cref="TimeProvider"/> registered in DI.</item>
/// </list>
/// </remarks>
public sealed class OrderLibRetention : BackgroundService
{
    private readonly OrderLibRetentionOptions _options;
    private readonly IOrderLib _orderLib;
    private readonly IHistoryStore _history;
    private readonly TimeProvider _time;
    private readonly ILogger<OrderLibRetention> _logger;

    private RetentionSettings? _settings;

    /// <summary>Creates the service; <c>AddRetention</c> does this. Options are checked in <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    internal OrderLibRetention(OrderLibRetentionOptions options, IOrderLib orderLib, IHistoryStore history, TimeProvider time, ILogger<OrderLibRetention> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(orderLib);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _orderLib = orderLib;
        _history = history;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks the options and starts the passes.</summary>
    /// <exception cref="OrderLibConfigurationException">An option is invalid; the message names it.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = RetentionSettings.From(_options);
        _settings = settings;
        var request = settings.Request;
        RetentionLog.Starting(_logger, settings.Interval, settings.MaxAge, request.KeepLatestPerJob, request.BatchSize, request.PauseBetweenBatches, settings.Clients);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Runs a pass every interval until the host stops.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = _settings ?? throw new InvalidOperationException("The retention service has not started.");
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var started = _time.GetTimestamp();
                try
                {
                    await PassAsync(settings, stoppingToken).ConfigureAwait(false);
                }
                catch (OrderLibDatabaseUnavailableException unavailable) when (!stoppingToken.IsCancellationRequested)
                {
                    // An outage, not a fault of the service: a warning with the driver's message, no stack trace.
                    RetentionLog.StoreUnavailable(_logger, unavailable.InnerException?.Message ?? unavailable.Message, UntilNextPass(settings, started));
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    RetentionLog.PassFailed(_logger, exception, UntilNextPass(settings, started));
                }

                var sleep = UntilNextPass(settings, started);
                if (sleep > TimeSpan.Zero)
                {
                    RetentionLog.Sleeping(_logger, sleep);
                    await Task.Delay(sleep, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }

        RetentionLog.Stopped(_logger);
    }

    /// <summary>The wait from now until the pass after the one that started at <paramref name="started"/> (a timestamp of the time provider); zero when it is due.</summary>
    private TimeSpan UntilNextPass(RetentionSettings settings, long started)
    {
        var wait = settings.Interval - _time.GetElapsedTime(started);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Prunes every served client with the request of this pass, one after the other.</summary>
    private async Task PassAsync(RetentionSettings settings, CancellationToken stopping)
    {
        var clients = settings.Clients.Ids ?? await _history.ListClientsAsync(stopping).ConfigureAwait(false);
        var request = settings.RequestAt(OrderLibClock.Now(_time));
        foreach (var client in clients)
        {
            var started = _time.GetTimestamp();
            PruneReport report;
            try
            {
                report = await _orderLib.ForClient(client).History.PruneAsync(request, stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not (OrderLibDatabaseUnavailableException or OperationCanceledException))
            {
                RetentionLog.ClientFailed(_logger, exception, client);
                continue;
            }

            LogReport(client, report, _time.GetElapsedTime(started));
        }
    }

    private void LogReport(ClientId client, PruneReport report, TimeSpan duration)
    {
        var olderThan = report.Request.OlderThan;
        if (report.RunsDeleted == 0)
        {
            RetentionLog.NothingPruned(_logger, client, olderThan, report.Batches, duration);
            return;
        }

        RetentionLog.Pruned(_logger, client, report.RunsDeleted, report.Succeeded, report.Failed, report.Cancelled, report.Jobs.Count, olderThan, report.Batches, duration);
    }
}
