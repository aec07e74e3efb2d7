namespace OrderLib;

/// <summary>
/// Settings of one <see cref="OrderLibScheduler"/>, given to <c>AddScheduler</c>. The values are checked when the
/// scheduler starts; an invalid one stops the host from starting with an <see cref="OrderLibConfigurationException"/>
/// that names it.
/// </summary>
public sealed class OrderLibSchedulerOptions
{
    /// <summary>The clients (tenants) whose scheduled jobs the scheduler enqueues, or null (the default) for every client.</summary>
    public IReadOnlyCollection<string>? Clients { get; set; }

    /// <summary>How many due jobs one store call handles at most; the scheduler calls again while a call comes back full. 1 to 1000. 100 unless set.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// The longest the scheduler sleeps before it looks at the store again, however far off the next due time is (or when
    /// nothing is scheduled): a job created or rescheduled meanwhile is picked up within this time. At least
    /// <see cref="MinSleep"/>, at most 1 day. 30 seconds unless set.
    /// </summary>
    public TimeSpan MaxSleep { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The shortest sleep: the scheduler never looks at the store again sooner, except at once after a pass that consumed
    /// occurrences while some are still due. It is also the first wait after a failed pass (doubling up to
    /// <see cref="MaxSleep"/>). A job due less than this after a pass may run up to this much late. Positive. 100 ms unless set.
    /// </summary>
    public TimeSpan MinSleep { get; set; } = TimeSpan.FromMilliseconds(100);
}
