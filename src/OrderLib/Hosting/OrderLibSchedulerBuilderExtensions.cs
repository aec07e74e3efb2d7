using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the OrderLib scheduler to a host.</summary>
public static class OrderLibSchedulerBuilderExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="OrderLibScheduler"/> that enqueues a run for each scheduled job when it is due, e.g.
    /// <c>AddOrderLib(o =&gt; o.UsePostgres(connectionString).AddScheduler())</c>. Several schedulers may run at once, in one
    /// process or many: the store hands each occurrence to one of them. Each call adds another scheduler with its own
    /// options. The options, and that a store was chosen, are checked when the host starts (an
    /// <see cref="OrderLibConfigurationException"/> naming the problem).
    /// </summary>
    /// <param name="builder">The builder <c>AddOrderLib</c> returned.</param>
    /// <param name="configure">Sets the scheduler's options; it runs once, now. Null keeps the defaults (every client).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static OrderLibBuilder AddScheduler(this OrderLibBuilder builder, Action<OrderLibSchedulerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new OrderLibSchedulerOptions();
        configure?.Invoke(options);

        // Not TryAddEnumerable: several schedulers are allowed.
        builder.Services.AddSingleton<IHostedService>(services =>
        {
            HostedServiceStore.Require<IScheduleStore>(services, "AddScheduler");
            return new OrderLibScheduler(
                options,
                services.GetRequiredService<ScheduleService>(),
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<OrderLibScheduler>>());
        });
        return builder;
    }
}
