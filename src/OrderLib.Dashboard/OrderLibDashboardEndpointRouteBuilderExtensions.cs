using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrderLib;
using OrderLib.Dashboard;
using OrderLib.Dashboard.Pages;
using OrderLib.Dashboard.Rendering;
using OrderLib.Dashboard.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the OrderLib dashboard in an ASP.NET Core app.</summary>
public static class OrderLibDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the dashboard under <paramref name="prefix"/> (e.g. <c>app.MapOrderLibDashboard("/orderlib")</c>): its pages,
    /// its actions (POST, antiforgery-checked) and its own stylesheet and script. Every request first passes the access
    /// rules of <see cref="OrderLibDashboardOptions"/> (local requests only unless a policy is set). Needs
    /// <c>AddOrderLib(...).AddDashboard()</c>.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">The path the dashboard lives under; must start with <c>/</c>. Default: <c>/orderlib</c>.</param>
    /// <returns>The dashboard's route group, for further conventions (e.g. <c>RequireHost</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> does not start with <c>/</c>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddDashboard</c> was not called, or a policy it names is not registered.</exception>
    public static RouteGroupBuilder MapOrderLibDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/orderlib")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/'))
        {
            throw new ArgumentException($"The dashboard's prefix '{prefix}' must start with '/'.", nameof(prefix));
        }

        var options = endpoints.ServiceProvider.GetService<OrderLibDashboardOptions>()
            ?? throw new InvalidOperationException("The OrderLib dashboard is not registered: call services.AddOrderLib(...).AddDashboard() before MapOrderLibDashboard.");
        RequirePolicies(endpoints.ServiceProvider, options);

        var root = prefix.TrimEnd('/');
        var group = endpoints.MapGroup(root.Length == 0 ? "/" : root);

        // The dashboard checks antiforgery tokens itself (DashboardActions), so it works whether or not the host uses UseAntiforgery().
        group.DisableAntiforgery();
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var refusal = await DashboardAccess.CheckAsync(http, options, http.Request.PathBase + root).ConfigureAwait(false);
            return refusal ?? await next(invocation).ConfigureAwait(false);
        });

        group.MapGet("/assets/{file}", DashboardAssets.Serve);
        OverviewPage.Map(group);
        JobsPage.Map(group);
        RunsPage.Map(group);
        PipelineRunsPage.Map(group);
        GraphPage.Map(group);
        return group;
    }

    private static void RequirePolicies(IServiceProvider services, OrderLibDashboardOptions options)
    {
        var policies = services.GetRequiredService<IAuthorizationPolicyProvider>();
        foreach (var name in new[] { options.AuthorizationPolicy, options.ActionsAuthorizationPolicy }.OfType<string>())
        {
            if (policies.GetPolicyAsync(name).GetAwaiter().GetResult() is null)
            {
                throw new InvalidOperationException($"The OrderLib dashboard's authorization policy '{name}' is not registered: add it with services.AddAuthorization(o => o.AddPolicy(\"{name}\", ...)).");
            }
        }
    }
}
