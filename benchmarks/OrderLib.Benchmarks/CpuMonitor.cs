using System.Diagnostics;
using System.Globalization;

namespace OrderLib.Benchmarks;

/// <summary>
/// How much of the machine's CPU went to processes other than the harness and its own PostgreSQL server while a case ran
/// (from /proc: all CPUs' busy time minus this process and the postmaster with its backends). On a shared machine this
/// says which figures were measured undisturbed; <see cref="WaitForQuietAsync"/> holds a case back until the machine is quiet.
/// </summary>
internal static class CpuMonitor
{
    /// <summary>A reading of the CPU counters, in clock ticks.</summary>
    internal readonly record struct Sample(long Busy, long Total, long Ours);

    public static Sample Take(int? serverPid)
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var v = cpu.Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();

            // user nice system idle iowait irq softirq steal ...
            var busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
            var total = busy + v[3] + v[4];
            var ours = ProcessTicks(Environment.ProcessId);
            if (serverPid is { } server)
            {
                ours += ProcessTicks(server);
                foreach (var dir in Directory.EnumerateDirectories("/proc"))
                {
                    if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == server)
                    {
                        ours += ProcessTicks(pid);
                    }
                }
            }

            return new Sample(busy, total, ours);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            return new Sample(0, 0, 0);
        }
    }

    /// <summary>The share (0 to 1) of all CPU time between the samples used by other processes; NaN when unknown.</summary>
    public static double ForeignShare(Sample before, Sample after)
    {
        var total = after.Total - before.Total;
        if (total <= 0)
        {
            return double.NaN;
        }

        var foreign = (after.Busy - before.Busy) - (after.Ours - before.Ours);
        return Math.Clamp(foreign / (double)total, 0, 1);
    }

    /// <summary>Waits (up to <paramref name="maxWait"/>) until other processes use less than <paramref name="threshold"/> of the CPU over 2 s.</summary>
    /// <returns>The share measured last, and how long it waited.</returns>
    public static async Task<(double Share, TimeSpan Waited)> WaitForQuietAsync(int? serverPid, double threshold, TimeSpan maxWait, Action<string> log)
    {
        var started = Stopwatch.GetTimestamp();
        var announced = false;
        while (true)
        {
            var before = Take(serverPid);
            await Task.Delay(2000);
            var share = ForeignShare(before, Take(serverPid));
            var waited = Stopwatch.GetElapsedTime(started);
            if (double.IsNaN(share) || share < threshold || waited >= maxWait)
            {
                if (announced)
                {
                    log(string.Create(CultureInfo.InvariantCulture, $"  ... other processes at {share:P0} of the CPU after waiting {waited.TotalSeconds:0} s; going on"));
                }

                return (share, waited);
            }

            if (!announced)
            {
                log(string.Create(CultureInfo.InvariantCulture, $"  other processes use {share:P0} of the CPU; waiting up to {maxWait.TotalSeconds:0} s for it to drop below {threshold:P0}"));
                announced = true;
            }
        }
    }

    private static long ProcessTicks(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? 0 : long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static int ParentOf(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? -1 : int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, ..., [11] utime, [12] stime.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var end = text.LastIndexOf(')');
            return end < 0 ? null : text[(end + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
