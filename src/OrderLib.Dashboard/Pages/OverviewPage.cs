using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using OrderLib.Dashboard.Rendering;
using OrderLib.Ports;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// The overview (<c>GET /</c>): the active runs now by where they stand, the ready backlog and its oldest age, the runs
/// finished in the last hour or day with their throughput chart, the jobs whose latest run failed and the latest
/// pipeline runs. <c>?window=day</c> widens the window from the last hour.
/// </summary>
internal static class OverviewPage
{
    private const int ListLength = 10;

    /// <summary>Maps the page.</summary>
    public static void Map(RouteGroupBuilder group) => group.MapPage("/", DashboardSection.Overview, RenderAsync);

    private static async Task<IResult> RenderAsync(DashboardContext dashboard)
    {
        var window = dashboard.Http.Request.Query["window"].ToString() == "day" ? OverviewWindow.Day : OverviewWindow.Hour;
        var orderLib = dashboard.OrderLib;
        var statistics = await orderLib.History.GetStatisticsAsync(window.Query(dashboard.Now), dashboard.Aborted).ConfigureAwait(false);
        var failing = await orderLib.History.SearchJobsAsync(
            new JobSearch { Filter = new JobFilter { LatestStatuses = new HashSet<RunStatus> { RunStatus.Failed } }, Limit = ListLength },
            dashboard.Aborted).ConfigureAwait(false);
        var pipelines = await orderLib.Pipelines.ListAsync(new PipelineRunSearch { Limit = ListLength }, dashboard.Aborted).ConfigureAwait(false);

        var content = Html.Of($"""
            {QueueCards(dashboard, statistics)}
            <section aria-labelledby="finished">
            <h2 id="finished">Finished in the last {window.Name}</h2>
            <p class="window-switch">{WindowLink(dashboard, OverviewWindow.Hour, window)} {WindowLink(dashboard, OverviewWindow.Day, window)}</p>
            {FinishedCards(statistics.Overall)}
            {Charts.StackedBars($"Runs finished per {window.BucketName} (UTC)", ThroughputSeries, statistics.Timeline.Select(window.Bar).ToList(), value => Format.Count((long)value))}
            </section>
            <div class="columns">
            <section aria-labelledby="failing"><h2 id="failing">Failing jobs</h2>{FailingJobs(dashboard, failing.Items)}</section>
            <section aria-labelledby="recent-pipelines"><h2 id="recent-pipelines">Recent pipeline runs</h2>{RecentPipelineRuns(dashboard, pipelines.Items)}</section>
            </div>
            """);
        return new DashboardPage(dashboard, "Overview", DashboardSection.Overview, content);
    }

    private static readonly ChartSeries[] ThroughputSeries =
    [
        new("succeeded", "fill-succeeded"),
        new("failed", "fill-failed"),
        new("cancelled", "fill-cancelled"),
    ];

    private static Html QueueCards(DashboardContext dashboard, HistoryStatistics statistics)
    {
        var queue = statistics.Queue;
        return Html.Of($"""
            <section aria-labelledby="now"><h2 id="now">Now</h2>
            <dl class="cards">
            {Card("Ready", Format.Count(queue.Ready), dashboard.Url("runs", [new("statuses", "pending")]))}
            {Card("Oldest ready", statistics.OldestReadyAge is { } age ? Format.DurationText(age) : "–", null)}
            {Card("Waiting on upstream", Format.Count(queue.WaitingOnUpstream), null)}
            {Card("Scheduled later", Format.Count(queue.ScheduledLater), null)}
            {Card("Paused", Format.Count(queue.Paused), dashboard.Url("jobs", [new("paused", "true")]))}
            {Card("Running", Format.Count(queue.Running), dashboard.Url("runs", [new("statuses", "running")]))}
            </dl>
            </section>
            """);
    }

