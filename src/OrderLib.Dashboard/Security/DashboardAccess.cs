using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Security;

/// <summary>
/// Decides, before any page or action runs, whether the request may see the dashboard, which client it works for and
/// whether it may act. Refusals never reveal data: 403 for a remote request without a policy, the policy's challenge or
/// forbid, and 404 for a client the user may not see (as for one that does not exist).
/// </summary>
internal static class DashboardAccess
{
    /// <summary>The key under which the request's <see cref="DashboardContext"/> is kept in <see cref="HttpContext.Items"/>.</summary>
    private static readonly object ContextKey = new();

    /// <summary>The dashboard context the access filter made for this request.</summary>
    /// <exception cref="InvalidOperationException">The request did not pass the dashboard's access filter.</exception>
    public static DashboardContext Context(HttpContext http) =>
        http.Items[ContextKey] as DashboardContext ?? throw new InvalidOperationException("The request did not pass the OrderLib dashboard's access filter.");

    /// <summary>Checks the request; on success stores its <see cref="DashboardContext"/> and returns null, else the refusal to send.</summary>
    public static async ValueTask<IResult?> CheckAsync(HttpContext http, OrderLibDashboardOptions options, string basePath)
    {
        if (options.AuthorizationPolicy is null)
        {
            if (!IsLocal(http.Connection))
            {
                return DashboardErrors.Plain(StatusCodes.Status403Forbidden,
                    "The OrderLib dashboard answers only local requests unless the host sets an authorization policy (AddDashboard(d => d.AuthorizationPolicy = ...)).");
            }
        }
        else if (!await PassesAsync(http, options.AuthorizationPolicy).ConfigureAwait(false))
        {
            return http.User.Identity?.IsAuthenticated == true ? Results.Forbid() : Results.Challenge();
        }

        var visible = VisibleClients(http, options);
        if (visible.Count == 0)
        {
            return DashboardErrors.Plain(StatusCodes.Status403Forbidden, "You may not see any client's jobs in this dashboard.");
        }

        var client = visible[0];
        if (http.Request.Query.TryGetValue(DashboardContext.ClientParameter, out var asked) && !string.IsNullOrWhiteSpace(asked))
        {
            var match = visible.Where(candidate => candidate.Value == asked.ToString().Trim()).ToList();
            if (match.Count == 0)
            {
                return DashboardErrors.Plain(StatusCodes.Status404NotFound, "No such client.");
            }

            client = match[0];
        }

        var canAct = !options.ReadOnly
            && (options.ActionsAuthorizationPolicy is null || await PassesAsync(http, options.ActionsAuthorizationPolicy).ConfigureAwait(false));
        http.Items[ContextKey] = new DashboardContext(http, options, basePath, client, visible, canAct);
        return null;
    }

    /// <summary>True when the request comes from this machine: a loopback address, or the server's own address.</summary>
    internal static bool IsLocal(ConnectionInfo connection) =>
        connection.RemoteIpAddress is { } remote
        && (IPAddress.IsLoopback(remote) || (connection.LocalIpAddress is { } local && remote.Equals(local)));

    private static async Task<bool> PassesAsync(HttpContext http, string policy)
    {
        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        var result = await authorization.AuthorizeAsync(http.User, resource: null, policy).ConfigureAwait(false);
        return result.Succeeded;
    }

    private static List<ClientId> VisibleClients(HttpContext http, OrderLibDashboardOptions options)
    {
        if (options.VisibleClients is { } visibleClients)
        {
            return visibleClients(http).Distinct().ToList();
        }

        return [http.RequestServices.GetRequiredService<IOrderLib>().ClientId];
    }
}
