using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace OrderLib.Tests.Samples;

/// <summary>The sample (samples/OrderLib.Sample) run as its built program with <c>--dashboard</c>.</summary>
public sealed class SampleDashboardTests
{
    private static readonly Regex DashboardLine = new(@"^Dashboard: (?<address>http://\S+/orderlib) ", RegexOptions.CultureInvariant);

    private string _directory = "";

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orderlib-sample-dashboard", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task With_dashboard_the_sample_runs_its_pipeline_then_serves_the_dashboard_over_its_own_store_until_stopped()
    {
        var dll = BuiltProgram.Locate(Path.Combine("samples", "OrderLib.Sample"), "OrderLib.Sample.dll");
        var start = BuiltProgram.StartInfo(dll, environment: null,
        [
            "--dashboard",
            "--urls", "http://127.0.0.1:0",
            "--ConnectionStrings:OrderLib", $"Data Source={Path.Combine(_directory, "sample.db")}",
            "--Sample:OutputDirectory", _directory,
        ]);
        using var sample = Process.Start(start) ?? throw new InvalidOperationException("Could not start the sample.");
        var errors = sample.StandardError.ReadToEndAsync();
        try
        {
            var (address, output) = await ReadUntilTheDashboardAddressAsync(sample);
            Assert.That(address, Does.StartWith("http://127.0.0.1:"), output);
            Assert.That(output, Does.Contain("Pipeline succeeded"), "the usual work first");

            using var http = new HttpClient();
            using var response = await http.GetAsync(new Uri(address + "/"));
            var page = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
            Assert.That(page, Does.Contain("<h1>Overview</h1>").And.Contain("extract-orders").And.Contain("extract-customers"), "the sample's pipeline run, from its own store");
            Assert.That(sample.HasExited, Is.False, "it serves until stopped");
        }
        finally
        {
            sample.Kill(entireProcessTree: true);
            await sample.WaitForExitAsync();
            TestContext.Out.WriteLine($"The sample's error output:\n{await errors}");
        }
    }

    /// <summary>Reads the sample's output until it prints the dashboard's address; fails with the output when it ends or takes too long first.</summary>
    private static async Task<(string Address, string Output)> ReadUntilTheDashboardAddressAsync(Process sample)
    {
        var output = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            while (await sample.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.AppendLine(line);
                if (DashboardLine.Match(line) is { Success: true } match)
                {
                    return (match.Groups["address"].Value, output.ToString());
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"The sample printed no dashboard address within 2 minutes:\n{output}");
        }

        Assert.Fail($"The sample ended without serving the dashboard:\n{output}");
        return default;
    }
}
