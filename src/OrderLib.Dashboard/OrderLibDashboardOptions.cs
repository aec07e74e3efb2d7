using Microsoft.AspNetCore.Http;

namespace OrderLib.Dashboard;

/// <summary>
/// Who may see the dashboard, whether they may act, and which clients (tenants) they see. Set through
/// <c>AddOrderLib(...).AddDashboard(options =&gt; ...)</c>; checked when the dashboard is mapped.
/// </summary>
public sealed class OrderLibDashboardOptions
{
    /// <summary>The largest <see cref="PageSize"/>.</summary>
    public const int MaxPageSize = 500;

    /// <summary>
    /// The name of an ASP.NET Core authorization policy every dashboard request must satisfy. Null (the default): only
    /// local requests are answered (the remote address is a loopback address or the server's own), every other gets 403.
    /// When set, the policy alone decides: an anonymous user is challenged, an authenticated one who fails it forbidden.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// The name of a further authorization policy a user must satisfy to act (trigger, cancel, retry, pause, resume);
    /// users who pass <see cref="AuthorizationPolicy"/> but not this one see the dashboard read-only. Null: every user
    /// who may see it may act (unless <see cref="ReadOnly"/>).
    /// </summary>
    public string? ActionsAuthorizationPolicy { get; set; }

    /// <summary>True to hide every action and refuse every action request (403). Default: false.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Which clients (tenants) the user of a request may see, the first being shown by default; the user picks another
    /// with the <c>client</c> query parameter, and a client not in this list is answered 404, whatever the URL says.
    /// Null (the default): only OrderLib's configured default client. An empty list: the request is forbidden (403).
    /// </summary>
    public Func<HttpContext, IReadOnlyList<ClientId>>? VisibleClients { get; set; }

    /// <summary>The title shown in the page header and the browser tab. Default: <c>OrderLib</c>.</summary>
    public string Title { get; set; } = "OrderLib";

    /// <summary>How many rows a list shows per page (1 to <see cref="MaxPageSize"/>). Default: 50.</summary>
    public int PageSize { get; set; } = 50;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A policy name is blank, the title is blank, or the page size is out of range.</exception>
    internal void Validate()
    {
        if (AuthorizationPolicy is not null && string.IsNullOrWhiteSpace(AuthorizationPolicy))
        {
            throw new ArgumentException("AuthorizationPolicy is blank; set a policy name or leave it null for local requests only.", nameof(AuthorizationPolicy));
        }

        if (ActionsAuthorizationPolicy is not null && string.IsNullOrWhiteSpace(ActionsAuthorizationPolicy))
        {
            throw new ArgumentException("ActionsAuthorizationPolicy is blank; set a policy name or leave it null.", nameof(ActionsAuthorizationPolicy));
        }

        if (string.IsNullOrWhiteSpace(Title))
        {
            throw new ArgumentException("Title is blank.", nameof(Title));
        }

        if (PageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentException($"PageSize is {PageSize}; use 1 to {MaxPageSize}.", nameof(PageSize));
        }
    }
}
