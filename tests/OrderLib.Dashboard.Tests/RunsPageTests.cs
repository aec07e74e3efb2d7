using System.Net;
using System.Text.RegularExpressions;

namespace OrderLib.Dashboard.Tests;

public sealed partial class RunsPageTests
{
    private static readonly WorkerId Worker = new("w-1");

    [Test]
    public async Task The_search_binds_every_filter_from_the_url_fills_the_form_back_and_pages_with_the_filters_kept()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var extract = await FailedRunAsync(orderLib, "extract", "disk full");
        var export = await FailedRunAsync(orderLib, "export", "timeout");
        var loadFailed = await FailedRunAsync(orderLib, "load", "disk full");
        var exit = await orderLib.Jobs.CreateAsync(new JobDefinition("exit"));
        var pending = (await orderLib.Runs.EnqueueAsync(exit.Id)).Run;

        var first = await (await local.GetAsync("/orderlib/runs?statuses=failed&jobNamePrefix=ex&limit=1")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(first), Is.EqualTo(new[] { export.Id.Value }), "newest first, one per page, only failed runs of ex… jobs");
        Assert.That(first, Does.Contain("<form class=\"filters\" method=\"get\""));
        Assert.That(first, Does.Contain("<button type=\"submit\">Search</button>"));
        Assert.That(first, Does.Contain("name=\"statuses\" value=\"failed\" checked"), "the form is filled back");
        Assert.That(first, Does.Contain("name=\"jobNamePrefix\" value=\"ex\""));
        Assert.That(first, Does.Contain("name=\"statuses\" value=\"pending\">"), "other statuses unchecked");
        var next = NextLink(first);
        Assert.That(next, Does.Contain("statuses=failed").And.Contain("jobNamePrefix=ex").And.Contain("limit=1").And.Contain("cursor="));

