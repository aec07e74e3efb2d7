using System.Net;
using System.Text.RegularExpressions;

namespace OrderLib.Dashboard.Tests;

/// <summary>The pipeline run list and page, its DAG, and cancelling a pipeline run through the dashboard.</summary>
public sealed partial class PipelineRunsTests
{
    private const string Hostile = "<script>alert(1)</script>";

    [Test]
    public async Task A_pipeline_run_page_draws_its_jobs_coloured_by_their_latest_attempt_linked_to_it_and_encodes_every_name()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var (chain, pipeline) = await FailedChainAsync(orderLib);
        var runs = await RunsByJobAsync(orderLib, pipeline);

        var page = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}")).BodyAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page, Does.Contain("<figure class=\"dag\">").And.Contain("<svg").And.Contain("<marker id=\"dag-arrow\""));
            Assert.That(page, Does.Contain($"<a href=\"/orderlib/runs/{runs[chain.A.Id].Value}\"><g class=\"node status-succeeded\" data-name=\"a\" data-job-id=\"{chain.A.Id.Value}\">"));
            Assert.That(page, Does.Contain($"<a href=\"/orderlib/runs/{runs[chain.B.Id].Value}\"><g class=\"node status-failed\" data-name=\"&lt;script&gt;alert(1)&lt;/script&gt;\" data-job-id=\"{chain.B.Id.Value}\"><title>&lt;script&gt;alert(1)&lt;/script&gt; &#xB7; Failed</title>"));
            Assert.That(page, Does.Contain($"<a href=\"/orderlib/runs/{runs[chain.C.Id].Value}\"><g class=\"node status-cancelled\" data-name=\"c\""), "c was cancelled by the cascade");
            Assert.That(page, Does.Contain($"data-from=\"{chain.A.Id.Value}\" data-to=\"{chain.B.Id.Value}\"").And.Contain($"data-from=\"{chain.B.Id.Value}\" data-to=\"{chain.C.Id.Value}\""));
            Assert.That(page, Does.Not.Contain(Hostile));
            Assert.That(page, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;</text>"), "the box's label, encoded");
            Assert.That(page, Does.Contain("boom &lt;b&gt;bold&lt;/b&gt;"), "the attempt's error, encoded");
            Assert.That(page, Does.Contain("nightly &amp; more"), "the label, encoded");
            Assert.That(page, Does.Contain("&quot;day&quot;: &quot;2026-12-07&quot;"), "the input, pretty-printed and encoded");
            Assert.That(page, Does.Contain("status-failed\">Failed</span>"), "the state");
            Assert.That(page, Does.Not.Contain("Cancel pipeline run"), "a finished pipeline run has nothing to cancel");
            Assert.That(page, Does.Contain("data-dag-search").And.Contain("data-dag-reset"));
        }

        await (await local.GetAsync("/orderlib/pipelines/999999")).BodyAsync(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task The_list_is_filtered_by_the_url_pages_with_a_cursor_and_refuses_an_unknown_or_unreadable_field_naming_it()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var (_, failed) = await FailedChainAsync(orderLib);
        var lone = await orderLib.Jobs.CreateAsync(new JobDefinition("lone"));
        var running = (await orderLib.Runs.TriggerAsync(lone.Id, new TriggerOptions { Label = "second" })).Id;

        var all = await (await local.GetAsync("/orderlib/pipelines")).BodyAsync(HttpStatusCode.OK);
        Assert.That(all, Does.Contain(Link(failed)).And.Contain(Link(running)));
        Assert.That(all, Does.Contain("<a href=\"/orderlib/jobs/" + lone.Id.Value + "\">lone</a>"), "roots link to their jobs");

        var onlyFailed = await (await local.GetAsync("/orderlib/pipelines?states=failed")).BodyAsync(HttpStatusCode.OK);
        Assert.That(onlyFailed, Does.Contain(Link(failed)).And.Not.Contain(Link(running)));
        Assert.That(onlyFailed, Does.Contain("<input type=\"checkbox\" name=\"states\" value=\"failed\" checked>"), "the form shows the filter the URL holds");

        var byLabel = await (await local.GetAsync("/orderlib/pipelines?label=second&triggerKind=manual")).BodyAsync(HttpStatusCode.OK);
        Assert.That(byLabel, Does.Contain(Link(running)).And.Not.Contain(Link(failed)));
        Assert.That(byLabel, Does.Contain("name=\"label\" value=\"second\"").And.Contain("<option value=\"manual\" selected>"));

        var first = await (await local.GetAsync("/orderlib/pipelines?limit=1")).BodyAsync(HttpStatusCode.OK);
        Assert.That(first, Does.Contain(Link(running)).And.Not.Contain(Link(failed)), "newest first");
        var next = WebUtility.HtmlDecode(NextLink().Match(first).Groups["url"].Value);
        Assert.That(next, Does.StartWith("/orderlib/pipelines?limit=1&cursor="));
        var second = await (await local.GetAsync(next)).BodyAsync(HttpStatusCode.OK);
        Assert.That(second, Does.Contain(Link(failed)).And.Not.Contain(Link(running)));
        Assert.That(second, Does.Not.Contain("rel=\"next\""), "the last page");

        var unknown = await (await local.GetAsync("/orderlib/pipelines?colour=red")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(unknown, Does.Contain("&#x27;colour&#x27; is not a search field"));
        var unreadable = await (await local.GetAsync("/orderlib/pipelines?states=done")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(unreadable, Does.Contain("Invalid search field <code>states</code>"));
        Assert.That(unreadable, Does.Contain("<fieldset class=\"statuses\" aria-invalid=\"true\">"), "the form stays, the refused field marked");
    }

    [Test]
    public async Task Another_clients_pipeline_run_is_not_found_and_never_shown()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = await app.StartedLocalAsync();
        var globex = app.OrderLib.ForClient(new ClientId("globex"));
        var secret = await globex.Jobs.CreateAsync(new JobDefinition("globex-secret"));
        var pipeline = (await globex.Runs.TriggerAsync(secret.Id)).Id;

        var refused = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}?client=acme")).BodyAsync(HttpStatusCode.NotFound);
        Assert.That(refused, Does.Not.Contain("globex-secret"));
        await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}/cancel?client=acme")).BodyAsync(HttpStatusCode.NotFound);
        var acmeList = await (await local.GetAsync("/orderlib/pipelines?client=acme")).BodyAsync(HttpStatusCode.OK);
        Assert.That(acmeList, Does.Not.Contain("globex-secret"));

        var own = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}?client=globex")).BodyAsync(HttpStatusCode.OK);
        Assert.That(own, Does.Contain("globex-secret"));
        Assert.That(own, Does.Contain($"href=\"/orderlib/pipelines/{pipeline.Value}/cancel?client=globex\""), "links keep the client");
    }

    [Test]
    public async Task Cancelling_a_pipeline_run_cancels_its_own_active_runs_leaves_joined_ones_alone_and_shows_the_notice()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var chain = await ChainAsync(orderLib, "b");
        var other = await orderLib.Jobs.CreateAsync(new JobDefinition("other"));
        var othersRun = (await orderLib.Runs.EnqueueAsync(other.Id)).Run;
        var pipeline = (await orderLib.Runs.TriggerAsync([chain.A.Id, other.Id])).Id;
        var runs = await RunsByJobAsync(orderLib, pipeline);
        await orderLib.Runs.StartAsync(runs[chain.A.Id], new WorkerId("w1"));

        var page = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain($"<a class=\"button danger\" href=\"/orderlib/pipelines/{pipeline.Value}/cancel\">Cancel pipeline run</a>"));
        Assert.That(page, Does.Contain($"class=\"node status-pending joined\" data-name=\"other\""), "the joined job is marked");

        var confirmation = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}/cancel")).BodyAsync(HttpStatusCode.OK);
        Assert.That(confirmation, Does.Contain($"<h1>Cancel pipeline run #{pipeline.Value}?</h1>"));
        Assert.That(confirmation, Does.Contain($"run {runs[chain.A.Id].Value}</a>").And.Contain($"run {runs[chain.C.Id].Value}</a>"));
        Assert.That(confirmation, Does.Contain("left alone").And.Contain($"run {othersRun.Id.Value}</a>"));

        var response = await local.PostAsync($"/orderlib/pipelines/{pipeline.Value}/cancel", Form(confirmation, ("reason", "stop <now>")));
        await response.BodyAsync(HttpStatusCode.SeeOther);
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo($"/orderlib/pipelines/{pipeline.Value}?notice=cancelled"));

        var detail = await orderLib.Pipelines.GetAsync(pipeline);
        var latest = detail.Jobs.ToDictionary(job => job.Job.Id, job => job.Runs[^1]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(latest[chain.A.Id].CancelRequested, Is.True, "the running run is asked to stop");
            Assert.That(latest[chain.B.Id].Status, Is.EqualTo(RunStatus.Cancelled));
            Assert.That(latest[chain.C.Id].Status, Is.EqualTo(RunStatus.Cancelled));
            Assert.That(latest[chain.B.Id].Error, Does.Contain("stop <now>"), "the reason is recorded");
            Assert.That((await orderLib.Runs.GetAsync(othersRun.Id)).Status, Is.EqualTo(RunStatus.Pending), "the joined run belongs to another trigger");
        }

        var after = await (await local.GetAsync(response.Headers.Location!.OriginalString)).BodyAsync(HttpStatusCode.OK);
        Assert.That(after, Does.Contain("<div class=\"notice done\" role=\"status\">Cancelled.</div>"));
    }

    [Test]
    public async Task Cancelling_without_the_antiforgery_token_is_refused_and_cancelling_a_finished_pipeline_run_is_a_conflict()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var chain = await ChainAsync(orderLib, "b");
        var pipeline = (await orderLib.Runs.TriggerAsync(chain.A.Id)).Id;

        var forged = await local.PostAsync($"/orderlib/pipelines/{pipeline.Value}/cancel", new FormUrlEncodedContent([new("reason", "x")]));
        await forged.BodyAsync(HttpStatusCode.BadRequest);
        Assert.That((await orderLib.Pipelines.GetAsync(pipeline)).Summary.Counts.Pending, Is.EqualTo(3), "nothing was cancelled");

        var (_, finished) = await FailedChainAsync(orderLib, prefix: "done-");
        var confirmation = await (await local.GetAsync($"/orderlib/pipelines/{finished.Value}/cancel")).BodyAsync(HttpStatusCode.OK);
        Assert.That(confirmation, Does.Contain("has finished (Failed)"));
        var conflict = await (await local.PostAsync($"/orderlib/pipelines/{finished.Value}/cancel", Form(confirmation))).BodyAsync(HttpStatusCode.Conflict);
        Assert.That(conflict, Does.Contain("no pending or running run of its own to cancel"));

        await (await local.PostAsync("/orderlib/pipelines/999999/cancel", Form(confirmation))).BodyAsync(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task A_read_only_dashboard_shows_no_cancel_button_and_refuses_to_cancel()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:ReadOnly"] = "true" });
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var chain = await ChainAsync(orderLib, "b");
        var pipeline = (await orderLib.Runs.TriggerAsync(chain.A.Id)).Id;

        var page = await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Not.Contain("Cancel pipeline run"));
        await (await local.GetAsync($"/orderlib/pipelines/{pipeline.Value}/cancel")).BodyAsync(HttpStatusCode.Forbidden);
        await (await local.PostAsync($"/orderlib/pipelines/{pipeline.Value}/cancel", new FormUrlEncodedContent([]))).BodyAsync(HttpStatusCode.Forbidden);
        Assert.That((await orderLib.Pipelines.GetAsync(pipeline)).Summary.State, Is.EqualTo(PipelineRunState.Running), "nothing was cancelled");
    }

    private sealed record Chain(Job A, Job B, Job C);

    // a → b → c: b depends on a, c on b.
    private static async Task<Chain> ChainAsync(IOrderLib orderLib, string bName, string prefix = "")
    {
        var a = await orderLib.Jobs.CreateAsync(new JobDefinition(prefix + "a"));
        var b = await orderLib.Jobs.CreateAsync(new JobDefinition(prefix + bName));
        var c = await orderLib.Jobs.CreateAsync(new JobDefinition(prefix + "c"));
        await orderLib.Dependencies.AddAsync(b.Id, a.Id);
        await orderLib.Dependencies.AddAsync(c.Id, b.Id);
        return new Chain(a, b, c);
    }

    // The chain (b named hostilely) triggered with a label and an input: a succeeded, b failed for good, c cancelled by the cascade.
    private static async Task<(Chain Chain, PipelineRunId Pipeline)> FailedChainAsync(IOrderLib orderLib, string prefix = "")
    {
        var chain = await ChainAsync(orderLib, Hostile, prefix);
        var pipeline = (await orderLib.Runs.TriggerAsync(chain.A.Id, new TriggerOptions { Label = "nightly & more", Input = RunPayload.Parse("{\"day\":\"2026-12-07\"}") })).Id;
        var runs = await RunsByJobAsync(orderLib, pipeline);
        await orderLib.Runs.StartAsync(runs[chain.A.Id], new WorkerId("w1"));
        await orderLib.Runs.MarkSucceededAsync(runs[chain.A.Id]);
        await orderLib.Runs.StartAsync(runs[chain.B.Id], new WorkerId("w1"));
        await orderLib.Runs.MarkFailedAsync(runs[chain.B.Id], "boom <b>bold</b>");
        return (chain, pipeline);
    }

    private static async Task<Dictionary<JobId, RunId>> RunsByJobAsync(IOrderLib orderLib, PipelineRunId pipeline) =>
        (await orderLib.Pipelines.GetAsync(pipeline)).Jobs.ToDictionary(job => job.Job.Id, job => job.Runs[^1].Id);

    private static string Link(PipelineRunId id) => $"<a href=\"/orderlib/pipelines/{id.Value}\">#{id.Value}</a>";

    // The confirmation page's form: its antiforgery field and the given fields.
    private static FormUrlEncodedContent Form(string confirmationPage, params (string Name, string Value)[] fields)
    {
        var token = AntiforgeryField().Match(confirmationPage);
        Assert.That(token.Success, "the confirmation page has an antiforgery field");
        return new FormUrlEncodedContent([new(token.Groups["name"].Value, WebUtility.HtmlDecode(token.Groups["value"].Value)), .. fields.Select(field => new KeyValuePair<string, string>(field.Name, field.Value))]);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]+)\">")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("<a rel=\"next\" href=\"(?<url>[^\"]+)\">")]
    private static partial Regex NextLink();
}
