using System.Net;
using System.Text.RegularExpressions;

namespace OrderLib.Dashboard.Tests;

public sealed partial class JobsPageTests
{
    [Test]
    public async Task The_job_list_binds_its_filters_from_the_url_and_pages_with_them_kept()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var extract = (await RunsPageTests.FailedRunAsync(orderLib, "extract", "boom")).JobId;
        var export = (await RunsPageTests.FailedRunAsync(orderLib, "export", "boom")).JobId;
        await RunsPageTests.FailedRunAsync(orderLib, "load", "boom");
        var nightly = await orderLib.Jobs.CreateAsync(new JobDefinition("nightly-export") { Schedule = "every 1h", Priority = 5 });
        await orderLib.Jobs.PauseAsync(nightly.Id);

        var first = await (await local.GetAsync("/orderlib/jobs?nameContains=EX&latestStatuses=failed&limit=1")).BodyAsync(HttpStatusCode.OK);
        Assert.That(JobIds(first), Is.EqualTo(new[] { extract.Value }), "job id order");
        Assert.That(first, Does.Contain("name=\"nameContains\" value=\"EX\""));
        Assert.That(first, Does.Contain("name=\"latestStatuses\" value=\"failed\" checked"));
        Assert.That(first, Does.Contain("<span class=\"status status-failed\">Failed</span>"));
        var next = RunsPageTests.NextLink(first);
        Assert.That(next, Does.Contain("nameContains=EX").And.Contain("latestStatuses=failed").And.Contain("limit=1"));
        var second = await (await local.GetAsync(next)).BodyAsync(HttpStatusCode.OK);
        Assert.That(JobIds(second), Is.EqualTo(new[] { export.Value }));
        Assert.That(second, Does.Not.Contain("rel=\"next\""));

        var paused = await (await local.GetAsync("/orderlib/jobs?paused=true&hasSchedule=true&minPriority=5")).BodyAsync(HttpStatusCode.OK);
        Assert.That(JobIds(paused), Is.EqualTo(new[] { nightly.Id.Value }));
        Assert.That(paused, Does.Contain("every 1h"));
        Assert.That(paused, Does.Contain("<span class=\"status status-none\">never run</span>"));
        Assert.That(paused, Does.Contain("<option value=\"true\" selected>yes</option>"));

        var invalid = await (await local.GetAsync("/orderlib/jobs?paused=maybe")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(invalid, Does.Contain("Invalid search field <code>paused</code>"));
        Assert.That(WebUtility.HtmlDecode(invalid), Does.Contain("paused must be true or false; got 'maybe'"));
        Assert.That(invalid, Does.Contain("<form class=\"filters\" method=\"get\""));
    }

    [Test]
    public async Task A_job_page_shows_its_definition_neighbours_last_day_durations_and_its_own_run_history_with_filters()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var upstream = await orderLib.Jobs.CreateAsync(new JobDefinition("up<b>stream</b>"));
        var job = await orderLib.Jobs.CreateAsync(new JobDefinition("<script>alert(1)</script>") { Description = "loads <i>everything</i>", MaxAttempts = 2, Priority = 7 });
        var downstream = await orderLib.Jobs.CreateAsync(new JobDefinition("downstream"));
        var succeeded = (await orderLib.Runs.EnqueueAsync(job.Id)).Run;
        await orderLib.Runs.StartAsync(succeeded.Id, new WorkerId("w"));
        await orderLib.Runs.MarkSucceededAsync(succeeded.Id);
        var cancelled = await orderLib.Runs.CancelAsync((await orderLib.Runs.EnqueueAsync(job.Id)).Run.Id);
        var otherJobRun = await RunsPageTests.FailedRunAsync(orderLib, "other", "boom");
        await orderLib.Dependencies.AddAsync(job.Id, upstream.Id);
        await orderLib.Dependencies.AddAsync(downstream.Id, job.Id);

