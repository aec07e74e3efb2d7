using System.Diagnostics;
using System.Text.Json;

namespace OrderLib.Tests.Cli;

/// <summary>What one run of the built <c>orderlib</c> tool did.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Output).RootElement.Clone();

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs the built <c>orderlib</c> tool as a process (<see cref="BuiltProgram"/>) and waits for it to end.</summary>
internal static class CliProcess
{
    private static readonly Lazy<string> Dll = new(() => BuiltProgram.Locate(Path.Combine("src", "OrderLib.Cli"), "OrderLib.Cli.dll"));

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Process.Start(BuiltProgram.StartInfo(Dll.Value, environment, args)) ?? throw new InvalidOperationException("Could not start the orderlib tool.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(null, args);
}
