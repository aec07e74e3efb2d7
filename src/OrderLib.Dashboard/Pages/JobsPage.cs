using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderLib.Dashboard.Rendering;
using OrderLib.Ports;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// The jobs: the list (<c>GET /jobs</c>, every filter of <see cref="JobSearch"/> bound to the URL), one job
/// (<c>GET /jobs/{id}</c>: its definition, neighbours, last day's statistics, a chart of its recent durations and its run
/// history with the run filters), and the actions on it: trigger (<c>/jobs/{id}/trigger</c>, with an optional JSON input
/// and label), pause and resume.
/// </summary>
internal static class JobsPage
{
    /// <summary>How many of the job's latest finished runs the duration chart draws.</summary>
    private const int ChartRuns = 40;

    private const string InputExample = "{ \"day\": \"2026-12-07\" }";

    private static readonly SearchField[] Fields =
    [
        new("nameContains", "Name contains", SearchInput.Text),
        new("namePrefix", "Name starts with", SearchInput.Text),
        new("nameEquals", "Name is", SearchInput.Text),
        new("latestStatuses", "Latest run", SearchInput.Checkboxes, null, SearchField.Names<RunStatus>()),
        new("hasRuns", "Has runs", SearchInput.Choice, null, SearchField.YesNo),
        new("hasSchedule", "Has a schedule", SearchInput.Choice, null, SearchField.YesNo),
        new("nextDueFrom", "Next due from", SearchInput.Time, "2026-12-06T10:00:00Z"),
        new("nextDueTo", "Next due before", SearchInput.Time),
        new("paused", "Paused", SearchInput.Choice, null, SearchField.YesNo),
        new("hasDependencies", "Depends on jobs", SearchInput.Choice, null, SearchField.YesNo),
        new("hasDependents", "Has dependents", SearchInput.Choice, null, SearchField.YesNo),
        new("minPriority", "Priority from", SearchInput.Number),
        new("maxPriority", "Priority to", SearchInput.Number),
        .. SearchField.Paging,
    ];

    private static readonly ChartSeries[] DurationSeries =
    [
        new("succeeded", "fill-succeeded"),
        new("failed", "fill-failed"),
        new("cancelled", "fill-cancelled"),
    ];

