using System.Net;

namespace OrderLib.Dashboard.Tests;

public sealed class RunAndJobActionTests
{
    private static readonly WorkerId Worker = new("w-1");

    [Test]
    public async Task Cancelling_a_pending_run_redirects_to_it_with_the_cancelled_notice_and_a_running_one_with_cancel_requested()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var pending = (await orderLib.Runs.EnqueueAsync((await orderLib.Jobs.CreateAsync(new JobDefinition("waits"))).Id)).Run;
        var running = await orderLib.Runs.StartAsync((await orderLib.Runs.EnqueueAsync((await orderLib.Jobs.CreateAsync(new JobDefinition("works"))).Id)).Run.Id, Worker);

        var confirmation = await (await local.GetAsync($"/orderlib/runs/{pending.Id.Value}/cancel")).BodyAsync(HttpStatusCode.OK);
        Assert.That(confirmation, Does.Contain($"<h1>Cancel run {pending.Id.Value}?</h1>").And.Contain("of job <strong>waits</strong>"));

        var cancel = await local.ConfirmAsync($"/orderlib/runs/{pending.Id.Value}/cancel", ("reason", "not today"));
        Assert.That(cancel.Location(), Is.EqualTo($"/orderlib/runs/{pending.Id.Value}?notice=cancelled"));
        var cancelled = await orderLib.Runs.GetAsync(pending.Id);
        Assert.That((cancelled.Status, cancelled.Error), Is.EqualTo((RunStatus.Cancelled, "not today")));
        var after = await (await local.GetAsync(cancel.Location())).BodyAsync(HttpStatusCode.OK);
        Assert.That(after, Does.Contain("<div class=\"notice done\" role=\"status\">Cancelled.</div>"));

