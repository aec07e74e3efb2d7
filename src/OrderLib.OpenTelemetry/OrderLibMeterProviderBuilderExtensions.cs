using Microsoft.Extensions.DependencyInjection;
using OrderLib;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes an OpenTelemetry meter provider to OrderLib's metrics.</summary>
public static class OrderLibMeterProviderBuilderExtensions
{
    /// <summary>
    /// Adds OrderLib's <see cref="System.Diagnostics.Metrics.Meter"/> (<see cref="OrderLibTelemetry.MeterName"/>): run and
    /// claim counters and histograms, and the queue gauges (docs/observability.md). When the provider is built from the
    /// application's services (<c>services.AddOpenTelemetry().WithMetrics(...)</c>), it also resolves
    /// <see cref="OrderLibQueueMetrics"/>, which switches the queue gauges on even in a process without a hosted worker.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static MeterProviderBuilder AddOrderLibInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder is IDeferredMeterProviderBuilder deferred)
        {
            deferred.Configure((services, provider) =>
            {
                if (services.GetService<OrderLib.Ports.IHistoryStore>() is not null)
                {
                    services.GetService<OrderLibQueueMetrics>();
                }
            });
        }

        return builder.AddMeter(OrderLibTelemetry.MeterName);
    }
}
