using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>Applies pending migrations when the host starts, if <see cref="OrderLibOptions.ApplyMigrationsAtStartup"/> is set.</summary>
internal sealed class OrderLibMigrationHostedService(IServiceProvider services, IOptions<OrderLibOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ApplyMigrationsAtStartup)
        {
            return Task.CompletedTask;
        }

        var logger = services.GetService<ILogger<OrderLibMigrationHostedService>>() ?? NullLogger<OrderLibMigrationHostedService>.Instance;
        var migrator = services.GetService<IOrderLibMigrator>();
        if (migrator is null)
        {
            logger.LogInformation("OrderLib: the store has no schema; nothing to migrate.");
            return Task.CompletedTask;
        }

        migrator.MigrateUp();
        logger.LogInformation("OrderLib: schema is at the latest migration.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
