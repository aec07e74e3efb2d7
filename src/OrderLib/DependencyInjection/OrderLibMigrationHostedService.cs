using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// When the host starts: applies pending migrations if <see cref="OrderLibOptions.ApplyMigrationsAtStartup"/> is set and logs what
/// it applied; otherwise checks that the schema is current. Either way a database newer than the library stops the start.
/// </summary>
internal sealed partial class OrderLibMigrationHostedService : IHostedService
{
    private readonly IOrderLibMigrator? _migrator;
    private readonly IOptions<OrderLibOptions> _options;
    private readonly ILogger<OrderLibMigrationHostedService> _logger;

    /// <param name="migrator">The store's migrator, or null for a store without a schema.</param>
    /// <param name="options">OrderLib's options.</param>
    /// <param name="logger">Where the outcome is logged.</param>
    internal OrderLibMigrationHostedService(IOrderLibMigrator? migrator, IOptions<OrderLibOptions> options, ILogger<OrderLibMigrationHostedService> logger)
    {
        _migrator = migrator;
        _options = options;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_migrator is null)
        {
            if (_options.Value.ApplyMigrationsAtStartup)
            {
                LogNoSchema(_logger);
            }

            return Task.CompletedTask;
        }

        if (!_options.Value.ApplyMigrationsAtStartup)
        {
            _migrator.CheckSchema().EnsureCurrent();
            return Task.CompletedTask;
        }

        var before = AppliedVersions(_migrator);
        _migrator.MigrateUp();
        var after = AppliedVersions(_migrator);
        var applied = after.Except(before).ToArray();
        var schemaVersion = after.Count == 0 ? 0 : after.Max();
        if (applied.Length == 0)
        {
            LogSchemaCurrent(_logger, schemaVersion);
        }
        else if (applied.Length == 1)
        {
            LogAppliedOne(_logger, applied[0], schemaVersion);
        }
        else
        {
            LogApplied(_logger, applied.Length, applied, schemaVersion);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static List<long> AppliedVersions(IOrderLibMigrator migrator) =>
        migrator.ListMigrations().Where(m => m.IsApplied).Select(m => m.Version).ToList();

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "OrderLib: the store has no schema; nothing to migrate.")]
    private static partial void LogNoSchema(ILogger logger);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "OrderLib: schema already at {SchemaVersion}.")]
    private static partial void LogSchemaCurrent(ILogger logger, long schemaVersion);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "OrderLib: applied 1 migration ({Versions}); schema at {SchemaVersion}.")]
    private static partial void LogAppliedOne(ILogger logger, long versions, long schemaVersion);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Information, Message = "OrderLib: applied {Count} migrations ({Versions}); schema at {SchemaVersion}.")]
    private static partial void LogApplied(ILogger logger, int count, IReadOnlyList<long> versions, long schemaVersion);
}
