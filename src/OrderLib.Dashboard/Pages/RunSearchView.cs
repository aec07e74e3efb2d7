using System.Globalization;
using Microsoft.AspNetCore.Http;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// A run search as the run search page and a job's page show it: the filter form bound to the URL both ways
/// (<see cref="RunSearch.FromFields"/> on the query, <see cref="RunSearch.ToFields"/> to fill the form back and to build the
/// next page's link), the runs table and the pager. One query: a page of the search, by keyset.
/// </summary>
internal static class RunSearchView
{
    private const string JobIdsKey = "jobIds";
    private const int ErrorShown = 160;

    private static readonly SearchField[] Fields =
    [
        new("statuses", "Statuses", SearchInput.Checkboxes, null, SearchField.Names<RunStatus>()),
        new("jobName", "Job name", SearchInput.Text, "exactly"),
        new("jobNamePrefix", "Job name starts with", SearchInput.Text),
        new(JobIdsKey, "Job ids", SearchInput.Text, "3,14"),
        new("workerId", "Worker", SearchInput.Text),
        new("minAttempt", "Attempt from", SearchInput.Number, "1"),
        new("maxAttempt", "Attempt to", SearchInput.Number),
        new("enqueuedFrom", "Enqueued from", SearchInput.Time, "2026-12-06T10:00:00Z"),
        new("enqueuedTo", "Enqueued before", SearchInput.Time, "2026-12-07T00:00:00Z"),
        new("startedFrom", "Started from", SearchInput.Time, "2026-12-06T10:00:00Z"),
        new("startedTo", "Started before", SearchInput.Time),
        new("finishedFrom", "Finished from", SearchInput.Time, "2026-12-06T10:00:00Z"),
        new("finishedTo", "Finished before", SearchInput.Time),
        new("minDuration", "Duration at least (s)", SearchInput.Text, "90.5"),
        new("maxDuration", "Duration at most (s)", SearchInput.Text, "00:05:00"),
        new("errorContains", "Error contains", SearchInput.Text),
        new("orderBy", "Order by", SearchInput.Choice, null, [new("", "enqueued"), new("started", "started"), new("finished", "finished")]),
        new("direction", "Direction", SearchInput.Choice, null, [new("", "newest first"), new("oldest", "oldest first")]),
        .. SearchField.Paging,
    ];

    private static readonly string[] JobFields = ["jobName", "jobNamePrefix", JobIdsKey];

    /// <summary>
    /// The search the query asks for at <paramref name="path"/>, rendered: all runs of the client, or only
    /// <paramref name="job"/>'s (its id is then fixed: the query may not name job ids, and the form has no job fields).
    /// An invalid query is refused with 400 and the library's message naming the field, above the form as it was filled.
    /// </summary>
    public static async Task<(Html Content, int StatusCode)> RenderAsync(DashboardContext dashboard, string path, JobId? job)
    {
        var fields = SearchForm.Fields(dashboard, "statuses");
        var shown = job is null ? Fields : Fields.Where(field => !JobFields.Contains(field.Key)).ToArray();
        RunSearch search;
        Page<RunWithJobName> page;
        try
        {
            search = RunSearch.FromFields(fields);
            if (job is { } id)
            {
                search = search.Filter.JobIds is { Count: > 0 }
                    ? throw new OrderLibValidationException(JobIdsKey, "A job's page shows only its own runs: remove jobIds, or search all runs on the Runs page.")
                    : search with { Filter = search.Filter with { JobIds = [id] } };
            }

            page = await dashboard.OrderLib.History.SearchRunsAsync(search, dashboard.Aborted).ConfigureAwait(false);
        }
        catch (OrderLibValidationException exception)
        {
            return (Html.Of($"{SearchForm.Refusal(exception)}{SearchForm.Render(dashboard, path, shown, SearchForm.Values(fields), exception.ParamName)}"), StatusCodes.Status400BadRequest);
        }

        var linkFields = (search with { Cursor = null }).ToFields().Where(field => job is null || field.Key != JobIdsKey).ToList();
        var content = Html.Of($"""
            {SearchForm.Render(dashboard, path, shown, SearchForm.Values(linkFields), null)}
            {Html.If(page.Total is not null, Html.Of($"<p class=\"total\">{Format.Count(page.Total ?? 0)} matching runs</p>"))}
            {Table(dashboard, page.Items, null)}
            {SearchForm.Pager(dashboard, path, linkFields, search.Cursor, page.Next)}
            """);
        return (content, StatusCodes.Status200OK);
    }

    /// <summary>
    /// The runs table every page shares: id, job, status, attempt, times, duration, worker and the error's start (the whole
    /// error in the cell's title); the <paramref name="current"/> run's row is marked.
    /// </summary>
    public static Html Table(DashboardContext dashboard, IReadOnlyList<RunWithJobName> runs, RunId? current) => runs.Count == 0
        ? Html.Of($"<p class=\"empty\">No run matches.</p>")
        : Html.Of($"""
            <table class="runs"><thead><tr><th class="num">Run</th><th>Job</th><th>Status</th><th class="num">Attempt</th><th>Enqueued</th><th>Started</th><th>Finished</th><th class="num">Duration</th><th>Worker</th><th>Error</th></tr></thead><tbody>
            {Html.Join(runs.Select(item => Row(dashboard, item, item.Run.Id == current)))}
            </tbody></table>
            """);

    /// <summary>How long the run took: finished minus started, or null while either is missing.</summary>
    public static TimeSpan? DurationOf(JobRun run) => run is { StartedAt: { } started, FinishedAt: { } finished } ? finished - started : null;

    private static Html Row(DashboardContext dashboard, RunWithJobName item, bool current)
    {
        var run = item.Run;
        var mark = current ? Html.Of($" class=\"current\" aria-current=\"true\"") : Html.Empty;
        return Html.Of($"""
            <tr data-run-id="{run.Id.Value}"{mark}><td class="num"><a href="{dashboard.Url($"runs/{run.Id.Value}")}">{run.Id.Value}</a></td><td><a href="{dashboard.Url($"jobs/{run.JobId.Value}")}">{item.JobName}</a></td><td>{Format.Status(run.Status)}</td><td class="num">{run.Attempt}</td><td>{Format.Time(run.EnqueuedAt)}</td><td>{Format.Time(run.StartedAt)}</td><td>{Format.Time(run.FinishedAt)}</td><td class="num">{Format.Duration(DurationOf(run))}</td><td>{run.WorkerId?.Value}</td><td class="error-text" title="{run.Error}">{Shorten(run.Error)}</td></tr>
            """);
    }

    // The first ErrorShown text elements of an error, with an ellipsis when there is more.
    private static string? Shorten(string? error)
    {
        if (error is null)
        {
            return null;
        }

        var text = new StringInfo(error);
        return text.LengthInTextElements <= ErrorShown ? error : text.SubstringByTextElements(0, ErrorShown) + "…";
    }
}
