using OpenQA.Selenium;

namespace OrderLib.Dashboard.Tests.Browser;

public sealed class RunSearchInTheBrowserTests : BrowserTest
{
    [Test]
    public async Task Filtering_runs_puts_the_filter_in_the_address_and_keeps_only_the_matching_runs()
    {
        var ordersFailed = await FinishedRunAsync("extract-orders", error: "the orders file is empty");
        var customersSucceeded = await FinishedRunAsync("extract-customers", error: null);
        await FinishedRunAsync("report", error: "no data");

        Open("runs");
        Assert.That(ShownRunIds(), Has.Count.EqualTo(3), "every run before filtering");
        Screenshot("runs");

        Fill("jobNamePrefix", "extract");
        Submit(Browser.FindElement(By.CssSelector("form.filters")));
        Assert.That(new Uri(Browser.Url).Query, Does.Contain("jobNamePrefix=extract"));
        Assert.That(ShownRunIds(), Is.EquivalentTo(new[] { ordersFailed, customersSucceeded }));

        Fill("statuses", "failed");
        Submit(Browser.FindElement(By.CssSelector("form.filters")));
        Assert.That(new Uri(Browser.Url).Query, Does.Contain("jobNamePrefix=extract").And.Contain("statuses=failed"));
        Assert.That(ShownRunIds(), Is.EqualTo(new[] { ordersFailed }));

        Browser.Navigate().Refresh();
        Assert.That(ShownRunIds(), Is.EqualTo(new[] { ordersFailed }), "the filtered view is its address: reloading shows it again");
    }

    private async Task<long> FinishedRunAsync(string jobName, string? error)
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition(jobName));
        var run = (await OrderLib.Runs.EnqueueAsync(job.Id)).Run;
        await OrderLib.Runs.StartAsync(run.Id, new WorkerId("worker-1"));
        if (error is null)
        {
            await OrderLib.Runs.MarkSucceededAsync(run.Id);
        }
        else
        {
            await OrderLib.Runs.MarkFailedAsync(run.Id, error);
        }

        return run.Id.Value;
    }

    private List<long> ShownRunIds() =>
        Browser.FindElements(By.CssSelector("table.runs tr[data-run-id]")).Select(row => long.Parse(row.GetDomAttribute("data-run-id")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>Sets the search form's field <paramref name="name"/>: types into a text box, picks from a list, or ticks the box of that value.</summary>
    private void Fill(string name, string value)
    {
        var fields = Browser.FindElements(By.CssSelector($"form.filters [name='{name}']"));
        Assert.That(fields, Is.Not.Empty, $"the search form has a field '{name}'");
        var field = fields[0];
        switch (field.TagName, field.GetDomAttribute("type"))
        {
            case ("select", _):
                field.FindElement(By.CssSelector($"option[value='{value}' i]")).Click();
                break;
            case ("input", "checkbox" or "radio"):
                var box = fields.Single(candidate => string.Equals(candidate.GetDomAttribute("value"), value, StringComparison.OrdinalIgnoreCase));
                if (!box.Selected)
                {
                    box.Click();
                }

                break;
            default:
                field.Clear();
                field.SendKeys(value);
                break;
        }
    }
}
