using Microsoft.Extensions.DependencyInjection;
using OrderLib;

namespace OpenTelemetry.Trace;

/// <summary>Subscribes an OpenTelemetry tracer provider to OrderLib's spans.</summary>
public static class OrderLibTracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds OrderLib's <see cref="System.Diagnostics.ActivitySource"/> (<see cref="OrderLibTelemetry.ActivitySourceName"/>):
    /// the claim, run, completion, trigger, enqueue, scheduler and rescue spans (docs/observability.md).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TracerProviderBuilder AddOrderLibInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(OrderLibTelemetry.ActivitySourceName);
    }
}
