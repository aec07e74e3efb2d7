using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Pages;

/// <summary>
/// The runs: the search (<c>GET /runs</c>, every filter of <see cref="RunSearch"/> bound to the URL), one run
/// (<c>GET /runs/{id}</c>: its facts, input and output, why it is where it is, and every attempt of its retry chain), and
/// the actions on it: cancel (<c>/runs/{id}/cancel</c>) and retry (<c>/runs/{id}/retry</c>).
/// </summary>
internal static class RunsPage
{
    /// <summary>The most attempts of a retry chain shown on either side of the run.</summary>
    private const int AttemptsShown = 25;

    /// <summary>Maps the pages and the actions.</summary>
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPage("/runs", DashboardSection.Runs, SearchAsync);
        group.MapPage("/runs/{id:long}", DashboardSection.Runs, DetailAsync);
        new DashboardAction("/runs/{id:long}/cancel", DashboardSection.Runs, "Cancel run", Dangerous: true, DescribeCancelAsync, CancelAsync).Map(group);
        new DashboardAction("/runs/{id:long}/retry", DashboardSection.Runs, "Retry run", Dangerous: false, DescribeRetryAsync, RetryAsync).Map(group);
    }

    private static async Task<IResult> SearchAsync(DashboardContext dashboard)
    {
        var (content, statusCode) = await RunSearchView.RenderAsync(dashboard, "runs", job: null).ConfigureAwait(false);
        return new DashboardPage(dashboard, "Runs", DashboardSection.Runs, content) { StatusCode = statusCode };
    }

    // Four reads: the run with its explanation, its payloads, and the attempts before and after it.
    private static async Task<IResult> DetailAsync(DashboardContext dashboard)
    {
        var runs = dashboard.OrderLib.Runs;
        var runId = new RunId(dashboard.RouteId());
        var explanation = await runs.ExplainAsync(runId, dashboard.Aborted).ConfigureAwait(false);
        var payloads = await runs.GetPayloadsAsync(runId, dashboard.Aborted).ConfigureAwait(false);
        var attempts = await AttemptsAsync(dashboard, explanation).ConfigureAwait(false);
        var run = explanation.Run;
        var content = Html.Of($"""
            {Actions(dashboard, run)}
            {Facts(dashboard, explanation)}
            <section aria-labelledby="why"><h2 id="why">Why it is {run.Status}</h2>
            <p class="explanation">{explanation}</p>
            <ul class="reasons">{Html.Join(explanation.Reasons.Select(reason => Html.Of($"<li>{Reason(dashboard, reason)}</li>")))}</ul>
            </section>
            {Html.If(run.Error is not null, Html.Of($"<section aria-labelledby=\"error\"><h2 id=\"error\">Error</h2><pre class=\"error-text\">{run.Error}</pre></section>"))}
            <div class="columns">
            <section aria-labelledby="input"><h2 id="input">Input</h2>{Format.Payload(payloads.Input)}</section>
            <section aria-labelledby="output"><h2 id="output">Output</h2>{Format.Payload(payloads.Output)}</section>
            </div>
            <section aria-labelledby="attempts"><h2 id="attempts">Attempts</h2>{RunSearchView.Table(dashboard, attempts, run.Id)}</section>
            """);
        return new DashboardPage(dashboard, $"Run {run.Id.Value}", DashboardSection.Runs, content);
    }

    /// <summary>
    /// Every attempt of the run's retry chain, newest first. A job has at most one active run, so the attempts of a chain
    /// are contiguous in the job's history: those before the run are the job's runs just before it (attempts k-1 down to
    /// 1), those after it the runs just after while the attempt keeps rising. Two searches of at most
    /// <see cref="AttemptsShown"/> (plus one) runs each.
    /// </summary>
    private static async Task<IReadOnlyList<RunWithJobName>> AttemptsAsync(DashboardContext dashboard, RunExplanation explanation)
    {
        var run = explanation.Run;
        var history = dashboard.OrderLib.History;
        var filter = new RunFilter { JobIds = [run.JobId] };
        var earlier = run.Attempt <= 1
            ? []
            : (await history.SearchRunsAsync(
                new RunSearch { Filter = filter with { EnqueuedTo = run.EnqueuedAt.AddTicks(1) }, Limit = Math.Min(run.Attempt - 1, AttemptsShown) + 1 },
                dashboard.Aborted).ConfigureAwait(false)).Items;
        var later = (await history.SearchRunsAsync(
            new RunSearch { Filter = filter with { EnqueuedFrom = run.EnqueuedAt }, Direction = SortDirection.OldestFirst, Limit = AttemptsShown + 1 },
            dashboard.Aborted).ConfigureAwait(false)).Items;

        var chain = new List<RunWithJobName>();
        var attempt = run.Attempt;
        foreach (var item in later.Where(item => item.Run.Id.Value > run.Id.Value).TakeWhile(item => item.Run.Attempt == ++attempt))
        {
            chain.Insert(0, item);
        }

        chain.Add(new RunWithJobName(run, explanation.JobName));
        attempt = run.Attempt;
        chain.AddRange(earlier.Where(item => item.Run.Id.Value < run.Id.Value).TakeWhile(item => item.Run.Attempt == --attempt));
        return chain;
    }

    private static Html Actions(DashboardContext dashboard, JobRun run)
    {
        if (!dashboard.CanAct)
        {
            return Html.Empty;
        }

        var path = $"runs/{run.Id.Value}";
        return run.Status switch
        {
            RunStatus.Pending or RunStatus.Running => Html.Of($"<div class=\"actions\"><a class=\"button danger\" href=\"{dashboard.Url(path + "/cancel")}\">Cancel…</a></div>"),
            RunStatus.Failed or RunStatus.Cancelled => Html.Of($"<div class=\"actions\"><a class=\"button\" href=\"{dashboard.Url(path + "/retry")}\">Retry…</a></div>"),
            _ => Html.Empty,
        };
    }

    private static Html Facts(DashboardContext dashboard, RunExplanation explanation)
    {
        var run = explanation.Run;
        var leaseExpired = run.Status == RunStatus.Running && run.LeaseExpiresAt < dashboard.Now;
        var pipeline = run.PipelineRunId is { } pipelineRunId
            ? Html.Of($"<a href=\"{dashboard.Url($"pipelines/{pipelineRunId.Value}")}\">#{pipelineRunId.Value}</a>")
            : Html.Of($"<span class=\"none\">none (enqueued on its own)</span>");
        return Html.Of($"""
            <dl class="facts">
            <dt>Status</dt><dd>{Format.Status(run.Status)}</dd>
            <dt>Job</dt><dd><a href="{dashboard.Url($"jobs/{run.JobId.Value}")}">{explanation.JobName}</a></dd>
            <dt>Attempt</dt><dd>{run.Attempt}</dd>
            <dt>Enqueued</dt><dd>{Format.Time(run.EnqueuedAt)}</dd>
            <dt>Available from</dt><dd>{Format.Time(run.AvailableAt)}</dd>
            <dt>Started</dt><dd>{Format.Time(run.StartedAt)}</dd>
            <dt>Finished</dt><dd>{Format.Time(run.FinishedAt)}</dd>
            <dt>Duration</dt><dd>{Format.Duration(RunSearchView.DurationOf(run))}</dd>
            <dt>Worker</dt><dd>{(run.WorkerId is { } worker ? Html.Of($"<a href=\"{dashboard.Url("runs", [new("workerId", worker.Value)])}\">{worker.Value}</a>") : Html.Of($"<span class=\"none\">–</span>"))}</dd>
            <dt>Lease expires</dt><dd>{Format.Time(run.LeaseExpiresAt)}{Html.If(leaseExpired, Html.Of($" <strong class=\"expired\">expired</strong>"))}</dd>
            <dt>Cancel requested</dt><dd>{(run.CancelRequested ? "yes" : "no")}</dd>
            <dt>Pipeline run</dt><dd>{pipeline}</dd>
            </dl>
            """);
    }

    /// <summary>One reason of the explanation with its data, linked where it names a job or a worker.</summary>
    private static Html Reason(DashboardContext dashboard, RunReason reason) => reason switch
    {
        WaitingOnUpstreamReason waiting => Html.Of($"Waits for upstream jobs whose latest run has not succeeded: {Html.Join(waiting.Upstream.Select((upstream, index) => Html.Of($"{(index > 0 ? ", " : "")}<a href=\"{dashboard.Url($"jobs/{upstream.JobId.Value}")}\">{upstream.JobName}</a> {Format.Status(upstream.LatestStatus)}")))}"),
        JobPausedReason paused => Html.Of($"Its job <a href=\"{dashboard.Url($"jobs/{paused.JobId.Value}")}\">{paused.JobName}</a> is paused since {Format.Time(paused.PausedAt)}."),
        NotAvailableYetReason backoff => Html.Of($"Not available before {Format.Time(backoff.AvailableAt)} (a retry's backoff; {Format.Duration(backoff.AvailableAt - dashboard.Now)} from now)."),
        HeldByWorkerReason held => Html.Of($"Held by worker {held.WorkerId?.Value} with a lease until {Format.Time(held.LeaseExpiresAt)}{(held.LeaseExpired ? " (expired: the next rescue ends it)" : "")}{(held.CancelRequested ? "; cancellation requested: its worker stops at its next heartbeat" : "")}."),
        EndedReason ended => Html.Of($"Ended {Format.Status(ended.Status)} at {Format.Time(ended.FinishedAt)}."),
        _ => Html.Of($"{reason}"),
    };

    private static async Task<ActionConfirmation> DescribeCancelAsync(DashboardContext dashboard)
    {
        var (run, jobName) = await RunAndJobAsync(dashboard).ConfigureAwait(false);
        var what = run.Status == RunStatus.Running
            ? Html.Of($"It is running: its worker is asked to stop at its next heartbeat and reports it Cancelled.")
            : Html.Of($"It is {run.Status}: it ends Cancelled at once, and the pending runs of the jobs downstream of it with it.");
        return new ActionConfirmation(
            $"Cancel run {run.Id.Value}?",
            Html.Of($"<p>Cancel run {run.Id.Value} of job <strong>{jobName}</strong> (attempt {run.Attempt}). {what}</p>"),
            Html.Of($"<label>Reason (optional)<input type=\"text\" name=\"reason\" maxlength=\"8000\" value=\"{dashboard.PostedValue("reason")}\"></label>"),
            dashboard.Url($"runs/{run.Id.Value}"));
    }

    private static async Task<ActionOutcome> CancelAsync(DashboardContext dashboard, IFormCollection form)
    {
        var reason = form["reason"].ToString();
        var run = await dashboard.OrderLib.Runs.CancelAsync(new RunId(dashboard.RouteId()), reason.Length == 0 ? null : reason, dashboard.Aborted).ConfigureAwait(false);
        return new ActionOutcome($"runs/{run.Id.Value}", run.Status == RunStatus.Running ? "cancel-requested" : "cancelled");
    }

    private static async Task<ActionConfirmation> DescribeRetryAsync(DashboardContext dashboard)
    {
        var (run, jobName) = await RunAndJobAsync(dashboard).ConfigureAwait(false);
        return new ActionConfirmation(
            $"Retry run {run.Id.Value}?",
            Html.Of($"<p>Run {run.Id.Value} of job <strong>{jobName}</strong> is {run.Status}. Retrying enqueues a new run of the job with the same input.</p>"),
            Html.Empty,
            dashboard.Url($"runs/{run.Id.Value}"));
    }

    private static async Task<ActionOutcome> RetryAsync(DashboardContext dashboard, IFormCollection form)
    {
        var retry = await dashboard.OrderLib.Runs.RetryAsync(new RunId(dashboard.RouteId()), dashboard.Aborted).ConfigureAwait(false);
        return new ActionOutcome($"runs/{retry.Id.Value}", "retried");
    }

    // The route's run and its job's name, in one read.
    private static async Task<(JobRun Run, string JobName)> RunAndJobAsync(DashboardContext dashboard)
    {
        var explanation = await dashboard.OrderLib.Runs.ExplainAsync(new RunId(dashboard.RouteId()), dashboard.Aborted).ConfigureAwait(false);
        return (explanation.Run, explanation.JobName);
    }
}
