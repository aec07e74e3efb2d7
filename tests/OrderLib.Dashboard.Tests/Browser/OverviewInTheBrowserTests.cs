using OpenQA.Selenium;

namespace OrderLib.Dashboard.Tests.Browser;

public sealed class OverviewInTheBrowserTests : BrowserTest
{
    [Test]
    public async Task The_overview_shows_its_heading_the_queue_cards_and_the_failing_job_with_its_own_stylesheet_and_script()
    {
        var extract = await OrderLib.Jobs.CreateAsync(new JobDefinition("extract-orders"));
        var report = await OrderLib.Jobs.CreateAsync(new JobDefinition("report"));
        var failed = await OrderLib.Runs.EnqueueAsync(extract.Id);
        await OrderLib.Runs.StartAsync(failed.Run.Id, new WorkerId("worker-1"));
        await OrderLib.Runs.MarkFailedAsync(failed.Run.Id, "the orders file is empty");
        await OrderLib.Runs.TriggerAsync(report.Id, new TriggerOptions { Label = "nightly" });

        Open("");

        Assert.That(Browser.FindElement(By.CssSelector("main h1")).Text, Is.EqualTo("Overview"));
        Assert.That(Browser.Title, Does.StartWith("Overview"));
        var cards = Browser.FindElements(By.CssSelector("section[aria-labelledby='now'] .cards .card"))
            .ToDictionary(card => card.FindElement(By.TagName("dt")).Text, card => card.FindElement(By.TagName("dd")).Text);
        Assert.That(cards.Keys, Is.EqualTo(new[] { "Ready", "Oldest ready", "Waiting on upstream", "Scheduled later", "Paused", "Running" }));
        Assert.That(cards["Ready"], Is.EqualTo("1"), "report's triggered run");
        Assert.That(cards["Running"], Is.EqualTo("0"));
        Assert.That(Browser.FindElement(By.CssSelector("section[aria-labelledby='failing'] table")).Text, Does.Contain("extract-orders").And.Contain("the orders file is empty"));
        Assert.That(Browser.FindElement(By.CssSelector("header.top")).GetCssValue("display"), Is.EqualTo("flex"), "the dashboard's stylesheet applied despite the strict CSP");
        Screenshot("overview");

        Browser.FindElement(By.CssSelector("section[aria-labelledby='now'] .card a")).Click();
        WaitForAddress("the ready runs' search", address => address.AbsolutePath.EndsWith("/orderlib/runs", StringComparison.Ordinal) && address.Query.Contains("statuses=pending", StringComparison.Ordinal));
    }
}
