using System.Diagnostics;

namespace OrderLib;

/// <summary>
/// How many runs a worker claims beyond its free slots: as many as its slots are expected to start within one claim round
/// trip, from the recent handler durations and claim round trips (exponentially weighted means, in real time), never more
/// than <see cref="WorkerSettings.MaxClaimAhead"/>. Handlers that take long compared with a claim get none, so the worker
/// then claims only for free slots and leaves ready runs to other workers; handlers that finish faster than a claim round
/// trip get runs waiting for them in memory, so a freed slot starts its next run without waiting for the database.
/// Thread-safe.
/// </summary>
internal sealed class ClaimAhead(int concurrency, int max)
{
    // The weight of the newest observation in the running means.
    private const double NewestWeight = 0.2;

    private readonly Lock _gate = new();
    private double _handlerSeconds = double.NaN;
    private double _claimSeconds = double.NaN;

    /// <summary>The current allowance: 0 until a handler and a claim have been timed.</summary>
    public int Runs
    {
        get
        {
            lock (_gate)
            {
                if (max == 0 || double.IsNaN(_handlerSeconds) || double.IsNaN(_claimSeconds))
                {
                    return 0;
                }

                var startsPerClaim = concurrency * _claimSeconds / Math.Max(_handlerSeconds, 1e-6);
                return (int)Math.Min(max, Math.Floor(startsPerClaim));
            }
        }
    }

    /// <summary>A timestamp to pass to <see cref="HandlerEnded"/> or <see cref="ClaimEnded"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Records a handler that started at <paramref name="startedAt"/> (from <see cref="Now"/>) and ended now.</summary>
    public void HandlerEnded(long startedAt) => Observe(ref _handlerSeconds, startedAt);

    /// <summary>Records a claim round trip that started at <paramref name="startedAt"/> (from <see cref="Now"/>) and ended now.</summary>
    public void ClaimEnded(long startedAt) => Observe(ref _claimSeconds, startedAt);

    private void Observe(ref double mean, long startedAt)
    {
        var seconds = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        lock (_gate)
        {
            mean = double.IsNaN(mean) ? seconds : mean + (NewestWeight * (seconds - mean));
        }
    }
}
