using System.Globalization;
using OpenQA.Selenium.Chrome;
using OrderLib.TestSupport;

namespace OrderLib.Dashboard.Tests.Browser;

/// <summary>
/// One headless Chromium (Debian's <c>/usr/bin/chromium</c> driven by <c>/usr/bin/chromedriver</c>) for every browser
/// test in this namespace. Without them a test is ignored on a developer machine but fails when <c>CI=true</c>, so CI
/// cannot pass without running them; and the number of browser tests that ran is written to
/// <c>TestResults/browser-tests-ran.txt</c> at the repository root, which <c>.ci/run</c> checks.
/// </summary>
[SetUpFixture]
public sealed class BrowserSession
{
    /// <summary>The file, relative to the repository root, that receives the count.</summary>
    public const string CountFile = "TestResults/browser-tests-ran.txt";

    private const string ChromiumPath = "/usr/bin/chromium";
    private const string ChromeDriverPath = "/usr/bin/chromedriver";

    private static ChromeDriver? s_driver;
    private static string? s_unavailable;
    private static int s_ran;

    /// <summary>The browser; ignores the calling test when there is none here, or fails it on CI.</summary>
    public static ChromeDriver Driver
    {
        get
        {
            if (s_driver is not null)
            {
                return s_driver;
            }

            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"{s_unavailable} CI=true: browser tests must run here, not be skipped.");
            }

            Assert.Ignore($"{s_unavailable} Install them (apt-get install chromium chromium-driver) to run the browser tests.");
            return null!;
        }
    }

    /// <summary>Counts a browser test that got the browser and ran.</summary>
    public static void CountRan() => Interlocked.Increment(ref s_ran);

    [OneTimeSetUp]
    public void StartChromium()
    {
        var countFile = CountFilePath();
        if (countFile is not null && File.Exists(countFile))
        {
            File.Delete(countFile); // a count left by an earlier run must not vouch for this one
        }

        var missing = new[] { ChromiumPath, ChromeDriverPath }.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            s_unavailable = $"No {string.Join(" and no ", missing)}.";
            return;
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriverPath)!, Path.GetFileName(ChromeDriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start; /dev/shm is small in containers.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900", "--lang=en-US");
        s_driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    [OneTimeTearDown]
    public void StopChromiumAndRecordCount()
    {
        try
        {
            s_driver?.Quit();
            s_driver?.Dispose();
            s_driver = null;
        }
        finally
        {
            var countFile = CountFilePath();
            if (countFile is null)
            {
                TestContext.Progress.WriteLine($"No OrderLib.sln above {TestContext.CurrentContext.TestDirectory}; {CountFile} not written.");
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(countFile)!);
                File.WriteAllText(countFile, s_ran.ToString(CultureInfo.InvariantCulture) + "\n");
            }
        }
    }

    private static string? CountFilePath() => RepositoryRoot.Find() is { } root ? Path.Combine(root, CountFile) : null;
}
