using System.Diagnostics;

namespace OrderLib.Tests.Infrastructure;

/// <summary>
/// Runs a program of this repository as its BUILT dll, <c>dotnet Program.dll args</c>, from the project's own output
/// folder (the test project references such a project with ReferenceOutputAssembly=false, so the build makes it first),
/// in the temp folder and with no DATABASE_URL inherited.
/// </summary>
internal static class BuiltProgram
{
    /// <summary>The built dll of the project in <paramref name="projectFolder"/> (e.g. <c>src/OrderLib.Cli</c>), same configuration and framework as the tests.</summary>
    public static string Locate(string projectFolder, string dllName)
    {
        // tests/OrderLib.Tests/bin/<configuration>/<tfm> -> <projectFolder>/bin/<configuration>/<tfm>
        var tfm = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var configuration = tfm.Parent!;
        var root = RepositoryRoot.Find() ?? throw new InvalidOperationException("No repository root above the test assembly.");
        var dll = Path.Combine(root, projectFolder, "bin", configuration.Name, tfm.Name, dllName);
        Assert.That(File.Exists(dll), Is.True, $"{dll} is missing; build OrderLib.sln first.");
        return dll;
    }

    /// <summary>How to start <paramref name="dll"/> with <paramref name="args"/>, its output redirected, <paramref name="environment"/> added.</summary>
    public static ProcessStartInfo StartInfo(string dll, IReadOnlyDictionary<string, string>? environment, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("DATABASE_URL");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }
}
