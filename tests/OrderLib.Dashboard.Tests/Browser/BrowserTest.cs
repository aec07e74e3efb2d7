using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using OrderLib.TestSupport;

namespace OrderLib.Dashboard.Tests.Browser;

/// <summary>
/// A browser test: a fresh <see cref="DashboardApp"/> served over HTTP on 127.0.0.1 for each test, the shared Chromium
/// of <see cref="BrowserSession"/>, and helpers to open a dashboard page, wait for what it shows and keep a screenshot.
/// </summary>
[Category("Browser")]
public abstract class BrowserTest
{
    private static readonly TimeSpan PatienceForThePage = TimeSpan.FromSeconds(15);

    private DashboardApp? _app;
    private Uri? _root;
    private ChromeDriver? _browser;

    /// <summary>The app under test.</summary>
    private protected DashboardApp App => _app ?? throw new InvalidOperationException("The app starts in SetUp.");

    /// <summary>The browser.</summary>
    protected ChromeDriver Browser => _browser ?? throw new InvalidOperationException("The browser is taken in SetUp.");

    /// <summary>OrderLib for the default client, to set up what the pages show.</summary>
    protected IOrderLib OrderLib => App.OrderLib;

    [SetUp]
    public void ServeTheDashboard()
    {
        _browser = BrowserSession.Driver;
        _app = new DashboardApp();
        _root = _app.ServeOverHttp();
        _browser.Manage().Cookies.DeleteAllCookies();
    }

    [TearDown]
    public void StopTheDashboard()
    {
        if (_browser is not null)
        {
            BrowserSession.CountRan();
        }

        _app?.Dispose();
        _app = null;
        _browser = null;
    }

    /// <summary>The absolute address of a dashboard page, <paramref name="path"/> relative to its root (e.g. <c>runs?statuses=failed</c>).</summary>
    protected Uri Address(string path) => new(_root!, path);

    /// <summary>Opens a dashboard page and waits until it is drawn (its <c>h1</c> is there).</summary>
    protected void Open(string path)
    {
        Browser.Navigate().GoToUrl(Address(path));
        WaitFor(By.CssSelector("main h1"));
    }

    /// <summary>The first element <paramref name="by"/> finds once it is displayed; fails with the page's text after a while.</summary>
    protected IWebElement WaitFor(By by) => Wait($"{by} on {Browser.Url}", driver => driver.FindElements(by).FirstOrDefault(element => element.Displayed));

    /// <summary>Waits until the address matches <paramref name="isThere"/> (after a submitted form or a followed link).</summary>
    protected void WaitForAddress(string description, Func<Uri, bool> isThere) =>
        Wait(description, driver => isThere(new Uri(driver.Url)) ? driver.Url : null);

    /// <summary>Submits the page's main form with its submit button and waits until the browser has left the form's address.</summary>
    protected void Submit(IWebElement form)
    {
        var before = Browser.Url;
        form.FindElement(By.CssSelector("button[type='submit']")).Click();
        WaitForAddress($"leaving {before}", address => address.ToString() != before);
        WaitFor(By.CssSelector("main h1"));
    }

    /// <summary>
    /// Saves a PNG of the whole window as <c>TestResults/screenshots/<paramref name="name"/>.png</c> under the repository
    /// root (the test's work folder outside a checkout) and attaches it to the test's result.
    /// </summary>
    protected void Screenshot(string name)
    {
        var folder = Path.Combine(RepositoryRoot.Find() ?? TestContext.CurrentContext.WorkDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, name + ".png");
        Browser.GetScreenshot().SaveAsFile(file);
        TestContext.AddTestAttachment(file, $"The {name} page");
    }

    private T Wait<T>(string description, Func<IWebDriver, T?> condition)
        where T : class
    {
        var wait = new WebDriverWait(Browser, PatienceForThePage) { Message = $"Waited in vain for {description}." };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(driver => condition(driver));
        }
        catch (WebDriverTimeoutException timeout)
        {
            throw new AssertionException($"{timeout.Message}\nThe page says:\n{Browser.FindElement(By.TagName("body")).Text}", timeout);
        }
    }
}
