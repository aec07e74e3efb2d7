using System.Diagnostics;
using System.Text.Json;

namespace OrderLib.Tests.Cli;

/// <summary>What one run of the built <c>orderlib</c> tool did.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Output).RootElement.Clone();

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>
/// Runs the BUILT tool as a process, <c>dotnet OrderLib.Cli.dll args</c>, from the CLI project's own output folder (the test
/// project references it with ReferenceOutputAssembly=false, so the build makes it first), with no DATABASE_URL inherited.
/// </summary>
internal static class CliProcess
{
    private const string DllName = "OrderLib.Cli.dll";

    private static readonly Lazy<string> Dll = new(Locate);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Dll.Value);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("DATABASE_URL");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the orderlib tool.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(null, args);

    private static string Locate()
    {
        // tests/OrderLib.Tests/bin/<configuration>/<tfm> -> src/OrderLib.Cli/bin/<configuration>/<tfm>
        var tfm = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var configuration = tfm.Parent!;
        var root = RepositoryRoot.Find() ?? throw new InvalidOperationException("No repository root above the test assembly.");
        var dll = Path.Combine(root, "src", "OrderLib.Cli", "bin", configuration.Name, tfm.Name, DllName);
        Assert.That(File.Exists(dll), Is.True, $"{dll} is missing; build OrderLib.sln first.");
        return dll;
    }
}
