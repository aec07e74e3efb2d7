using OrderLib;
using OrderLib.Dashboard;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OrderLib dashboard's services.</summary>
public static class OrderLibDashboardBuilderExtensions
{
    /// <summary>
    /// Registers what <c>app.MapOrderLibDashboard(...)</c> needs (its options, ASP.NET Core's antiforgery and authorization services), e.g.
    /// <c>services.AddOrderLib(configuration).AddDashboard(d =&gt; d.AuthorizationPolicy = "operators")</c>.
    /// </summary>
    /// <param name="builder">The builder <c>AddOrderLib</c> returned.</param>
    /// <param name="configure">Sets the options; runs once, now.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The dashboard was added already.</exception>
    public static OrderLibBuilder AddDashboard(this OrderLibBuilder builder, Action<OrderLibDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(service => service.ServiceType == typeof(OrderLibDashboardOptions)))
        {
            throw new InvalidOperationException("AddDashboard was called twice; call it once with every option.");
        }

        var options = new OrderLibDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthorization();
        return builder;
    }
}
