using System.Globalization;
using OpenQA.Selenium;

namespace OrderLib.Dashboard.Tests.Browser;

public sealed class ActionsInTheBrowserTests : BrowserTest
{
    [Test]
    public async Task Triggering_a_job_from_its_confirmation_page_creates_a_run_that_cancelling_then_ends()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("nightly-report") { Description = "The report mailed every night" });
        await OrderLib.Jobs.CreateAsync(new JobDefinition("cleanup"));
        Open("jobs");
        Assert.That(Browser.FindElement(By.TagName("main")).Text, Does.Contain("nightly-report").And.Contain("cleanup"));
        Screenshot("jobs");

        Open($"jobs/{job.Id.Value}/trigger");
        var form = Browser.FindElement(By.CssSelector("main form[method='post']"));
        form.FindElement(By.Name("label")).SendKeys("from the browser");
        Submit(form);

        WaitForAddress("the triggered pipeline run's page", address => address.AbsolutePath.Contains("/orderlib/pipelines/", StringComparison.Ordinal) && address.Query.Contains("notice=triggered", StringComparison.Ordinal));
        Assert.That(WaitFor(By.CssSelector(".notice.done[role='status']")).Text, Does.StartWith("Triggered"));
        var pipelineRunId = long.Parse(new Uri(Browser.Url).Segments[^1], CultureInfo.InvariantCulture);
        var triggered = await OrderLib.Pipelines.GetAsync(new PipelineRunId(pipelineRunId));
        Assert.That(triggered.Summary.Label, Is.EqualTo("from the browser"));

        Open("runs?jobNamePrefix=nightly-report");
        var rows = Browser.FindElements(By.CssSelector("table.runs tr[data-run-id]"));
        Assert.That(rows, Has.Count.EqualTo(1), "the triggered run is listed");
        var runId = long.Parse(rows[0].GetDomAttribute("data-run-id")!, CultureInfo.InvariantCulture);

        Open($"runs/{runId}/cancel");
        Submit(Browser.FindElement(By.CssSelector("main form[method='post']")));

        WaitForAddress("the run's page", address => address.AbsolutePath.EndsWith($"/orderlib/runs/{runId}", StringComparison.Ordinal) && address.Query.Contains("notice=cancelled", StringComparison.Ordinal));
        Assert.That(WaitFor(By.CssSelector(".notice.done[role='status']")).Text, Is.EqualTo("Cancelled."));
        Assert.That(Browser.FindElement(By.XPath("//main//dt[normalize-space()='Status']/following-sibling::dd[1]")).Text, Is.EqualTo("Cancelled"), "the run's status on its page");
        Assert.That((await OrderLib.Runs.GetAsync(new RunId(runId))).Status, Is.EqualTo(RunStatus.Cancelled), "a pending run is cancelled at once");
    }
}