        var page = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Not.Contain("<script>alert(1)</script>").And.Not.Contain("<i>everything</i>").And.Not.Contain("up<b>"));
        Assert.That(page, Does.Contain("<h1>Job &lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
        Assert.That(page, Does.Contain("loads &lt;i&gt;everything&lt;/i&gt;"));
        Assert.That(page, Does.Contain("<dt>Max attempts</dt><dd>2 (retries: 1)</dd>").And.Contain("<dt>Priority</dt><dd>7</dd>"));
        Assert.That(page, Does.Contain($"<a href=\"/orderlib/jobs/{upstream.Id.Value}\">up&lt;b&gt;stream&lt;/b&gt;</a>"));
        Assert.That(page, Does.Contain($"<a href=\"/orderlib/jobs/{downstream.Id.Value}\">downstream</a>"));
        Assert.That(page, Does.Match("<dt>Succeeded</dt><dd>1</dd>"), "the last day's statistics");
        Assert.That(page, Does.Match("<dt>Cancelled</dt><dd>1</dd>"));
        Assert.That(page, Does.Contain("Durations of the latest 1 finished runs"), "the cancelled run never started: no duration");
        Assert.That(RunsPageTests.RunIds(page), Is.EqualTo(new[] { cancelled.Id.Value, succeeded.Id.Value }), "only its own runs, newest first");
        Assert.That(page, Does.Not.Contain("name=\"jobIds\"").And.Not.Contain("name=\"jobName\""), "the job is fixed");
        Assert.That(page, Does.Contain($"href=\"/orderlib/jobs/{job.Id.Value}/trigger\"").And.Contain($"href=\"/orderlib/jobs/{job.Id.Value}/pause\""));

        var filtered = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}?statuses=cancelled&limit=1")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunsPageTests.RunIds(filtered), Is.EqualTo(new[] { cancelled.Id.Value }));
        var paging = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}?limit=1")).BodyAsync(HttpStatusCode.OK);
        var next = RunsPageTests.NextLink(paging);
        Assert.That(next, Does.StartWith($"/orderlib/jobs/{job.Id.Value}?limit=1&cursor=").And.Not.Contain("jobIds"));
        Assert.That(RunsPageTests.RunIds(await (await local.GetAsync(next)).BodyAsync(HttpStatusCode.OK)), Is.EqualTo(new[] { succeeded.Id.Value }));

        var foreignIds = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}?jobIds={otherJobRun.JobId.Value}")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(foreignIds, Does.Contain("Invalid search field <code>jobIds</code>"));
        var invalid = await (await local.GetAsync($"/orderlib/jobs/{job.Id.Value}?finishedFrom=yesterday")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(invalid, Does.Contain("Invalid search field <code>finishedFrom</code>").And.Contain("<dt>Priority</dt>"), "the job is still shown");
    }

    [Test]
    public async Task Another_clients_job_is_not_found_and_never_listed()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = await app.StartedLocalAsync();
        var globex = await app.OrderLib.ForClient(new ClientId("globex")).Jobs.CreateAsync(new JobDefinition("globex-secret"));
        var acme = await app.OrderLib.ForClient(new ClientId("acme")).Jobs.CreateAsync(new JobDefinition("acme-job"));

        var missing = await (await local.GetAsync($"/orderlib/jobs/{globex.Id.Value}")).BodyAsync(HttpStatusCode.NotFound);
        Assert.That(missing, Does.Contain($"Job {globex.Id.Value} was not found.").And.Not.Contain("globex-secret"));
        var list = await (await local.GetAsync("/orderlib/jobs")).BodyAsync(HttpStatusCode.OK);
        Assert.That(JobIds(list), Is.EqualTo(new[] { acme.Id.Value }));
        await (await local.GetAsync($"/orderlib/jobs/{globex.Id.Value}?client=globex")).BodyAsync(HttpStatusCode.OK);
    }

    private static long[] JobIds(string html) =>
        JobRow().Matches(html).Select(match => long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    [GeneratedRegex("<tr data-job-id=\"(\\d+)\"")]
    private static partial Regex JobRow();
}
