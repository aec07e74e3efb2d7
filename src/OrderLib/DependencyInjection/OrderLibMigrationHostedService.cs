using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// When the host starts: applies pending migrations if <see cref="OrderLibOptions.ApplyMigrationsAtStartup"/> is set and logs what
/// it applied; otherwise checks that the schema is current. Either way a database newer than the library stops the start.
/// </summary>
internal sealed class OrderLibMigrationHostedService : IHostedService
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
                _logger.LogInformation("OrderLib: the store has no schema; nothing to migrate.");
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
            _logger.LogInformation("OrderLib: schema already at {SchemaVersion}.", schemaVersion);
        }
        else if (applied.Length == 1)
        {
            _logger.LogInformation("OrderLib: applied 1 migration ({Versions}); schema at {SchemaVersion}.", applied[0], schemaVersion);
        }
        else
        {
            _logger.LogInformation(
                "OrderLib: applied {Count} migrations ({Versions}); schema at {SchemaVersion}.",
                applied.Length,
                string.Join(", ", applied),
                schemaVersion);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static List<long> AppliedVersions(IOrderLibMigrator migrator) =>
        migrator.ListMigrations().Where(m => m.IsApplied).Select(m => m.Version).ToList();
}
