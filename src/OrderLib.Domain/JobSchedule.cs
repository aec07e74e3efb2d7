namespace OrderLib;

/// <summary>
/// When a scheduled job is due. A schedule is stateless: its next occurrence depends only on the time asked about,
/// so several schedulers agree and missed occurrences collapse into the next one.
/// </summary>
public abstract record JobSchedule
{
    /// <summary>The schedule as written in <see cref="JobDefinition.Schedule"/>.</summary>
    public abstract string Text { get; }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when there is none (a cron date that never comes again).</summary>
    public abstract DateTimeOffset? NextAfter(DateTimeOffset after);
}

/// <summary>
/// A fixed interval, aligned to the Unix epoch in UTC: <c>every 15m</c> is due at :00, :15, :30 and :45 of every hour,
/// whichever process asks and whenever the job was created.
/// </summary>
public sealed record IntervalSchedule : JobSchedule
{
    /// <summary>The shortest interval accepted: one second.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest interval accepted: 3,650 days (about ten years), so every occurrence stays far inside the dates .NET can hold.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(3650);

    /// <summary>Creates the schedule.</summary>
    /// <param name="text">The schedule as written.</param>
    /// <param name="interval">The interval, a whole number of seconds of at least one second.</param>
    /// <exception cref="OrderLibValidationException">The interval is shorter than a second, longer than <see cref="MaxInterval"/> or not whole seconds.</exception>
    public IntervalSchedule(string text, TimeSpan interval)
    {
        if (interval < MinInterval || interval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new OrderLibValidationException(nameof(JobDefinition.Schedule), $"Schedule '{text}': an interval must be a whole number of seconds, at least 1 second; got {interval}.");
        }

        if (interval > MaxInterval)
        {
            throw TooLong(text);
        }

        Text = text;
        Interval = interval;
    }

    /// <inheritdoc />
    public override string Text { get; }

    /// <summary>The time between occurrences.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The error for an interval longer than <see cref="MaxInterval"/> (or too long to compute).</summary>
    internal static OrderLibValidationException TooLong(string text) =>
        new(nameof(JobDefinition.Schedule), $"Schedule '{text}': an interval must be at most {MaxInterval.TotalDays:0} days; use a shorter one.");

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when it would be later than <see cref="DateTimeOffset.MaxValue"/>.</summary>
    public override DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        var sinceEpoch = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var periods = Math.DivRem(sinceEpoch, Interval.Ticks, out var remainder);
        if (remainder < 0)
        {
            periods--; // floor for times before the epoch
        }

        var next = (periods + 1) * Interval.Ticks; // no overflow: |periods| * Interval is at most the span of DateTimeOffset
        return next > DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks ? null : DateTimeOffset.UnixEpoch.AddTicks(next);
    }
}
