using System.Globalization;

namespace OrderLib.Dashboard.Rendering;

/// <summary>How one job of a DAG picture is shown besides its name, status and pause: where it links to, its hover text, any further classes.</summary>
/// <param name="Href">The page the node opens, or null for none.</param>
/// <param name="Title">The hover text (the full name first: the box may show it cut).</param>
/// <param name="ExtraClass">A further class of the node (e.g. <c>joined</c>), or null.</param>
internal sealed record DagNodeLook(string? Href, string Title, string? ExtraClass = null);

/// <summary>
/// Draws a <see cref="JobGraph"/> as an SVG in a <c>figure class="dag"</c> from its <see cref="DagLayout"/>: each job a
/// box (<c>g class="node status-…"</c> with <c>data-name</c> and <c>data-job-id</c>, which the dashboard's script searches
/// and the stylesheet colours), each dependency an arrow from the upstream job to its dependent. No script or style inside.
/// </summary>
internal static class DagPicture
{
    private const string ArrowId = "dag-arrow";

    /// <summary>The picture of <paramref name="graph"/>, each node shown as <paramref name="look"/> says.</summary>
    public static Html Render(JobGraph graph, string caption, Func<JobGraphNode, DagNodeLook> look)
    {
        var layout = DagLayout.Of(graph);
        var edges = layout.Routes.Select(route => Html.Of(
            $"<path class=\"edge\" data-from=\"{route.Edge.DependsOnJobId.Value}\" data-to=\"{route.Edge.JobId.Value}\" d=\"{PathOf(route.Points)}\" marker-end=\"url(#{ArrowId})\"></path>"));
        var nodes = layout.Boxes.Select(box => Node(box, look(box.Node)));
        return Html.Of($"""
            <figure class="dag">
            <svg xmlns="http://www.w3.org/2000/svg" width="{Number(layout.Width)}" height="{Number(layout.Height)}" viewBox="0 0 {Number(layout.Width)} {Number(layout.Height)}" role="group" aria-label="{caption}">
            <defs><marker id="{ArrowId}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="arrow" d="M0,0 L10,5 L0,10 z"></path></marker></defs>
            <g class="edges">{Html.Join(edges)}</g>
            <g class="nodes">{Html.Join(nodes)}</g>
            </svg>
            <figcaption>{caption}</figcaption>
            </figure>
            """);
    }

    // The class that colours a node: status-failed, or status-none without a run.
    private static string StatusClass(RunStatus? status) => status is { } value ? "status-" + value.ToString().ToLowerInvariant() : "status-none";

    private static Html Node(DagBox box, DagNodeLook look)
    {
        var node = box.Node;
        var classes = string.Join(' ', new[] { "node", StatusClass(node.Status), node.Paused ? "paused" : null, look.ExtraClass }.OfType<string>());
        var group = Html.Of($"""<g class="{classes}" data-name="{node.Name}" data-job-id="{node.JobId.Value}"><title>{look.Title}</title><rect x="{Number(box.X)}" y="{Number(box.Y)}" width="{Number(box.Width)}" height="{Number(box.Height)}" rx="6"></rect><text x="{Number(box.X + box.Width / 2)}" y="{Number(box.Y + box.Height / 2)}" text-anchor="middle" dominant-baseline="central">{box.Label}</text></g>""");
        return look.Href is null ? group : Html.Of($"<a href=\"{look.Href}\">{group}</a>");
    }

    // A curve between consecutive points; a straight line where an arrow crosses a column.
    private static string PathOf(IReadOnlyList<DagPoint> points)
    {
        var path = new System.Text.StringBuilder(FormattableString.Invariant($"M{Number(points[0].X)},{Number(points[0].Y)}"));
        for (var i = 1; i < points.Count; i++)
        {
            var (from, to) = (points[i - 1], points[i]);
            var bend = (to.X - from.X) / 2;
            path.Append(from.Y == to.Y
                ? FormattableString.Invariant($" L{Number(to.X)},{Number(to.Y)}")
                : FormattableString.Invariant($" C{Number(from.X + bend)},{Number(from.Y)} {Number(to.X - bend)},{Number(to.Y)} {Number(to.X)},{Number(to.Y)}"));
        }

        return path.ToString();
    }

    private static string Number(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
