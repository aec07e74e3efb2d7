namespace OrderLib;

/// <summary>
/// Reads "now" from an injected <see cref="TimeProvider"/>, in UTC and truncated to whole microseconds, so that every store
/// keeps the value exactly (PostgreSQL <c>timestamptz</c> holds microseconds). Every time OrderLib stores comes from here.
/// </summary>
public static class OrderLibClock
{
    /// <summary>The provider's current time, UTC, truncated to whole microseconds.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="timeProvider"/> is null.</exception>
    public static DateTimeOffset Now(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return Truncate(timeProvider.GetUtcNow());
    }

    /// <summary>When a lease taken at <paramref name="now"/> for <paramref name="duration"/> ends, truncated like every stored time.</summary>
    public static DateTimeOffset LeaseEnd(DateTimeOffset now, TimeSpan duration) => Truncate(now + duration);

    /// <summary><paramref name="value"/> in UTC, truncated to whole microseconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
    }
}
