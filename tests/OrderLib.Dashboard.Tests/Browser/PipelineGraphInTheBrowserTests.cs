using OpenQA.Selenium;

namespace OrderLib.Dashboard.Tests.Browser;

public sealed class PipelineGraphInTheBrowserTests : BrowserTest
{
    [Test]
    public async Task A_pipeline_run_is_drawn_as_its_dag_with_each_job_in_its_status_and_a_node_leads_to_its_run()
    {
        var (pipelineRunId, runs) = await TriggerThreeStepPipelineAsync();
        await OrderLib.Runs.StartAsync(runs["extract"], new WorkerId("worker-1"));
        await OrderLib.Runs.MarkSucceededAsync(runs["extract"]);
        await OrderLib.Runs.StartAsync(runs["transform"], new WorkerId("worker-1"));

        Open($"pipelines/{pipelineRunId.Value}");

        var nodes = Browser.FindElements(By.CssSelector(".dag .node"));
        Assert.That(nodes.Select(node => node.GetDomAttribute("data-name")), Is.EquivalentTo(new[] { "extract", "transform", "load" }));
        Assert.That(StatusOf("extract"), Is.EqualTo("status-succeeded"));
        Assert.That(StatusOf("transform"), Is.EqualTo("status-running"));
        Assert.That(StatusOf("load"), Is.EqualTo("status-pending"));
        Screenshot("pipeline-run");

        Node("transform").Click();
        WaitForAddress("transform's run page", address => address.AbsolutePath.EndsWith($"/orderlib/runs/{runs["transform"].Value}", StringComparison.Ordinal));
        WaitFor(By.CssSelector("main h1"));
        Assert.That(Browser.FindElement(By.TagName("main")).Text, Does.Contain("transform"));
        Screenshot("run-detail");
    }

    [Test]
    public async Task The_job_graph_draws_every_job_and_its_search_box_highlights_the_matching_ones()
    {
        await TriggerThreeStepPipelineAsync();

        Open("graph");

        Assert.That(Browser.FindElements(By.CssSelector(".dag .node")).Select(node => node.GetDomAttribute("data-name")), Is.EquivalentTo(new[] { "extract", "transform", "load" }));
        Browser.FindElement(By.CssSelector("input[type='search'][data-dag-search]")).SendKeys("load");
        Assert.That(Node("load").GetDomAttribute("class"), Does.Contain("match"), "the dashboard's own script runs under the CSP");
        Assert.That(Node("extract").GetDomAttribute("class"), Does.Contain("dim"));
        Screenshot("graph");
    }

    /// <summary>Defines extract → transform → load and triggers it from extract; returns the pipeline run and each job's run in it.</summary>
    private async Task<(PipelineRunId Id, Dictionary<string, RunId> Runs)> TriggerThreeStepPipelineAsync()
    {
        var extract = await OrderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        var transform = await OrderLib.Jobs.CreateAsync(new JobDefinition("transform"));
        var load = await OrderLib.Jobs.CreateAsync(new JobDefinition("load"));
        await OrderLib.Dependencies.AddAsync(transform.Id, extract.Id);
        await OrderLib.Dependencies.AddAsync(load.Id, transform.Id);
        var triggered = await OrderLib.Runs.TriggerAsync(extract.Id, new TriggerOptions { Label = "browser test" });
        var names = new Dictionary<JobId, string> { [extract.Id] = "extract", [transform.Id] = "transform", [load.Id] = "load" };
        return (triggered.Id, triggered.Runs.ToDictionary(result => names[result.Run.JobId], result => result.Run.Id));
    }

    private IWebElement Node(string jobName) => Browser.FindElement(By.CssSelector($".dag .node[data-name='{jobName}']"));

    private string StatusOf(string jobName) =>
        Node(jobName).GetDomAttribute("class")!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Single(name => name.StartsWith("status-", StringComparison.Ordinal)).ToLowerInvariant();
}