    /// <summary>Maps the pages and the actions.</summary>
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPage("/jobs", DashboardSection.Jobs, ListAsync);
        group.MapPage("/jobs/{id:long}", DashboardSection.Jobs, DetailAsync);
        new DashboardAction("/jobs/{id:long}/trigger", DashboardSection.Jobs, "Trigger", Dangerous: false, DescribeTriggerAsync, TriggerAsync).Map(group);
        new DashboardAction(
            "/jobs/{id:long}/pause",
            DashboardSection.Jobs,
            "Pause job",
            Dangerous: true,
            dashboard => DescribeSwitchAsync(dashboard, "Pause", "its runs are no longer claimed and its schedule enqueues nothing until it is resumed; a run already running finishes."),
            (dashboard, _) => SwitchAsync(dashboard, dashboard.OrderLib.Jobs.PauseAsync, "paused")).Map(group);
        new DashboardAction(
            "/jobs/{id:long}/resume",
            DashboardSection.Jobs,
            "Resume job",
            Dangerous: false,
            dashboard => DescribeSwitchAsync(dashboard, "Resume", "its pending run may be claimed again, and a schedule that came due while it was paused enqueues one run."),
            (dashboard, _) => SwitchAsync(dashboard, dashboard.OrderLib.Jobs.ResumeAsync, "resumed")).Map(group);
    }

    private static async Task<IResult> ListAsync(DashboardContext dashboard)
    {
        var fields = SearchForm.Fields(dashboard, "latestStatuses");
        JobSearch search;
        Page<JobWithLatestRun> page;
        try
        {
            search = JobSearch.FromFields(fields);
            page = await dashboard.OrderLib.History.SearchJobsAsync(search, dashboard.Aborted).ConfigureAwait(false);
        }
        catch (OrderLibValidationException exception)
        {
            var refused = Html.Of($"{SearchForm.Refusal(exception)}{SearchForm.Render(dashboard, "jobs", Fields, SearchForm.Values(fields), exception.ParamName)}");
            return new DashboardPage(dashboard, "Jobs", DashboardSection.Jobs, refused) { StatusCode = StatusCodes.Status400BadRequest };
        }

        var linkFields = (search with { Cursor = null }).ToFields();
        var content = Html.Of($"""
            {SearchForm.Render(dashboard, "jobs", Fields, SearchForm.Values(linkFields), null)}
            {Html.If(page.Total is not null, Html.Of($"<p class=\"total\">{Format.Count(page.Total ?? 0)} matching jobs</p>"))}
            {JobTable(dashboard, page.Items)}
            {SearchForm.Pager(dashboard, "jobs", linkFields, search.Cursor, page.Next)}
            """);
        return new DashboardPage(dashboard, "Jobs", DashboardSection.Jobs, content);
    }

    private static Html JobTable(DashboardContext dashboard, IReadOnlyList<JobWithLatestRun> jobs) => jobs.Count == 0
        ? Html.Of($"<p class=\"empty\">No job matches.</p>")
        : Html.Of($"""
            <table class="jobs"><thead><tr><th>Job</th><th>Latest run</th><th>Schedule</th><th>Next due</th><th>Paused since</th><th class="num">Priority</th><th>Latest run at</th></tr></thead><tbody>
            {Html.Join(jobs.Select(item => Html.Of($"""
                <tr data-job-id="{item.Job.Id.Value}"><td><a href="{dashboard.Url($"jobs/{item.Job.Id.Value}")}">{item.Job.Name}</a></td><td>{LatestRun(dashboard, item.LatestRun)}</td><td>{item.Job.Schedule}</td><td>{Format.Time(item.Job.NextDueAt)}</td><td>{Format.Time(item.Job.PausedAt)}</td><td class="num">{item.Job.Priority}</td><td>{Format.Time(item.LatestRun is { } run ? run.FinishedAt ?? run.StartedAt ?? run.EnqueuedAt : null)}</td></tr>
                """)))}
            </tbody></table>
            """);

    private static Html LatestRun(DashboardContext dashboard, JobRun? run) => run is null
        ? Format.Status(null)
        : Html.Of($"<a href=\"{dashboard.Url($"runs/{run.Id.Value}")}\">{Format.Status(run.Status)}</a>");

    // Six reads: the job, its upstream and downstream neighbours, its statistics, its latest durations, a page of its runs.
    private static async Task<IResult> DetailAsync(DashboardContext dashboard)
    {
        var orderLib = dashboard.OrderLib;
        var jobId = new JobId(dashboard.RouteId());
        var job = await orderLib.Jobs.GetAsync(jobId, dashboard.Aborted).ConfigureAwait(false);
        var upstream = await orderLib.Dependencies.ListUpstreamAsync(jobId, dashboard.Aborted).ConfigureAwait(false);
        var downstream = await orderLib.Dependencies.ListDownstreamAsync(jobId, dashboard.Aborted).ConfigureAwait(false);
        var statistics = await orderLib.History.GetStatisticsAsync(
            new StatisticsQuery(dashboard.Now - TimeSpan.FromDays(1), dashboard.Now) { JobIds = [jobId], Bucket = TimelineBucket.Hour },
            dashboard.Aborted).ConfigureAwait(false);
        var recent = await orderLib.History.SearchRunsAsync(
            new RunSearch { Filter = new RunFilter { JobIds = [jobId], MinDuration = TimeSpan.Zero }, OrderBy = RunTimestamp.Finished, Limit = ChartRuns },
            dashboard.Aborted).ConfigureAwait(false);
        var (history, statusCode) = await RunSearchView.RenderAsync(dashboard, $"jobs/{jobId.Value}", jobId).ConfigureAwait(false);

        var content = Html.Of($"""
            {Actions(dashboard, job)}
            {Definition(job)}
            <div class="columns">
            <section aria-labelledby="upstream"><h2 id="upstream">Depends on</h2>{Neighbours(dashboard, upstream, "No job: it may run at any time.")}</section>
            <section aria-labelledby="downstream"><h2 id="downstream">Needed by</h2>{Neighbours(dashboard, downstream, "No job depends on it.")}</section>
            </div>
            <section aria-labelledby="last-day"><h2 id="last-day">Last day</h2>
            {OverviewPage.FinishedCards(statistics.Overall)}
            {DurationChart(recent.Items)}
            </section>
            <section aria-labelledby="runs"><h2 id="runs">Runs</h2>{history}</section>
            """);
        return new DashboardPage(dashboard, $"Job {job.Name}", DashboardSection.Jobs, content) { StatusCode = statusCode };
    }

    private static Html Actions(DashboardContext dashboard, Job job)
    {
        if (!dashboard.CanAct)
        {
            return Html.Empty;
        }

        var path = $"jobs/{job.Id.Value}";
        var pauseOrResume = job.IsPaused
            ? Html.Of($"<a class=\"button\" href=\"{dashboard.Url(path + "/resume")}\">Resume…</a>")
            : Html.Of($"<a class=\"button danger\" href=\"{dashboard.Url(path + "/pause")}\">Pause…</a>");
        return Html.Of($"<div class=\"actions\"><a class=\"button\" href=\"{dashboard.Url(path + "/trigger")}\">Trigger…</a>{pauseOrResume}</div>");
    }

    private static Html Definition(Job job) => Html.Of($"""
        <dl class="facts">
        <dt>Name</dt><dd>{job.Name}</dd>
        <dt>Description</dt><dd>{job.Description ?? "–"}</dd>
        <dt>Schedule</dt><dd>{job.Schedule ?? "none"}</dd>
        <dt>Next due</dt><dd>{Format.Time(job.NextDueAt)}</dd>
        <dt>Max attempts</dt><dd>{job.MaxAttempts} (retries: {job.MaxAttempts - 1})</dd>
        <dt>Priority</dt><dd>{job.Priority}</dd>
        <dt>Paused since</dt><dd>{(job.PausedAt is null ? Html.Of($"not paused") : Format.Time(job.PausedAt))}</dd>
        <dt>Created</dt><dd>{Format.Time(job.CreatedAt)}</dd>
        <dt>Updated</dt><dd>{Format.Time(job.UpdatedAt)}</dd>
        </dl>
        """);

    private static Html Neighbours(DashboardContext dashboard, IReadOnlyList<Job> jobs, string none) => jobs.Count == 0
        ? Html.Of($"<p class=\"empty\">{none}</p>")
        : Html.Of($"<ul class=\"neighbours\">{Html.Join(jobs.Select(job => Html.Of($"<li><a href=\"{dashboard.Url($"jobs/{job.Id.Value}")}\">{job.Name}</a></li>")))}</ul>");

    /// <summary>The durations of the job's latest finished runs, oldest first, coloured by how they ended.</summary>
    private static Html DurationChart(IReadOnlyList<RunWithJobName> runs)
    {
        if (runs.Count == 0)
        {
            return Html.Of($"<p class=\"empty\">No finished run to chart yet.</p>");
        }

        var bars = runs.Reverse().Select(item =>
        {
            var seconds = RunSearchView.DurationOf(item.Run)?.TotalSeconds ?? 0;
            var label = $"Run {item.Run.Id.Value} at {item.Run.FinishedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}";
            return new ChartBar(label, [
                item.Run.Status == RunStatus.Succeeded ? seconds : 0,
                item.Run.Status == RunStatus.Failed ? seconds : 0,
                item.Run.Status == RunStatus.Cancelled ? seconds : 0,
            ]);
        }).ToList();
        return Charts.StackedBars($"Durations of the latest {runs.Count} finished runs", DurationSeries, bars, value => Format.DurationText(TimeSpan.FromSeconds(value)));
    }

    private static async Task<ActionConfirmation> DescribeTriggerAsync(DashboardContext dashboard)
    {
        var job = await JobAsync(dashboard).ConfigureAwait(false);
        return new ActionConfirmation(
            $"Trigger {job.Name}?",
            Html.Of($"<p>Enqueue job <strong>{job.Name}</strong> and every job downstream of it, as one pipeline run; jobs with an active run keep it.</p>"),
            Html.Of($"""
                <label>Input (JSON, optional, at most 64 KiB)<textarea name="input" rows="8" placeholder="{InputExample}">{dashboard.PostedValue("input")}</textarea></label>
                <label>Label (optional)<input type="text" name="label" maxlength="{TriggerOptions.MaxLabelLength}" value="{dashboard.PostedValue("label")}"></label>
                """),
            dashboard.Url($"jobs/{job.Id.Value}"));
    }

    private static async Task<ActionOutcome> TriggerAsync(DashboardContext dashboard, IFormCollection form)
    {
        var input = form["input"].ToString();
        var label = form["label"].ToString();
        var options = new TriggerOptions
        {
            Input = string.IsNullOrWhiteSpace(input) ? null : RunPayload.Parse(input, "input"),
            Label = label.Length == 0 ? null : label,
        };
        var triggered = await dashboard.OrderLib.Runs.TriggerAsync(new JobId(dashboard.RouteId()), options, dashboard.Aborted).ConfigureAwait(false);
        return new ActionOutcome($"pipelines/{triggered.Id.Value}", "triggered");
    }

    /// <summary>The confirmation of pausing or resuming the route's job: <paramref name="verb"/> it, and what that does.</summary>
    private static async Task<ActionConfirmation> DescribeSwitchAsync(DashboardContext dashboard, string verb, string effect)
    {
        var job = await JobAsync(dashboard).ConfigureAwait(false);
        return new ActionConfirmation(
            $"{verb} {job.Name}?",
            Html.Of($"<p>{verb} job <strong>{job.Name}</strong>: {effect}</p>"),
            Html.Empty,
            dashboard.Url($"jobs/{job.Id.Value}"));
    }

    /// <summary>Pauses or resumes the route's job with <paramref name="change"/>, back to its page with <paramref name="notice"/>.</summary>
    private static async Task<ActionOutcome> SwitchAsync(DashboardContext dashboard, Func<JobId, CancellationToken, Task<Job>> change, string notice)
    {
        var job = await change(new JobId(dashboard.RouteId()), dashboard.Aborted).ConfigureAwait(false);
        return new ActionOutcome($"jobs/{job.Id.Value}", notice);
    }

    private static Task<Job> JobAsync(DashboardContext dashboard) => dashboard.OrderLib.Jobs.GetAsync(new JobId(dashboard.RouteId()), dashboard.Aborted);
}
