using Microsoft.AspNetCore.Http;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// Cancelling a pipeline run (<c>/pipelines/{id}/cancel</c>, <see cref="PipelineService.CancelAsync"/>): the confirmation
/// lists the pending runs it will cancel, the running ones it will ask to stop and the joined ones it leaves alone; done,
/// it leads back to the pipeline run with the notice <c>cancelled</c>. A pipeline run with no active run of its own is
/// refused with 409 and nothing changed.
/// </summary>
internal static class PipelineRunCancel
{
    /// <summary>The action.</summary>
    public static readonly DashboardAction Action = new(
        "/pipelines/{id:long}/cancel", DashboardSection.Pipelines, "Cancel pipeline run", Dangerous: true, DescribeAsync, PerformAsync);

    private static async Task<ActionConfirmation> DescribeAsync(DashboardContext dashboard)
    {
        var id = new PipelineRunId(dashboard.RouteId());
        var detail = await dashboard.OrderLib.Pipelines.GetAsync(id, dashboard.Aborted).ConfigureAwait(false);
        var summary = detail.Summary;
        var active = detail.Jobs.SelectMany(job => job.Runs.Where(run => run.Status.IsActive()).Select(run => (job.Job, job.Joined, Run: run))).ToList();
        var own = active.Where(entry => !entry.Joined).ToList();
        var joined = active.Where(entry => entry.Joined).ToList();
        var description = summary.State != PipelineRunState.Running
            ? Html.Of($"<p>Pipeline run #{id.Value} has finished ({summary.State}): it has no pending or running run to cancel.</p>")
            : Html.Of($"""
                <p>Pipeline run #{id.Value}{(summary.Label is null ? "" : $" ({summary.Label})")} is running. Cancelling it acts on its own active runs:</p>
                {RunList(dashboard, own, "None: every active run of it was joined.")}
                <p>A pending run is cancelled at once, with the pending runs of the jobs that depend on it; a running run is asked to stop, and its worker stops it at its next heartbeat.</p>
                {Html.If(joined.Count > 0, Html.Of($"<p>The runs it joined belong to another trigger and are left alone:</p>{RunList(dashboard, joined, "")}"))}
                """);
        return new ActionConfirmation(
            $"Cancel pipeline run #{id.Value}?",
            description,
            Html.Of($"<label>Reason (optional) <input name=\"reason\" maxlength=\"500\"></label>"),
            dashboard.Url(PipelineRunsPage.PathOf(id)));
    }

    private static async Task<ActionOutcome> PerformAsync(DashboardContext dashboard, IFormCollection form)
    {
        var id = new PipelineRunId(dashboard.RouteId());
        var reason = form["reason"].ToString();
        var cancellation = await dashboard.OrderLib.Pipelines.CancelAsync(id, string.IsNullOrWhiteSpace(reason) ? null : reason, dashboard.Aborted).ConfigureAwait(false);
        if (cancellation.Cancelled.Count == 0 && cancellation.CancelRequested.Count == 0)
        {
            throw new NothingToCancelException(id);
        }

        return new ActionOutcome(PipelineRunsPage.PathOf(id), "cancelled");
    }

    private static Html RunList(DashboardContext dashboard, List<(PipelineRunJobRef Job, bool Joined, JobRun Run)> runs, string whenEmpty) => runs.Count == 0
        ? Html.Of($"<p class=\"empty\">{whenEmpty}</p>")
        : Html.Of($"""<ul>{Html.Join(runs.Select(entry => Html.Of($"<li>{entry.Job.Name}: <a href=\"{dashboard.Url($"runs/{entry.Run.Id.Value}")}\">run {entry.Run.Id.Value}</a> {Format.Status(entry.Run.Status)}</li>")))}</ul>""");

    /// <summary>The pipeline run has no pending or running run of its own: cancelling it changed nothing (a 409 on the dashboard).</summary>
    private sealed class NothingToCancelException(PipelineRunId id)
        : OrderLibException($"Pipeline run {id} has no pending or running run of its own to cancel: it has finished, or its only active runs are ones it joined, which belong to another trigger. Nothing was changed.");
}
