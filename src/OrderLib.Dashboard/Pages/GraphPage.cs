using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// The client's job graph (<c>GET /graph</c>): every job coloured by its latest run's status and linked to its page,
/// paused ones dashed, zoomable and searchable; <c>?job={id}</c> draws only that job with everything upstream and
/// downstream of it (for graphs too large to draw whole). <c>/graph.mmd</c> and <c>/graph.dot</c> give the same graph
/// as Mermaid or Graphviz text.
/// </summary>
internal static class GraphPage
{
    /// <summary>The most jobs drawn at once; a larger graph is listed, each job linking to its neighbourhood.</summary>
    public const int MaxDrawnJobs = 500;

    private const string JobParameter = "job";

    /// <summary>Maps the page and its downloads.</summary>
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPage("/graph", DashboardSection.Graph, RenderAsync);
        group.MapPage("/graph.mmd", DashboardSection.Graph, async dashboard => new PlainText((await ReadAsync(dashboard).ConfigureAwait(false)).Graph.ToMermaid()));
        group.MapPage("/graph.dot", DashboardSection.Graph, async dashboard => new PlainText((await ReadAsync(dashboard).ConfigureAwait(false)).Graph.ToDot()));
    }

    private static async Task<IResult> RenderAsync(DashboardContext dashboard)
    {
        var (graph, around) = await ReadAsync(dashboard).ConfigureAwait(false);
        var selection = around is { } job ? [new KeyValuePair<string, string>(JobParameter, job.ToString())] : Array.Empty<KeyValuePair<string, string>>();
        var centre = around is { } middle ? graph.Nodes.First(node => node.JobId == middle) : null;
        var picture = graph.Nodes.Count == 0
            ? Html.Of($"<p class=\"empty\">No job yet.</p>")
            : graph.Nodes.Count > MaxDrawnJobs
                ? Html.Of($"<p class=\"notice\">{Format.Count(graph.Nodes.Count)} jobs are too many to draw at once: pick one below to draw it with everything upstream and downstream of it.</p>")
                : Html.Of($"""
                    <div class="dag-tools"><input type="search" placeholder="Find a job" aria-label="Find a job" data-dag-search><button type="button" data-dag-reset>Reset view</button></div>
                    {DagPicture.Render(graph, centre is null ? "Every job, upstream on the left, coloured by its latest run" : $"{centre.Name} with everything upstream and downstream of it", node => new DagNodeLook(
                        dashboard.Url($"jobs/{node.JobId.Value}"),
                        $"{node.Name} · {(node.Status is { } status ? status.ToString() : "never run")}{(node.Paused ? " · paused" : "")}",
                        node.JobId == around ? "centre" : null))}
                    """);
        var content = Html.Of($"""
            <p class="graph-links">
            {Html.If(centre is not null, Html.Of($"<a href=\"{dashboard.Url("graph")}\">Whole graph</a> · "))}
            Download: <a href="{dashboard.Url("graph.mmd", selection)}" download>Mermaid</a> · <a href="{dashboard.Url("graph.dot", selection)}" download>DOT</a>
            </p>
            {picture}
            <details class="job-list"{(graph.Nodes.Count > MaxDrawnJobs ? Html.Trusted(" open") : Html.Empty)}><summary>{Format.Count(graph.Nodes.Count)} jobs</summary>
            <ul>{Html.Join(graph.Nodes.Select(node => Html.Of($"<li><a href=\"{dashboard.Url($"jobs/{node.JobId.Value}")}\">{node.Name}</a> {Format.Status(node.Status)} <a class=\"around\" href=\"{dashboard.Url("graph", [new(JobParameter, node.JobId.ToString())])}\">neighbourhood</a></li>")))}</ul>
            </details>
            """);
        return new DashboardPage(dashboard, centre is null ? "Graph" : $"Graph around {centre.Name}", DashboardSection.Graph, content);
    }

    // The whole graph, or the neighbourhood of ?job={id}.
    private static async Task<(JobGraph Graph, JobId? Around)> ReadAsync(DashboardContext dashboard)
    {
        var text = dashboard.Http.Request.Query[JobParameter].ToString();
        JobId? around = null;
        if (text.Length > 0)
        {
            around = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? new JobId(id)
                : throw new OrderLibValidationException(JobParameter, $"{JobParameter} must be a job id (a whole number); got '{text}'.");
        }

        var selection = around is { } job ? GraphSelection.Around(job) : GraphSelection.All;
        return (await dashboard.OrderLib.Dependencies.GetGraphAsync(selection, dashboard.Aborted).ConfigureAwait(false), around);
    }

    /// <summary>A graph's text, with the dashboard's headers.</summary>
    private sealed record PlainText(string Body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            DashboardHeaders.Apply(httpContext.Response, cacheable: false);
            await httpContext.Response.WriteAsync(Body, Encoding.UTF8, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