    /// <summary>The finished runs of a window as cards: counts by status, success rate, duration p50 and p95.</summary>
    internal static Html FinishedCards(RunStatistics overall) => Html.Of($"""
        <dl class="cards">
        {Card("Succeeded", Format.Count(overall.Succeeded), null)}
        {Card("Failed", Format.Count(overall.Failed), null)}
        {Card("Cancelled", Format.Count(overall.Cancelled), null)}
        {Card("Success rate", overall.SuccessRate is { } rate ? rate.ToString("P1", CultureInfo.InvariantCulture) : "–", null)}
        {Card("Duration p50", overall.Durations is { } durations ? Format.DurationText(durations.P50) : "–", null)}
        {Card("Duration p95", overall.Durations is { } slow ? Format.DurationText(slow.P95) : "–", null)}
        </dl>
        """);

    private static Html Card(string label, string value, string? link) => link is null
        ? Html.Of($"<div class=\"card\"><dt>{label}</dt><dd>{value}</dd></div>")
        : Html.Of($"<div class=\"card\"><dt>{label}</dt><dd><a href=\"{link}\">{value}</a></dd></div>");

    private static Html WindowLink(DashboardContext dashboard, OverviewWindow window, OverviewWindow current)
    {
        var url = dashboard.Url("", window == OverviewWindow.Hour ? null : [new("window", "day")]);
        return window == current
            ? Html.Of($"<a href=\"{url}\" aria-current=\"true\">last {window.Name}</a>")
            : Html.Of($"<a href=\"{url}\">last {window.Name}</a>");
    }

    private static Html FailingJobs(DashboardContext dashboard, IReadOnlyList<JobWithLatestRun> jobs) => jobs.Count == 0
        ? Html.Of($"<p class=\"empty\">No job's latest run failed.</p>")
        : Html.Of($"""
            <table><thead><tr><th>Job</th><th>Failed at</th><th>Error</th></tr></thead><tbody>
            {Html.Join(jobs.Select(item => Html.Of($"<tr><td><a href=\"{dashboard.Url($"jobs/{item.Job.Id.Value}")}\">{item.Job.Name}</a></td><td>{Format.Time(item.LatestRun?.FinishedAt)}</td><td class=\"error-text\">{item.LatestRun?.Error}</td></tr>")))}
            </tbody></table>
            """);

    private static Html RecentPipelineRuns(DashboardContext dashboard, IReadOnlyList<PipelineRunSummary> runs) => runs.Count == 0
        ? Html.Of($"<p class=\"empty\">No pipeline run yet.</p>")
        : Html.Of($"""
            <table><thead><tr><th>Pipeline run</th><th>Roots</th><th>State</th><th>Created</th></tr></thead><tbody>
            {Html.Join(runs.Select(run => Html.Of($"<tr><td><a href=\"{dashboard.Url($"pipelines/{run.Id.Value}")}\">#{run.Id.Value}</a> {run.Label}</td><td>{string.Join(", ", run.Roots.Select(root => root.Name))}</td><td>{Format.State(run.State)}</td><td>{Format.Time(run.CreatedAt)}</td></tr>")))}
            </tbody></table>
            """);
}

/// <summary>The overview's window: the last hour in minutes, or the last day in hours.</summary>
internal sealed record OverviewWindow(string Name, string BucketName, TimeSpan Length, TimelineBucket Bucket, string LabelFormat)
{
    /// <summary>The last hour, one bar per minute.</summary>
    public static readonly OverviewWindow Hour = new("hour", "minute", TimeSpan.FromHours(1), TimelineBucket.Minute, "HH:mm");

    /// <summary>The last day, one bar per hour.</summary>
    public static readonly OverviewWindow Day = new("day", "hour", TimeSpan.FromDays(1), TimelineBucket.Hour, "yyyy-MM-dd HH:00");

    /// <summary>The statistics query for the window ending at <paramref name="now"/>.</summary>
    public StatisticsQuery Query(DateTimeOffset now) => new(now - Length, now) { Bucket = Bucket };

    /// <summary>A timeline bucket as a chart bar: succeeded, failed, cancelled.</summary>
    public ChartBar Bar(TimelineBucketCounts bucket) =>
        new(bucket.Start.UtcDateTime.ToString(LabelFormat, CultureInfo.InvariantCulture), [bucket.Succeeded, bucket.Failed, bucket.Cancelled]);
}
