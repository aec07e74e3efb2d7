namespace OrderLib;

/// <summary>Reads "now" from the injected <see cref="TimeProvider"/>, truncated to whole microseconds so every store keeps it exactly.</summary>
internal static class OrderLibClock
{
    public static DateTimeOffset Now(TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().ToUniversalTime();
        return now.AddTicks(-(now.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
    }
}