        var request = await local.ConfirmAsync($"/orderlib/runs/{running.Id.Value}/cancel");
        Assert.That(request.Location(), Is.EqualTo($"/orderlib/runs/{running.Id.Value}?notice=cancel-requested"));
        var marked = await orderLib.Runs.GetAsync(running.Id);
        Assert.That((marked.Status, marked.CancelRequested), Is.EqualTo((RunStatus.Running, true)));
    }

    [Test]
    public async Task Cancelling_a_finished_run_is_refused_with_409_in_the_librarys_words_and_changes_nothing()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var failed = await RunsPageTests.FailedRunAsync(app.OrderLib, "done", "boom");

        var refused = await local.ConfirmAsync($"/orderlib/runs/{failed.Id.Value}/cancel");
        var page = await refused.BodyAsync(HttpStatusCode.Conflict);
        Assert.That(page, Does.Contain($"Run {failed.Id.Value} cannot go from Failed to Cancelled."));
        Assert.That(page, Does.Contain("<form method=\"post\""), "the confirmation again");
        Assert.That((await app.OrderLib.Runs.GetAsync(failed.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public async Task Retrying_a_failed_run_enqueues_a_new_run_and_retrying_a_succeeded_one_is_refused_with_409()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var failed = await RunsPageTests.FailedRunAsync(orderLib, "flaky", "boom");

        var retry = await local.ConfirmAsync($"/orderlib/runs/{failed.Id.Value}/retry");
        var latest = (await orderLib.Runs.ListForJobAsync(failed.JobId)).Items[0];
        Assert.That(latest.Id, Is.Not.EqualTo(failed.Id));
        Assert.That(latest.Status, Is.EqualTo(RunStatus.Pending));
        Assert.That(retry.Location(), Is.EqualTo($"/orderlib/runs/{latest.Id.Value}?notice=retried"));

        await orderLib.Runs.StartAsync(latest.Id, Worker);
        await orderLib.Runs.MarkSucceededAsync(latest.Id);
        var refused = await (await local.ConfirmAsync($"/orderlib/runs/{latest.Id.Value}/retry")).BodyAsync(HttpStatusCode.Conflict);
        Assert.That(refused, Does.Contain($"Run {latest.Id.Value} cannot be retried: it is Succeeded"));
        Assert.That((await orderLib.Runs.ListForJobAsync(failed.JobId)).Items, Has.Count.EqualTo(2), "nothing enqueued");

        var stillFailed = await RunsPageTests.FailedRunAsync(orderLib, "busy", "boom");
        var active = (await orderLib.Runs.EnqueueAsync(stillFailed.JobId)).Run;
        var blocked = await (await local.ConfirmAsync($"/orderlib/runs/{stillFailed.Id.Value}/retry")).BodyAsync(HttpStatusCode.Conflict);
        Assert.That(blocked, Does.Contain($"Run {stillFailed.Id.Value} cannot be retried: its job already has run {active.Id.Value}, which is Pending."));
    }

    [Test]
    public async Task Triggering_a_job_with_input_and_label_redirects_to_its_pipeline_run_and_invalid_input_is_refused_with_400()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var job = await orderLib.Jobs.CreateAsync(new JobDefinition("report"));
        var url = $"/orderlib/jobs/{job.Id.Value}/trigger";

        var notJson = await (await local.ConfirmAsync(url, ("input", "{\"day\": <b>"), ("label", "mine"))).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(notJson, Does.Contain("The input is not valid JSON"));
        Assert.That(notJson, Does.Contain(">{&quot;day&quot;: &lt;b&gt;</textarea>"), "what was typed, encoded, to correct");
        var tooLarge = await (await local.ConfirmAsync(url, ("input", "\"" + new string('x', RunPayload.MaxBytes) + "\""))).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(tooLarge, Does.Contain("the limit is 65,536 bytes"));
        Assert.That((await orderLib.Runs.ListForJobAsync(job.Id)).Items, Is.Empty, "nothing was written");

        var triggered = await local.ConfirmAsync(url, ("input", """{"day":"2026-12-07"}"""), ("label", "backfill & more"));
        var run = (await orderLib.Runs.ListForJobAsync(job.Id)).Items.Single();
        Assert.That(run.PipelineRunId, Is.Not.Null);
        Assert.That(triggered.Location(), Is.EqualTo($"/orderlib/pipelines/{run.PipelineRunId!.Value.Value}?notice=triggered"));
        var pipeline = await orderLib.Pipelines.GetAsync(run.PipelineRunId.Value);
        Assert.That(pipeline.Summary.Label, Is.EqualTo("backfill & more"));
        Assert.That((await orderLib.Runs.GetPayloadsAsync(run.Id)).Input, Is.EqualTo(RunPayload.Parse("""{"day":"2026-12-07"}""")));

        var plain = await local.ConfirmAsync($"/orderlib/jobs/{(await orderLib.Jobs.CreateAsync(new JobDefinition("plain"))).Id.Value}/trigger", ("input", ""), ("label", ""));
        Assert.That(plain.Location(), Does.StartWith("/orderlib/pipelines/").And.EndWith("?notice=triggered"), "input and label are optional");
    }

    [Test]
    public async Task Pausing_and_resuming_a_job_redirect_to_it_with_their_notices_and_switch_its_button()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var job = await app.OrderLib.Jobs.CreateAsync(new JobDefinition("<i>switch</i>"));
        var confirmation = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}/pause")).BodyAsync(HttpStatusCode.OK);
        Assert.That(confirmation, Does.Contain("<h1>Pause &lt;i&gt;switch&lt;/i&gt;?</h1>").And.Not.Contain("<i>switch</i>"));

        var pause = await local.ConfirmAsync($"/orderlib/jobs/{job.Id.Value}/pause");
        Assert.That(pause.Location(), Is.EqualTo($"/orderlib/jobs/{job.Id.Value}?notice=paused"));
        Assert.That((await app.OrderLib.Jobs.GetAsync(job.Id)).IsPaused, Is.True);
        var paused = await (await local.GetAsync(pause.Location())).BodyAsync(HttpStatusCode.OK);
        Assert.That(paused, Does.Contain("Paused: the job").And.Contain($"href=\"/orderlib/jobs/{job.Id.Value}/resume\"").And.Not.Contain("/pause\""));

        var resume = await local.ConfirmAsync($"/orderlib/jobs/{job.Id.Value}/resume");
        Assert.That(resume.Location(), Is.EqualTo($"/orderlib/jobs/{job.Id.Value}?notice=resumed"));
        Assert.That((await app.OrderLib.Jobs.GetAsync(job.Id)).IsPaused, Is.False);
    }

    [Test]
    public async Task A_post_without_the_antiforgery_token_is_refused_with_400_and_nothing_is_done()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var job = await app.OrderLib.Jobs.CreateAsync(new JobDefinition("guarded"));
        var pending = (await app.OrderLib.Runs.EnqueueAsync(job.Id)).Run;

        foreach (var url in new[] { $"/orderlib/runs/{pending.Id.Value}/cancel", $"/orderlib/jobs/{job.Id.Value}/pause", $"/orderlib/jobs/{job.Id.Value}/trigger" })
        {
            var page = await (await local.PostWithoutTokenAsync(url, ("reason", "forged"))).BodyAsync(HttpStatusCode.BadRequest);
            Assert.That(page, Does.Contain("nothing was done"), url);
        }

        Assert.That((await app.OrderLib.Runs.GetAsync(pending.Id)).Status, Is.EqualTo(RunStatus.Pending));
        Assert.That((await app.OrderLib.Jobs.GetAsync(job.Id)).IsPaused, Is.False);
        Assert.That((await app.OrderLib.Runs.ListForJobAsync(job.Id)).Items, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_read_only_dashboard_shows_no_action_buttons_and_refuses_every_action_with_403()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:ReadOnly"] = "true" });
        using var local = await app.StartedLocalAsync();
        var failed = await RunsPageTests.FailedRunAsync(app.OrderLib, "locked", "boom");
        var pending = (await app.OrderLib.Runs.EnqueueAsync((await app.OrderLib.Jobs.CreateAsync(new JobDefinition("queued"))).Id)).Run;

        await AssertNoActionsAsync(local, failed, pending);
        foreach (var url in new[] { $"/orderlib/runs/{pending.Id.Value}/cancel", $"/orderlib/runs/{failed.Id.Value}/retry", $"/orderlib/jobs/{failed.JobId.Value}/trigger", $"/orderlib/jobs/{failed.JobId.Value}/pause", $"/orderlib/jobs/{failed.JobId.Value}/resume" })
        {
            await (await local.GetAsync(url)).BodyAsync(HttpStatusCode.Forbidden);
            await (await local.PostWithoutTokenAsync(url)).BodyAsync(HttpStatusCode.Forbidden);
        }

        Assert.That((await app.OrderLib.Runs.GetAsync(pending.Id)).Status, Is.EqualTo(RunStatus.Pending));
        Assert.That((await app.OrderLib.Runs.ListForJobAsync(failed.JobId)).Items, Has.Count.EqualTo(1));
        Assert.That((await app.OrderLib.Jobs.GetAsync(failed.JobId)).IsPaused, Is.False);
    }

    [Test]
    public async Task A_user_without_the_actions_policy_sees_the_pages_read_only_and_one_with_it_may_act()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Policy"] = "viewers", ["Dashboard:ActionsPolicy"] = "operators" });
        using var viewer = app.Remote(user: "vera", roles: "viewer");
        _ = await viewer.GetAsync("/orderlib/");
        var failed = await RunsPageTests.FailedRunAsync(app.OrderLib, "guarded", "boom");
        var pending = (await app.OrderLib.Runs.EnqueueAsync((await app.OrderLib.Jobs.CreateAsync(new JobDefinition("queued"))).Id)).Run;

        await AssertNoActionsAsync(viewer, failed, pending);
        await (await viewer.GetAsync($"/orderlib/runs/{failed.Id.Value}/retry")).BodyAsync(HttpStatusCode.Forbidden);

        using var operatorUser = app.Remote(user: "olga", roles: "operator");
        var page = await (await operatorUser.GetAsync($"/orderlib/runs/{failed.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain($"href=\"/orderlib/runs/{failed.Id.Value}/retry\""));
        var retry = await operatorUser.ConfirmAsync($"/orderlib/runs/{failed.Id.Value}/retry");
        Assert.That(retry.Location(), Does.Contain("?notice=retried"));
    }

    [Test]
    public async Task Actions_on_another_clients_run_or_job_are_not_found_and_change_nothing()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = await app.StartedLocalAsync();
        var globex = app.OrderLib.ForClient(new ClientId("globex"));
        var theirs = (await globex.Runs.EnqueueAsync((await globex.Jobs.CreateAsync(new JobDefinition("globex-secret"))).Id)).Run;
        var mine = await app.OrderLib.ForClient(new ClientId("acme")).Jobs.CreateAsync(new JobDefinition("acme-job"));

        var missing = await (await local.GetAsync($"/orderlib/runs/{theirs.Id.Value}/cancel")).BodyAsync(HttpStatusCode.NotFound);
        Assert.That(missing, Does.Not.Contain("globex-secret"));
        await (await local.GetAsync($"/orderlib/jobs/{theirs.JobId.Value}/pause")).BodyAsync(HttpStatusCode.NotFound);

        // A token from one of acme's own confirmation pages, posted at globex's ids.
        var token = ActionForms.Token(await (await local.GetAsync($"/orderlib/jobs/{mine.Id.Value}/pause")).BodyAsync(HttpStatusCode.OK));
        await (await local.PostAsync($"/orderlib/runs/{theirs.Id.Value}/cancel", new FormUrlEncodedContent([token]))).BodyAsync(HttpStatusCode.NotFound);
        await (await local.PostAsync($"/orderlib/jobs/{theirs.JobId.Value}/pause", new FormUrlEncodedContent([token]))).BodyAsync(HttpStatusCode.NotFound);
        await (await local.PostAsync($"/orderlib/jobs/{theirs.JobId.Value}/trigger", new FormUrlEncodedContent([token]))).BodyAsync(HttpStatusCode.NotFound);

        Assert.That((await globex.Runs.GetAsync(theirs.Id)).Status, Is.EqualTo(RunStatus.Pending));
        Assert.That((await globex.Jobs.GetAsync(theirs.JobId)).IsPaused, Is.False);
        Assert.That((await globex.Runs.ListForJobAsync(theirs.JobId)).Items, Has.Count.EqualTo(1));
    }

    private static async Task AssertNoActionsAsync(HttpClient client, JobRun failed, JobRun pending)
    {
        foreach (var url in new[] { $"/orderlib/runs/{failed.Id.Value}", $"/orderlib/runs/{pending.Id.Value}", $"/orderlib/jobs/{failed.JobId.Value}", $"/orderlib/jobs/{pending.JobId.Value}" })
        {
            var page = await (await client.GetAsync(url)).BodyAsync(HttpStatusCode.OK);
            Assert.That(page, Does.Not.Contain("/retry\"").And.Not.Contain("/cancel\"").And.Not.Contain("/trigger\"").And.Not.Contain("/pause\""), url);
            Assert.That(page, Does.Contain("read-only"), url);
        }
    }
}