        var second = await (await local.GetAsync(next)).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(second), Is.EqualTo(new[] { extract.Id.Value }));
        Assert.That(second, Does.Not.Contain("rel=\"next\""), "the last page");
        Assert.That(second, Does.Contain("First page"));

        var counted = await (await local.GetAsync("/orderlib/runs?statuses=failed&limit=1&includeTotal=true")).BodyAsync(HttpStatusCode.OK);
        Assert.That(counted, Does.Contain("<p class=\"total\">3 matching runs</p>"));
        Assert.That(NextLink(counted), Does.Contain("includeTotal=true"));
        var checkboxes = await (await local.GetAsync("/orderlib/runs?statuses=pending&statuses=failed&errorContains=DISK")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(checkboxes), Is.EquivalentTo(new[] { loadFailed.Id.Value, extract.Id.Value }), "checked statuses together; error text ignoring case");
        var oldest = await (await local.GetAsync("/orderlib/runs?direction=oldest&orderBy=enqueued&maxAttempt=1")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(oldest), Is.EqualTo(new[] { extract.Id.Value, export.Id.Value, loadFailed.Id.Value, pending.Id.Value }));
        Assert.That(oldest, Does.Contain("<option value=\"oldest\" selected>"));
    }

    [Test]
    public async Task An_invalid_or_unknown_filter_is_refused_with_400_naming_the_field_above_the_form_as_it_was_filled()
    {
        using var app = new DashboardApp();
        using var local = app.Local();

        var notANumber = await (await local.GetAsync("/orderlib/runs?minAttempt=abc&jobNamePrefix=ex")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(notANumber, Does.Contain("Invalid search field <code>minAttempt</code>"));
        Assert.That(WebUtility.HtmlDecode(notANumber), Does.Contain("minAttempt must be a whole number; got 'abc'"));
        Assert.That(notANumber, Does.Contain("<form class=\"filters\" method=\"get\""));
        Assert.That(notANumber, Does.Contain("name=\"jobNamePrefix\" value=\"ex\""), "what the user typed stays");
        Assert.That(notANumber, Does.Contain("name=\"minAttempt\" value=\"abc\" placeholder=\"1\" aria-invalid=\"true\""));

        var unknown = await (await local.GetAsync("/orderlib/runs?colour=red")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(unknown, Does.Contain("Invalid search field <code>colour</code>"));
        Assert.That(WebUtility.HtmlDecode(unknown), Does.Contain("'colour' is not a search field"));

        var backwards = await (await local.GetAsync("/orderlib/runs?minAttempt=3&maxAttempt=2")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(backwards, Does.Contain("Invalid search field <code>maxAttempt</code>"));

        var status = await (await local.GetAsync("/orderlib/runs?statuses=lost")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(status, Does.Contain("Invalid search field <code>statuses</code>"));
    }

    [Test]
    public async Task Hostile_job_names_and_error_texts_are_encoded_in_the_search_and_on_the_run_page()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var run = await FailedRunAsync(app.OrderLib, "<script>alert(1)</script>", "<img src=x onerror=alert(2)>");

        foreach (var url in new[] { "/orderlib/runs", $"/orderlib/runs/{run.Id.Value}", "/orderlib/runs?errorContains=%3Cimg" })
        {
            var page = await (await local.GetAsync(url)).BodyAsync(HttpStatusCode.OK);
            Assert.That(page, Does.Not.Contain("<script>alert(1)</script>").And.Not.Contain("<img src=x"), url);
            Assert.That(page, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;").And.Contain("&lt;img src=x onerror=alert(2)&gt;"), url);
            Assert.That(page, Does.Not.Contain(" style=").And.Not.Contain(" onclick=").And.Not.Contain("<script>"), "nothing the CSP would block");
        }

        var hostileQuery = await (await local.GetAsync("/orderlib/runs?jobName=%22%3E%3Cscript%3Ex()%3C/script%3E")).BodyAsync(HttpStatusCode.OK);
        Assert.That(hostileQuery, Does.Not.Contain("<script>x()</script>"), "a filter value filled back is encoded too");
    }

    [Test]
    public async Task A_run_page_shows_its_facts_payloads_explanation_and_every_attempt_of_its_retry_chain()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["OrderLib:RetryBaseDelay"] = "00:00:00", ["OrderLib:RetryMaxDelay"] = "00:00:00", ["OrderLib:RetryJitter"] = "0" });
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var job = await orderLib.Jobs.CreateAsync(new JobDefinition("flaky") { MaxAttempts = 3 });
        var before = await orderLib.Runs.CancelAsync((await orderLib.Runs.EnqueueAsync(job.Id)).Run.Id, "an older run");
        var first = (await orderLib.Runs.EnqueueAsync(job.Id, RunPayload.Parse("""{"day":"2026-12-07","regions":["eu","us"]}"""))).Run;
        await orderLib.Runs.StartAsync(first.Id, Worker);
        var second = (await orderLib.Runs.MarkFailedAsync(first.Id, "first failure")).Retry!;
        await orderLib.Runs.StartAsync(second.Id, Worker);
        var third = (await orderLib.Runs.MarkFailedAsync(second.Id, "second failure")).Retry!;

        var page = await (await local.GetAsync($"/orderlib/runs/{second.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain($"<h1>Run {second.Id.Value}</h1>"));
        Assert.That(page, Does.Contain("<dt>Attempt</dt><dd>2</dd>"));
        Assert.That(page, Does.Contain("<dt>Worker</dt><dd><a href=\"/orderlib/runs?workerId=w-1\">w-1</a></dd>"));
        Assert.That(page, Does.Contain("<pre class=\"error-text\">second failure</pre>"), "the error in full");
        Assert.That(page, Does.Contain("&quot;day&quot;: &quot;2026-12-07&quot;"), "the input, indented");
        Assert.That(page, Does.Contain($"Run {second.Id.Value} has ended: it ended Failed"), "the explanation");
        Assert.That(RunIds(Section(page, "attempts")), Is.EqualTo(new[] { third.Id.Value, second.Id.Value, first.Id.Value }), "the chain, newest first, without the job's older run " + before.Id.Value);
        Assert.That(page, Does.Contain($"<tr data-run-id=\"{second.Id.Value}\" class=\"current\""));
        Assert.That(page, Does.Contain($"href=\"/orderlib/runs/{second.Id.Value}/retry\""), "a failed run can be retried");
        Assert.That(page, Does.Not.Contain("/cancel\""));

        var pending = await (await local.GetAsync($"/orderlib/runs/{third.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(pending, Does.Contain("can start: it is ready, waiting for a worker to claim it"));
        Assert.That(RunIds(Section(pending, "attempts")), Is.EqualTo(new[] { third.Id.Value, second.Id.Value, first.Id.Value }));
        Assert.That(pending, Does.Contain($"href=\"/orderlib/runs/{third.Id.Value}/cancel\""), "a pending run can be cancelled");
        Assert.That(pending, Does.Not.Contain("/retry\""));

        var oldest = await (await local.GetAsync($"/orderlib/runs/{first.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(Section(oldest, "attempts")), Is.EqualTo(new[] { third.Id.Value, second.Id.Value, first.Id.Value }));
        Assert.That(RunIds(Section(await (await local.GetAsync($"/orderlib/runs/{before.Id.Value}")).BodyAsync(HttpStatusCode.OK), "attempts")), Is.EqualTo(new[] { before.Id.Value }));
    }

    [Test]
    public async Task A_waiting_run_names_the_upstream_job_and_a_running_run_its_worker_and_lease()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var upstream = await orderLib.Jobs.CreateAsync(new JobDefinition("upstream"));
        var downstream = await orderLib.Jobs.CreateAsync(new JobDefinition("downstream"));
        await orderLib.Dependencies.AddAsync(downstream.Id, upstream.Id);
        var waiting = (await orderLib.Runs.EnqueueAsync(downstream.Id)).Run;
        var running = await orderLib.Runs.StartAsync((await orderLib.Runs.EnqueueAsync(upstream.Id)).Run.Id, Worker);

        var waits = await (await local.GetAsync($"/orderlib/runs/{waiting.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(waits, Does.Contain($"Run {waiting.Id.Value} cannot start: it waits for &#x27;upstream&#x27; (latest run Running)"));
        Assert.That(waits, Does.Contain($"<a href=\"/orderlib/jobs/{upstream.Id.Value}\">upstream</a> <span class=\"status status-running\">"));

        var holds = await (await local.GetAsync($"/orderlib/runs/{running.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(holds, Does.Contain("Held by worker w-1 with a lease until"));
        Assert.That(holds, Does.Contain("<dt>Cancel requested</dt><dd>no</dd>"));
        Assert.That(holds, Does.Not.Contain("class=\"expired\""), "the lease is fresh");
    }

    [Test]
    public async Task Another_clients_run_is_not_found_and_never_listed()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = await app.StartedLocalAsync();
        var globexRun = await FailedRunAsync(app.OrderLib.ForClient(new ClientId("globex")), "globex-secret", "globex error");
        var acmeRun = await FailedRunAsync(app.OrderLib.ForClient(new ClientId("acme")), "acme-job", "acme error");

        var missing = await (await local.GetAsync($"/orderlib/runs/{globexRun.Id.Value}")).BodyAsync(HttpStatusCode.NotFound);
        Assert.That(missing, Does.Contain($"Run {globexRun.Id.Value} was not found.").And.Not.Contain("globex-secret"));
        var list = await (await local.GetAsync("/orderlib/runs")).BodyAsync(HttpStatusCode.OK);
        Assert.That(RunIds(list), Is.EqualTo(new[] { acmeRun.Id.Value }));
        Assert.That(list, Does.Contain("<input type=\"hidden\" name=\"client\" value=\"acme\">"), "the form keeps the client");

        var theirs = await (await local.GetAsync($"/orderlib/runs/{globexRun.Id.Value}?client=globex")).BodyAsync(HttpStatusCode.OK);
        Assert.That(theirs, Does.Contain("globex-secret"));
        Assert.That(theirs, Does.Contain($"href=\"/orderlib/jobs/{globexRun.JobId.Value}?client=globex\""), "links keep the client");
    }

    /// <summary>A failed run of a new job named <paramref name="jobName"/> (or of the existing one).</summary>
    internal static async Task<JobRun> FailedRunAsync(IOrderLib orderLib, string jobName, string error)
    {
        var job = await orderLib.Jobs.FindByNameAsync(jobName) ?? await orderLib.Jobs.CreateAsync(new JobDefinition(jobName));
        var run = (await orderLib.Runs.EnqueueAsync(job.Id)).Run;
        await orderLib.Runs.StartAsync(run.Id, Worker);
        await orderLib.Runs.MarkFailedAsync(run.Id, error);
        return await orderLib.Runs.GetAsync(run.Id);
    }

    /// <summary>The run ids of the rows of the runs tables in <paramref name="html"/>, in order.</summary>
    internal static long[] RunIds(string html) => RunRow().Matches(html).Select(match => long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The href of the page's "Next page" link, decoded.</summary>
    internal static string NextLink(string html)
    {
        var match = NextPage().Match(html);
        Assert.That(match.Success, Is.True, "a next page link");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static string Section(string html, string id) =>
        Regex.Match(html, $"<section aria-labelledby=\"{id}\">.*?</section>", RegexOptions.Singleline).Value;

    [GeneratedRegex("<tr data-run-id=\"(\\d+)\"")]
    private static partial Regex RunRow();

    [GeneratedRegex("<a rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex NextPage();
}
