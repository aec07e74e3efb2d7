using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OrderLib workers to a host.</summary>
public static class OrderLibWorkerBuilderExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="OrderLibWorker"/> that claims and executes runs with the handlers registered on its
    /// options, e.g. <c>AddOrderLib(o =&gt; o.UseSqlite("Data Source=app.db").AddWorker(w =&gt; w.Handle("extract", ExtractAsync)))</c>.
    /// Each call adds another worker with its own options. The options, and that a store was chosen, are checked when the
    /// host starts (an <see cref="OrderLibConfigurationException"/> naming the problem).
    /// </summary>
    /// <param name="builder">The builder <c>AddOrderLib</c> returned.</param>
    /// <param name="configure">Sets the worker's options and handlers; it runs once, now.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configure"/> registered a handler twice for one job name, or a blank name.</exception>
    public static OrderLibBuilder AddWorker(this OrderLibBuilder builder, Action<OrderLibWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OrderLibWorkerOptions();
        configure(options);
        foreach (var handlerType in options.Registrations.Select(registration => registration.HandlerType).OfType<Type>().Distinct())
        {
            builder.Services.TryAddScoped(handlerType);
        }

        // Not TryAddEnumerable: several workers of the same type are intended.
        builder.Services.AddSingleton<IHostedService>(services =>
        {
            HostedServiceStore.Require<IRunQueueStore>(services, "AddWorker");

            // Switches the queue gauges on for this container (they read only while something observes them).
            if (services.GetService<IHistoryStore>() is not null)
            {
                _ = services.GetService<OrderLibQueueMetrics>();
            }
            return new OrderLibWorker(
                options,
                services.GetRequiredService<WorkerRunService>(),
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<IOptions<OrderLibOptions>>(),
                services.GetRequiredService<ILogger<OrderLibWorker>>(),
                services.GetRequiredService<IServiceScopeFactory>(),
                services.GetService<OrderLibWorkerHeartbeats>());
        });
        return builder;
    }
}
