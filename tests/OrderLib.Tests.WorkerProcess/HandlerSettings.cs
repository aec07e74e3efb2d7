using OrderLib.Ports;

namespace OrderLib.Tests.WorkerProcess;

/// <summary>How long the handler sleeps: bound from the <c>Handler</c> configuration section.</summary>
public sealed class HandlerSettings
{
    /// <summary>The shortest sleep of an ordinary job, in milliseconds.</summary>
    public int MinMilliseconds { get; set; } = 2;

    /// <summary>The longest sleep of an ordinary job, in milliseconds.</summary>
    public int MaxMilliseconds { get; set; } = 20;

    /// <summary>Jobs whose name contains this text sleep <see cref="SlowMilliseconds"/>; null or empty for none.</summary>
    public string? SlowMarker { get; set; }

    /// <summary>The sleep of a slow job, in milliseconds.</summary>
    public int SlowMilliseconds { get; set; } = 1000;

    /// <summary>When true, the handler first checks that the latest run of every upstream job Succeeded (see <see cref="UpstreamCheck"/>).</summary>
    public bool CheckUpstream { get; set; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="OrderLibConfigurationException">A value is out of range.</exception>
    public void Validate()
    {
        if (MinMilliseconds < 0 || MaxMilliseconds < MinMilliseconds || SlowMilliseconds < 0)
        {
            throw new OrderLibConfigurationException($"Handler: need 0 <= MinMilliseconds ({MinMilliseconds}) <= MaxMilliseconds ({MaxMilliseconds}) and SlowMilliseconds ({SlowMilliseconds}) >= 0.");
        }
    }

    /// <summary>The sleep for a run of <paramref name="jobName"/>.</summary>
    public TimeSpan DurationFor(string jobName) =>
        TimeSpan.FromMilliseconds(!string.IsNullOrEmpty(SlowMarker) && jobName.Contains(SlowMarker, StringComparison.Ordinal)
            ? SlowMilliseconds
            : Random.Shared.Next(MinMilliseconds, MaxMilliseconds + 1));
}
