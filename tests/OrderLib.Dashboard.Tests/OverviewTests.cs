using System.Net;

namespace OrderLib.Dashboard.Tests;

public sealed class OverviewTests
{
    [Test]
    public async Task The_overview_counts_the_queue_lists_failing_jobs_and_recent_pipeline_runs_and_encodes_every_name()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var hostile = await orderLib.Jobs.CreateAsync(new JobDefinition("<script>alert(1)</script>"));
        var calm = await orderLib.Jobs.CreateAsync(new JobDefinition("calm"));
        var failed = await orderLib.Runs.EnqueueAsync(hostile.Id);
        await orderLib.Runs.StartAsync(failed.Run.Id, new WorkerId("w1"));
        await orderLib.Runs.MarkFailedAsync(failed.Run.Id, "boom <b>bold</b>");
        await orderLib.Runs.TriggerAsync(calm.Id, new TriggerOptions { Label = "nightly & more" });

        var page = await (await local.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Not.Contain("<script>alert(1)</script>"));
        Assert.That(page, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;"), "the failing job, encoded");
        Assert.That(page, Does.Contain("boom &lt;b&gt;bold&lt;/b&gt;"), "its error, encoded");
        Assert.That(page, Does.Contain("nightly &amp; more"), "the pipeline run's label, encoded");
        Assert.That(page, Does.Match("<dt>Ready</dt><dd><a [^>]*>1</a></dd>"), "calm's triggered run is ready");
        Assert.That(page, Does.Match("<dt>Failed</dt><dd>1</dd>"), "one run failed in the last hour");
        Assert.That(page, Does.Contain("Runs finished per minute"));

        var day = await (await local.GetAsync("/orderlib/?window=day")).BodyAsync(HttpStatusCode.OK);
        Assert.That(day, Does.Contain("Runs finished per hour"));
    }
}
