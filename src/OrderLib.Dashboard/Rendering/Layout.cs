using System.Reflection;

namespace OrderLib.Dashboard.Rendering;

/// <summary>The frame of every page: header with the navigation and the client picker, the page, a footer.</summary>
internal static class Layout
{
    /// <summary>The assembly's informational version, shown in the footer and used to bust the assets' cache.</summary>
    public static readonly string Version =
        typeof(Layout).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    private static readonly (DashboardSection Section, string Path, string Label)[] Navigation =
    [
        (DashboardSection.Overview, "", "Overview"),
        (DashboardSection.Jobs, "jobs", "Jobs"),
        (DashboardSection.Runs, "runs", "Runs"),
        (DashboardSection.Pipelines, "pipelines", "Pipeline runs"),
        (DashboardSection.Graph, "graph", "Graph"),
    ];

    /// <summary>The whole document of <paramref name="page"/>.</summary>
    public static Html Render(DashboardPage page)
    {
        var dashboard = page.Dashboard;
        var title = dashboard.Options.Title;
        return Html.Of($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{page.Title} · {title}</title>
            <link rel="stylesheet" href="{Asset(dashboard, "dashboard.css")}">
            <script src="{Asset(dashboard, "dashboard.js")}" defer></script>
            </head>
            <body data-section="{page.Section.ToString().ToLowerInvariant()}">
            <header class="top">
            <a class="brand" href="{dashboard.Url("")}">{title}</a>
            <nav aria-label="Sections">{Html.Join(Navigation.Select(entry => NavigationLink(dashboard, entry, page.Section)))}</nav>
            {ClientPicker(dashboard)}
            {Html.If(!dashboard.CanAct, Html.Of($"<span class=\"badge readonly\" title=\"Actions are hidden\">read-only</span>"))}
            </header>
            <main id="main">
            <h1>{page.Title}</h1>
            {DashboardNotices.For(dashboard.Http)}
            {page.Content}
            </main>
            <footer>OrderLib {Version} · client <span class="client">{dashboard.Client.Value}</span> · drawn {Format.Time(dashboard.Now)}</footer>
            </body>
            </html>
            """);
    }

    /// <summary>The address of an embedded asset, versioned so a new release is fetched anew.</summary>
    public static string Asset(DashboardContext dashboard, string file) => $"{dashboard.BasePath}/assets/{file}?v={Uri.EscapeDataString(Version)}";

    private static Html NavigationLink(DashboardContext dashboard, (DashboardSection Section, string Path, string Label) entry, DashboardSection current) =>
        entry.Section == current
            ? Html.Of($"<a href=\"{dashboard.Url(entry.Path)}\" aria-current=\"page\">{entry.Label}</a>")
            : Html.Of($"<a href=\"{dashboard.Url(entry.Path)}\">{entry.Label}</a>");

    private static Html ClientPicker(DashboardContext dashboard)
    {
        if (dashboard.VisibleClients.Count < 2)
        {
            return Html.Empty;
        }

        var options = dashboard.VisibleClients.Select(client => client == dashboard.Client
            ? Html.Of($"<li><a href=\"{dashboard.UrlForClient(client)}\" aria-current=\"true\">{client.Value}</a></li>")
            : Html.Of($"<li><a href=\"{dashboard.UrlForClient(client)}\">{client.Value}</a></li>"));
        return Html.Of($"<details class=\"clients\"><summary>Client: {dashboard.Client.Value}</summary><ul>{Html.Join(options)}</ul></details>");
    }
}
