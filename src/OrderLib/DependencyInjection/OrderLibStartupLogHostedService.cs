using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>
/// When the host starts, before migrations: logs which store OrderLib uses, where its data is and which setting chose it
/// (event 1200), and warns when <c>DATABASE_URL</c> is set but ignored (event 1201). Events 1200-1299 are OrderLib's start-up.
/// </summary>
internal sealed partial class OrderLibStartupLogHostedService : IHostedService
{
    private readonly OrderLibStoreDescription? _store;
    private readonly ILogger<OrderLibStartupLogHostedService> _logger;

    /// <param name="store">The chosen store, or null when none was chosen (resolving <see cref="IOrderLib"/> then says how to pick one).</param>
    /// <param name="logger">Where the lines go.</param>
    internal OrderLibStartupLogHostedService(OrderLibStoreDescription? store, ILogger<OrderLibStartupLogHostedService> logger)
    {
        _store = store;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            LogStore(_logger, _store.ProviderName, _store.Location, _store.ChosenBy);
            if (_store.DatabaseUrlIgnored)
            {
                LogDatabaseUrlIgnored(_logger);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "OrderLib uses the {Provider} store ({Location}), {ChosenBy}")]
    private static partial void LogStore(ILogger logger, string provider, string location, string chosenBy);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "OrderLib ignores DATABASE_URL because ConnectionStrings:OrderLib is set too; clear ConnectionStrings:OrderLib (ConnectionStrings__OrderLib= in the environment) for DATABASE_URL to take effect, or unset DATABASE_URL")]
    private static partial void LogDatabaseUrlIgnored(ILogger logger);
}
