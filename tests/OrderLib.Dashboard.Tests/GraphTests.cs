using System.Net;
using OrderLib.Dashboard.Pages;

namespace OrderLib.Dashboard.Tests;

/// <summary>The job graph page, its neighbourhood view and its Mermaid and DOT downloads.</summary>
public sealed class GraphTests
{
    [Test]
    public async Task The_graph_draws_every_job_coloured_by_its_latest_run_linked_to_its_page_with_paused_ones_marked()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var (a, b, paused) = await GraphAsync(orderLib);

        var page = await (await local.GetAsync("/orderlib/graph")).BodyAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page, Does.Contain("<figure class=\"dag\">"));
            Assert.That(page, Does.Contain("<input type=\"search\" placeholder=\"Find a job\" aria-label=\"Find a job\" data-dag-search>").And.Contain("<button type=\"button\" data-dag-reset>"));
            Assert.That(page, Does.Contain($"<a href=\"/orderlib/jobs/{a.Id.Value}\"><g class=\"node status-succeeded\" data-name=\"a\" data-job-id=\"{a.Id.Value}\">"));
            Assert.That(page, Does.Contain($"<a href=\"/orderlib/jobs/{b.Id.Value}\"><g class=\"node status-none\" data-name=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
            Assert.That(page, Does.Contain($"<g class=\"node status-none paused\" data-name=\"lonely\" data-job-id=\"{paused.Id.Value}\"><title>lonely &#xB7; never run &#xB7; paused</title>"));
            Assert.That(page, Does.Contain($"data-from=\"{a.Id.Value}\" data-to=\"{b.Id.Value}\""));
            Assert.That(page, Does.Not.Contain("<script>alert(1)"));
            Assert.That(page, Does.Contain($"href=\"/orderlib/graph?job={b.Id.Value}\""), "each job links to its neighbourhood");
            Assert.That(page, Does.Contain("href=\"/orderlib/graph.mmd\"").And.Contain("href=\"/orderlib/graph.dot\""));
        }
    }

    [Test]
    public async Task A_jobs_neighbourhood_shows_only_what_is_upstream_and_downstream_of_it()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var (a, b, paused) = await GraphAsync(app.OrderLib);

        var page = await (await local.GetAsync($"/orderlib/graph?job={a.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain($"data-job-id=\"{a.Id.Value}\"").And.Contain($"data-job-id=\"{b.Id.Value}\""));
        Assert.That(page, Does.Not.Contain($"data-job-id=\"{paused.Id.Value}\""));
        Assert.That(page, Does.Contain("<h1>Graph around a</h1>"));
        Assert.That(page, Does.Contain($"href=\"/orderlib/graph.dot?job={a.Id.Value}\""), "the downloads keep the selection");

        var invalid = await (await local.GetAsync("/orderlib/graph?job=abc")).BodyAsync(HttpStatusCode.BadRequest);
        Assert.That(invalid, Does.Contain("job must be a job id"));
        await (await local.GetAsync("/orderlib/graph?job=999999")).BodyAsync(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task A_graph_too_large_to_draw_is_listed_each_job_linking_to_its_neighbourhood_which_is_drawn()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var names = Enumerable.Range(0, GraphPage.MaxDrawnJobs + 1).Select(i => $"job-{i:D4}").ToList();
        var defined = await app.OrderLib.Jobs.DefineGraphAsync(new GraphDefinition(
            names.Select(name => new JobDefinition(name)),
            [new GraphDependency(names[1], dependsOnName: names[0])]));
        var first = defined.Jobs.Single(job => job.Job.Name == names[0]).Job;

        var page = await (await local.GetAsync("/orderlib/graph")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain($"{GraphPage.MaxDrawnJobs + 1} jobs are too many to draw at once"));
        Assert.That(page, Does.Not.Contain("<figure class=\"dag\">"));
        Assert.That(page, Does.Contain($"href=\"/orderlib/graph?job={first.Id.Value}\""));

        var around = await (await local.GetAsync($"/orderlib/graph?job={first.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(around, Does.Contain("<figure class=\"dag\">").And.Contain("data-name=\"job-0001\"").And.Not.Contain("data-name=\"job-0002\""));
    }

    [Test]
    public async Task The_graph_downloads_as_mermaid_and_dot_text()
    {
        using var app = new DashboardApp();
        using var local = await app.StartedLocalAsync();
        var orderLib = app.OrderLib;
        var (a, _, _) = await GraphAsync(orderLib);
        var whole = await orderLib.Dependencies.GetGraphAsync(GraphSelection.All);

        var mermaid = await local.GetAsync("/orderlib/graph.mmd");
        Assert.That(await mermaid.BodyAsync(HttpStatusCode.OK), Is.EqualTo(whole.ToMermaid()));
        Assert.That(mermaid.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/plain; charset=utf-8"));
        Assert.That(mermaid.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));

        var dot = await local.GetAsync("/orderlib/graph.dot");
        Assert.That(await dot.BodyAsync(HttpStatusCode.OK), Is.EqualTo(whole.ToDot()));
        Assert.That(dot.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/plain; charset=utf-8"));

        var around = await (await local.GetAsync($"/orderlib/graph.dot?job={a.Id.Value}")).BodyAsync(HttpStatusCode.OK);
        Assert.That(around, Is.EqualTo((await orderLib.Dependencies.GetGraphAsync(GraphSelection.Around(a.Id))).ToDot()));
    }

    [Test]
    public async Task Another_clients_job_is_not_found_and_its_graph_never_shown()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = await app.StartedLocalAsync();
        var secret = await app.OrderLib.ForClient(new ClientId("globex")).Jobs.CreateAsync(new JobDefinition("globex-secret"));

        await (await local.GetAsync($"/orderlib/graph?job={secret.Id.Value}&client=acme")).BodyAsync(HttpStatusCode.NotFound);
        await (await local.GetAsync($"/orderlib/graph.mmd?job={secret.Id.Value}&client=acme")).BodyAsync(HttpStatusCode.NotFound);
        Assert.That(await (await local.GetAsync("/orderlib/graph?client=acme")).BodyAsync(HttpStatusCode.OK), Does.Not.Contain("globex-secret"));
        Assert.That(await (await local.GetAsync("/orderlib/graph.mmd?client=acme")).BodyAsync(HttpStatusCode.OK), Does.Not.Contain("globex-secret"));
        Assert.That(await (await local.GetAsync("/orderlib/graph?client=globex")).BodyAsync(HttpStatusCode.OK), Does.Contain("globex-secret"));
    }

    // a → <script> (b, never run); a's latest run succeeded; "lonely" stands apart, paused.
    private static async Task<(Job A, Job B, Job Paused)> GraphAsync(IOrderLib orderLib)
    {
        var a = await orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var b = await orderLib.Jobs.CreateAsync(new JobDefinition("<script>alert(1)</script>"));
        var lonely = await orderLib.Jobs.CreateAsync(new JobDefinition("lonely"));
        await orderLib.Dependencies.AddAsync(b.Id, a.Id);
        await orderLib.Jobs.PauseAsync(lonely.Id);
        var run = (await orderLib.Runs.EnqueueAsync(a.Id)).Run;
        await orderLib.Runs.StartAsync(run.Id, new WorkerId("w1"));
        await orderLib.Runs.MarkSucceededAsync(run.Id);
        return (a, b, lonely);
    }
}
