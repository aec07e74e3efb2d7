using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.HealthChecks;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OrderLib's health checks.</summary>
public static class OrderLibHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds OrderLib's health checks, e.g. <c>services.AddHealthChecks().AddOrderLibHealthChecks(o =&gt; o.MaxReadyRuns = 10_000)</c>:
    /// <list type="bullet">
    /// <item><c>orderlib-database</c> (tags <see cref="OrderLibHealthCheckOptions.ReadyTags"/>): the database answers a cheap read.</item>
    /// <item><c>orderlib-schema</c> (ready): the schema has exactly this library's migrations (healthy for the in-memory store).</item>
    /// <item><c>orderlib-worker</c> (tags <see cref="OrderLibHealthCheckOptions.LiveTags"/>): each hosted worker went round its
    /// claim loop within <see cref="OrderLibHealthCheckOptions.WorkerStaleAfter"/>.</item>
    /// <item><c>orderlib-backlog</c> (ready), only with a threshold set: Degraded when more runs are ready than
    /// <see cref="OrderLibHealthCheckOptions.MaxReadyRuns"/> or the oldest has waited longer than
    /// <see cref="OrderLibHealthCheckOptions.MaxOldestReadyAge"/>.</item>
    /// </list>
    /// The first three report their registration's failure status (Unhealthy) when they fail. Needs <c>AddOrderLib</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the options; runs once, now.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IHealthChecksBuilder AddOrderLibHealthChecks(this IHealthChecksBuilder builder, Action<OrderLibHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new OrderLibHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        var prefix = options.NamePrefix;
        if (options.CheckDatabase)
        {
            builder.Add(new HealthCheckRegistration(
                $"{prefix}-database", sp => new DatabaseHealthCheck(sp.GetRequiredService<IHistoryStore>()), HealthStatus.Unhealthy, options.ReadyTags));
            builder.Add(new HealthCheckRegistration(
                $"{prefix}-schema", sp => new SchemaHealthCheck(sp.GetService<IOrderLibMigrator>()), HealthStatus.Unhealthy, options.ReadyTags));
        }

        if (options.CheckWorker)
        {
            builder.Add(new HealthCheckRegistration(
                $"{prefix}-worker",
                sp => new WorkerHealthCheck(sp.GetRequiredService<OrderLibWorkerHeartbeats>(), sp.GetRequiredService<TimeProvider>(), options),
                HealthStatus.Unhealthy,
                options.LiveTags));
        }

        if (options.MaxReadyRuns is not null || options.MaxOldestReadyAge is not null)
        {
            builder.Add(new HealthCheckRegistration(
                $"{prefix}-backlog",
                sp => new BacklogHealthCheck(
                    sp.GetRequiredService<OrderLibQueueMetrics>(),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<IOptions<OrderLibOptions>>().Value.QueueMetricsRefreshInterval,
                    options),
                HealthStatus.Degraded,
                options.ReadyTags));
        }

        return builder;
    }
}
