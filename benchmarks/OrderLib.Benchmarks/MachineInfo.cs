using System.Globalization;
using System.Runtime.InteropServices;
using OrderLib.TestSupport;

namespace OrderLib.Benchmarks;

/// <summary>The machine the figures come from: cores, memory, CPU model, OS, .NET.</summary>
internal static class MachineInfo
{
    public static IReadOnlyList<string> Collect()
    {
        var lines = new List<string>
        {
            $"cores (nproc): {Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)}",
            $"memory: {Memory()}",
            $"CPU (lscpu model name): {CpuModel()}",
            $"OS: {OsName()} ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})",
            $".NET: {RuntimeInformation.FrameworkDescription}, SDK {Command("dotnet", "--version")}; GC: workstation, concurrent; Release build",
        };
        return lines;
    }

    private static string Memory()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return string.Create(CultureInfo.InvariantCulture, $"{kb / 1024.0 / 1024.0:0.0} GiB");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return "unknown: " + ex.Message;
        }

        return "unknown";
    }

    private static string CpuModel()
    {
        var lscpu = Command("lscpu", null);
        var model = lscpu.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("Model name:", StringComparison.Ordinal));
        return model is null ? "unknown" : model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string OsName()
    {
        try
        {
            var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            return line is null ? "unknown" : line["PRETTY_NAME=".Length..].Trim('"');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string Command(string program, string? argument)
    {
        try
        {
            return ThrowawayPostgresCluster.Run(program, argument is null ? [] : [argument], asPostgresUser: false, TimeSpan.FromSeconds(30)).Trim();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
