using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// Pipeline runs: <c>GET /pipelines</c> lists them newest first, filtered by the URL's query (the fields of
/// <see cref="PipelineRunSearch.FromFields"/>; an unknown or unreadable one is refused with 400 naming it), one page at a
/// time with a link to the next; <c>GET /pipelines/{id}</c> shows one: its summary and input, its DAG coloured by each
/// job's latest attempt in it, and every attempt of every job; <c>/pipelines/{id}/cancel</c> cancels it.
/// </summary>
internal static class PipelineRunsPage
{
    /// <summary>Maps the list, the detail and the cancel action.</summary>
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPage("/pipelines", DashboardSection.Pipelines, ListAsync);
        group.MapPage("/pipelines/{id:long}", DashboardSection.Pipelines, DetailAsync);
        PipelineRunCancel.Action.Map(group);
    }

    /// <summary>The path of a pipeline run's page.</summary>
    public static string PathOf(PipelineRunId id) => $"pipelines/{id.Value}";

    private static readonly SearchField[] Fields =
    [
        new("states", "State", SearchInput.Checkboxes, null, SearchField.Names<PipelineRunState>()),
        new("rootJobId", "Root job id", SearchInput.Number),
        new("triggerKind", "Trigger", SearchInput.Choice, null, [new("", "any"), .. SearchField.Names<PipelineTriggerKind>()]),
        new("label", "Label", SearchInput.Text),
        new("createdFrom", "Created from", SearchInput.Time, "2026-12-07T00:00:00Z"),
        new("createdTo", "Created before", SearchInput.Time, "2026-12-08T00:00:00Z"),
        new("limit", "Page size", SearchInput.Number, "100"),
    ];

    // The listing the query asks for, with the filter form filled back and the pager; an invalid field is refused with
    // 400 and the library's message above the form as it was filled.
    private static async Task<IResult> ListAsync(DashboardContext dashboard)
    {
        const string path = "pipelines";
        var fields = SearchForm.Fields(dashboard, "states");
        PipelineRunSearch search;
        Page<PipelineRunSummary> page;
        try
        {
            search = PipelineRunSearch.FromFields(fields);
            page = await dashboard.OrderLib.Pipelines.ListAsync(search, dashboard.Aborted).ConfigureAwait(false);
        }
        catch (OrderLibValidationException exception)
        {
            var refused = Html.Of($"{SearchForm.Refusal(exception)}{SearchForm.Render(dashboard, path, Fields, SearchForm.Values(fields), exception.ParamName)}");
            return new DashboardPage(dashboard, "Pipeline runs", DashboardSection.Pipelines, refused) { StatusCode = StatusCodes.Status400BadRequest };
        }

        var rows = page.Items.Select(run => Html.Of($"""
            <tr>
            <td><a href="{dashboard.Url(PathOf(run.Id))}">#{run.Id.Value}</a></td>
            <td>{run.Label}</td>
            <td>{Html.Join(run.Roots.Select(root => Html.Of($"<a href=\"{dashboard.Url($"jobs/{root.Id.Value}")}\">{root.Name}</a> ")))}</td>
            <td>{run.TriggerKind}</td>
            <td>{Format.State(run.State)}</td>
            <td>{Counts(run.Counts)}</td>
            <td>{Format.Time(run.CreatedAt)}</td>
            <td>{Format.Time(run.FinishedAt)}</td>
            <td>{Format.Duration(run.FinishedAt - run.CreatedAt)}</td>
            </tr>
            """));
        var table = page.Items.Count == 0
            ? Html.Of($"<p class=\"empty\">No pipeline run matches.</p>")
            : Html.Of($"""
                <table class="pipeline-runs"><thead><tr><th>Pipeline run</th><th>Label</th><th>Roots</th><th>Trigger</th><th>State</th><th>Runs</th><th>Created</th><th>Finished</th><th>Duration</th></tr></thead>
                <tbody>{Html.Join(rows)}</tbody></table>
                """);
        var linkFields = (search with { Cursor = null }).ToFields();
        var content = Html.Of($"""
            {SearchForm.Render(dashboard, path, Fields, SearchForm.Values(linkFields), null)}
            {table}
            {SearchForm.Pager(dashboard, path, linkFields, search.Cursor, page.Next)}
            """);
        return new DashboardPage(dashboard, "Pipeline runs", DashboardSection.Pipelines, content);
    }

    private static async Task<IResult> DetailAsync(DashboardContext dashboard)
    {
        var id = new PipelineRunId(dashboard.RouteId());
        var orderLib = dashboard.OrderLib;
        var detail = await orderLib.Pipelines.GetAsync(id, dashboard.Aborted).ConfigureAwait(false);

        // The picture Pipelines.GetGraphAsync makes, from the pipeline run already read (two reads instead of three).
        var now = await orderLib.Dependencies.GetGraphAsync(GraphSelection.Of(detail.Jobs.Select(job => job.Job.Id).ToArray()), dashboard.Aborted).ConfigureAwait(false);
        var graph = JobGraph.OfPipelineRun(detail, now);
        var joined = detail.Jobs.Where(job => job.Joined).Select(job => job.Job.Id).ToHashSet();
        var summary = detail.Summary;
        var picture = DagPicture.Render(graph, $"Pipeline run #{id.Value}: each job coloured by its latest attempt in it", node => new DagNodeLook(
            node.RunId is { } run ? dashboard.Url($"runs/{run.Value}") : null,
            $"{node.Name} · {(node.Status is { } status ? status.ToString() : "no run")}{(joined.Contains(node.JobId) ? " · joined (created by another trigger)" : "")}{(node.Paused ? " · paused" : "")}",
            joined.Contains(node.JobId) ? "joined" : null));
        var cancel = Html.If(dashboard.CanAct && summary.State == PipelineRunState.Running,
            Html.Of($"<p class=\"actions\"><a class=\"button danger\" href=\"{dashboard.Url(PathOf(id) + "/cancel")}\">Cancel pipeline run</a></p>"));
        var content = Html.Of($"""
            {cancel}
            <dl class="facts">
            <dt>State</dt><dd>{Format.State(summary.State)}</dd>
            <dt>Label</dt><dd>{summary.Label ?? "–"}</dd>
            <dt>Trigger</dt><dd>{summary.TriggerKind}</dd>
            <dt>Roots</dt><dd>{string.Join(", ", summary.Roots.Select(root => root.Name))}</dd>
            <dt>Runs</dt><dd>{Counts(summary.Counts)}</dd>
            <dt>Created</dt><dd>{Format.Time(summary.CreatedAt)}</dd>
            <dt>Finished</dt><dd>{Format.Time(summary.FinishedAt)}</dd>
            <dt>Duration</dt><dd>{Format.Duration((summary.FinishedAt ?? dashboard.Now) - summary.CreatedAt)}</dd>
            <dt>Input</dt><dd>{Format.Payload(detail.Input)}</dd>
            </dl>
            <section aria-labelledby="dag"><h2 id="dag">Jobs</h2>
            <div class="dag-tools"><input type="search" placeholder="Find a job" aria-label="Find a job" data-dag-search><button type="button" data-dag-reset>Reset view</button></div>
            {picture}
            </section>
            <section aria-labelledby="attempts"><h2 id="attempts">Attempts</h2>{Attempts(dashboard, detail.Jobs)}</section>
            """);
        return new DashboardPage(dashboard, $"Pipeline run #{id.Value}", DashboardSection.Pipelines, content);
    }

    // One row per attempt, the job named on its first; a job whose runs were all pruned gets one row saying so.
    private static Html Attempts(DashboardContext dashboard, IReadOnlyList<PipelineRunJob> jobs)
    {
        var rows = jobs.SelectMany(job =>
        {
            var jobCell = Html.Of($"""<a href="{dashboard.Url($"jobs/{job.Job.Id.Value}")}">{job.Job.Name}</a>{Html.If(job.IsRoot, Html.Of($" <span class=\"badge\">root</span>"))}{Html.If(job.Joined, Html.Of($" <span class=\"badge joined\" title=\"This run was created by another trigger; the pipeline run joined it.\">joined</span>"))}""");
            if (job.Runs.Count == 0)
            {
                return [Html.Of($"<tr><td>{jobCell}</td><td colspan=\"7\" class=\"empty\">No run (pruned)</td></tr>")];
            }

            return job.Runs.Select((run, index) => Html.Of($"""
                <tr><td>{Html.If(index == 0, jobCell)}</td><td><a href="{dashboard.Url($"runs/{run.Id.Value}")}">{run.Id.Value}</a></td><td>{Format.Status(run.Status)}</td><td>{run.Attempt}</td><td>{Format.Time(run.StartedAt)}</td><td>{Format.Time(run.FinishedAt)}</td><td>{Format.Duration(run.FinishedAt - run.StartedAt)}</td><td class="error-text">{run.Error}</td></tr>
                """));
        });
        return Html.Of($"""
            <table class="attempts"><thead><tr><th>Job</th><th>Run</th><th>Status</th><th>Attempt</th><th>Started</th><th>Finished</th><th>Duration</th><th>Error</th></tr></thead>
            <tbody>{Html.Join(rows)}</tbody></table>
            """);
    }

    private static Html Counts(PipelineRunCounts counts)
    {
        (RunStatus Status, int Count)[] all =
        [
            (RunStatus.Pending, counts.Pending), (RunStatus.Running, counts.Running), (RunStatus.Succeeded, counts.Succeeded),
            (RunStatus.Failed, counts.Failed), (RunStatus.Cancelled, counts.Cancelled),
        ];
        return Html.Join(all.Where(entry => entry.Count > 0).Select(entry =>
            Html.Of($"<span class=\"status status-{entry.Status.ToString().ToLowerInvariant()}\" title=\"{entry.Status}\">{entry.Count} {entry.Status.ToString().ToLowerInvariant()}</span> ")));
    }
}
