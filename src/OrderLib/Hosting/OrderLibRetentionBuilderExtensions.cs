using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OrderLib's run retention to a host.</summary>
public static class OrderLibRetentionBuilderExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="OrderLibRetention"/> that deletes old finished runs at an interval, e.g.
    /// <c>AddOrderLib(o =&gt; o.UsePostgres(connectionString).AddRetention(r =&gt; r.MaxAge = TimeSpan.FromDays(7)))</c>.
    /// Each call adds another service with its own options (e.g. different ages for different clients). The options, and
    /// that a store was chosen, are checked when the host starts (an <see cref="OrderLibConfigurationException"/> naming the
    /// problem).
    /// </summary>
    /// <param name="builder">The builder <c>AddOrderLib</c> returned.</param>
    /// <param name="configure">Sets the service's options; it runs once, now. Null keeps the defaults (every client, runs finished more than 30 days ago, hourly).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static OrderLibBuilder AddRetention(this OrderLibBuilder builder, Action<OrderLibRetentionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new OrderLibRetentionOptions();
        configure?.Invoke(options);

        // Not TryAddEnumerable: several retention services are allowed.
        builder.Services.AddSingleton<IHostedService>(services =>
        {
            HostedServiceStore.Require<IHistoryStore>(services, "AddRetention");
            return new OrderLibRetention(
                options,
                services.GetRequiredService<IOrderLib>(),
                services.GetRequiredService<IHistoryStore>(),
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<OrderLibRetention>>());
        });
        return builder;
    }
}
