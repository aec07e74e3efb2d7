namespace OrderLib;

/// <summary>
/// When the next attempt of a failed run becomes available: exponential backoff
/// (<see cref="BaseDelay"/> × 2^(attempt − 1), capped at <see cref="MaxDelay"/>) shortened by a random share of up to
/// <see cref="Jitter"/>, so that runs failing together do not retry together.
/// </summary>
/// <param name="BaseDelay">The delay after the first failed attempt, before jitter; zero or more.</param>
/// <param name="MaxDelay">The longest delay, before jitter; at least <paramref name="BaseDelay"/>.</param>
/// <param name="Jitter">The largest share of the delay taken off at random, from 0 (none) to 1.</param>
public sealed record RetryPolicy(TimeSpan BaseDelay, TimeSpan MaxDelay, double Jitter)
{
    /// <summary>5 seconds doubling up to 10 minutes, with up to half of each delay taken off at random.</summary>
    public static readonly RetryPolicy Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10), 0.5);

    /// <summary>Checks the values.</summary>
    /// <exception cref="OrderLibValidationException">A delay is negative, the cap is below the base, or the jitter is outside 0..1.</exception>
    public void Validate()
    {
        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new OrderLibValidationException(nameof(MaxDelay), $"Retry delays must satisfy 0 <= base ({BaseDelay}) <= max ({MaxDelay}).");
        }

        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter))
        {
            throw new OrderLibValidationException(nameof(Jitter), $"Retry jitter must be between 0 and 1; got {Jitter}.");
        }
    }

    /// <summary>The time the attempt after <paramref name="failedAttempt"/> may start, truncated to whole microseconds.</summary>
    /// <param name="failedAttempt">The attempt number that failed (1 for the first).</param>
    /// <param name="now">When it failed.</param>
    /// <param name="random01">A random number in [0, 1) that picks the jitter.</param>
    public DateTimeOffset NextAttemptAt(int failedAttempt, DateTimeOffset now, double random01)
    {
        var exponent = Math.Clamp(failedAttempt - 1, 0, 40);
        var uncapped = BaseDelay.Ticks * Math.Pow(2, exponent);
        var delay = Math.Min(uncapped, MaxDelay.Ticks) * (1 - (Jitter * random01));
        return OrderLibClock.Truncate(now.AddTicks((long)delay));
    }
}
