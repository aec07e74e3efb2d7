using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderLib.Dashboard.Rendering;
using OrderLib.Dashboard.Security;

namespace OrderLib.Dashboard;

/// <summary>How pages are mapped: each gets the request's <see cref="DashboardContext"/>, and an error the library throws becomes a page with its message and status code.</summary>
internal static class DashboardRoutes
{
    /// <summary>Maps <c>GET <paramref name="pattern"/></c> to <paramref name="render"/>.</summary>
    public static RouteHandlerBuilder MapPage(this IEndpointRouteBuilder group, string pattern, DashboardSection section, Func<DashboardContext, Task<IResult>> render)
    {
        Delegate handler = async (HttpContext http) =>
        {
            var dashboard = DashboardAccess.Context(http);
            try
            {
                return await render(dashboard).ConfigureAwait(false);
            }
            catch (OrderLibException exception)
            {
                return DashboardErrors.Page(dashboard, section, exception);
            }
        };
        return group.MapGet(pattern, handler);
    }

    /// <summary>The route value <paramref name="name"/> as a number (its route constraint is <c>long</c>).</summary>
    /// <exception cref="InvalidOperationException">The route has no such numeric value.</exception>
    public static long RouteId(this DashboardContext dashboard, string name = "id") =>
        dashboard.Http.GetRouteValue(name) is string text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new InvalidOperationException($"The route has no numeric '{name}' value.");
}
