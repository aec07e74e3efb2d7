using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Dashboard;

/// <summary>
/// One dashboard request after its access check: the client (tenant) it works for, the OrderLib services scoped to that
/// client, whether the user may act, and the dashboard's own addresses (which keep the chosen client).
/// </summary>
internal sealed class DashboardContext
{
    /// <summary>The query parameter that picks a client; every other query parameter belongs to the page.</summary>
    public const string ClientParameter = "client";

    private readonly Lazy<AntiforgeryTokenSet> _antiforgery;

    public DashboardContext(HttpContext http, OrderLibDashboardOptions options, string basePath, ClientId client, IReadOnlyList<ClientId> visibleClients, bool canAct)
    {
        Http = http;
        Options = options;
        BasePath = basePath;
        Client = client;
        VisibleClients = visibleClients;
        CanAct = canAct;
        OrderLib = http.RequestServices.GetRequiredService<IOrderLib>().ForClient(client);
        Now = (http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        _antiforgery = new Lazy<AntiforgeryTokenSet>(() => http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http));
    }

    /// <summary>The request.</summary>
    public HttpContext Http { get; }

    /// <summary>The dashboard's options.</summary>
    public OrderLibDashboardOptions Options { get; }

    /// <summary>The dashboard's root path, path base included, without a trailing slash (e.g. <c>/app/orderlib</c>).</summary>
    public string BasePath { get; }

    /// <summary>The client this request works for.</summary>
    public ClientId Client { get; }

    /// <summary>Every client the user may see, the default first.</summary>
    public IReadOnlyList<ClientId> VisibleClients { get; }

    /// <summary>True when actions are shown and accepted: not read-only, and the user passes the actions policy.</summary>
    public bool CanAct { get; }

    /// <summary>OrderLib's services for <see cref="Client"/>.</summary>
    public IOrderLib OrderLib { get; }

    /// <summary>The time the request is answered at (UTC, from the host's <see cref="TimeProvider"/>): ages and windows are measured from it.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The request's cancellation.</summary>
    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The antiforgery form field (name and token) for a form on this page; stores the cookie token on first use.</summary>
    public AntiforgeryTokenSet Antiforgery => _antiforgery.Value;

    /// <summary>
    /// The address of a dashboard page: <paramref name="path"/> under the root (empty for the overview), the query
    /// <paramref name="fields"/> in order, then the client when the user may see more than one.
    /// </summary>
    public string Url(string path, IEnumerable<KeyValuePair<string, string>>? fields = null)
    {
        var url = path.Length == 0 ? BasePath + "/" : $"{BasePath}/{path}";
        foreach (var (key, value) in fields ?? [])
        {
            url = QueryHelpers.AddQueryString(url, key, value);
        }

        return ClientInUrl(url, Client);
    }

    /// <summary>The same page for another client, for the client picker; its page-specific query is dropped (ids differ per client).</summary>
    public string UrlForClient(ClientId client) => QueryHelpers.AddQueryString(Http.Request.PathBase + Http.Request.Path, ClientParameter, client.Value);

    /// <summary>The query of this request without the client and notice parameters (and any in <paramref name="alsoExcept"/>): the page's own fields.</summary>
    public IEnumerable<KeyValuePair<string, string?>> PageQuery(params string[] alsoExcept) =>
        Http.Request.Query
            .Where(pair => pair.Key != ClientParameter && pair.Key != DashboardNotices.Parameter && !alsoExcept.Contains(pair.Key))
            .SelectMany(pair => pair.Value.Select(value => new KeyValuePair<string, string?>(pair.Key, value)));

    /// <summary>The value a posted form gave <paramref name="key"/> (to fill a refused action's form back), or empty for a GET.</summary>
    public string PostedValue(string key) => Http.Request.HasFormContentType ? Http.Request.Form[key].ToString() : "";

    private string ClientInUrl(string url, ClientId client) =>
        VisibleClients.Count > 1 ? QueryHelpers.AddQueryString(url, ClientParameter, client.Value) : url;
}
