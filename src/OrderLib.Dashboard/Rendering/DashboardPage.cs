using System.Text;
using Microsoft.AspNetCore.Http;

namespace OrderLib.Dashboard.Rendering;

/// <summary>A dashboard page as the response: the layout around <see cref="Content"/>, with the dashboard's security headers.</summary>
/// <param name="Dashboard">The request's dashboard context.</param>
/// <param name="Title">The page's title (after the dashboard's own in the browser tab).</param>
/// <param name="Section">The navigation entry to highlight.</param>
/// <param name="Content">The page's body.</param>
internal sealed record DashboardPage(DashboardContext Dashboard, string Title, DashboardSection Section, Html Content) : IResult
{
    /// <summary>The status code to answer with. Default: 200.</summary>
    public int StatusCode { get; init; } = StatusCodes.Status200OK;

    /// <summary>Writes the page.</summary>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var html = Layout.Render(this);
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = "text/html; charset=utf-8";
        DashboardHeaders.Apply(httpContext.Response, cacheable: false);
        await httpContext.Response.WriteAsync(html.ToString(), Encoding.UTF8, httpContext.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The sections of the navigation bar.</summary>
internal enum DashboardSection
{
    /// <summary>The overview.</summary>
    Overview,

    /// <summary>Jobs and a job's history.</summary>
    Jobs,

    /// <summary>The run search and a run's detail.</summary>
    Runs,

    /// <summary>Pipeline runs.</summary>
    Pipelines,

    /// <summary>The job graph.</summary>
    Graph,
}

/// <summary>The headers every dashboard response carries.</summary>
internal static class DashboardHeaders
{
    /// <summary>
    /// Only the dashboard's own script and stylesheet run (no inline script or style, no other origin), the page cannot be
    /// framed, forms post only to the dashboard, the content type is not sniffed; pages are never cached, assets are.
    /// </summary>
    public static void Apply(HttpResponse response, bool cacheable)
    {
        response.Headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers.CacheControl = cacheable ? "public, max-age=86400, immutable" : "no-store";
    }
}
