using OrderLib.Ports;

namespace OrderLib;

/// <summary>The checked, frozen settings of a scheduler, taken from <see cref="OrderLibSchedulerOptions"/> when it starts.</summary>
internal sealed record SchedulerSettings(Clients Clients, int BatchSize, TimeSpan MinSleep, TimeSpan MaxSleep)
{
    private const string Prefix = "OrderLib scheduler option ";
    private const int MaxBatchSize = 1000;
    private static readonly TimeSpan LongestSleep = TimeSpan.FromDays(1);

    /// <exception cref="OrderLibConfigurationException">A value is out of range; the message names it.</exception>
    public static SchedulerSettings From(OrderLibSchedulerOptions options)
    {
        if (options.BatchSize is < 1 or > MaxBatchSize)
        {
            throw Invalid(nameof(options.BatchSize), $"must be 1 to {MaxBatchSize}; got {options.BatchSize}.");
        }

        if (options.MinSleep <= TimeSpan.Zero)
        {
            throw Invalid(nameof(options.MinSleep), $"must be positive; got {options.MinSleep}.");
        }

        if (options.MaxSleep < options.MinSleep || options.MaxSleep > LongestSleep)
        {
            throw Invalid(nameof(options.MaxSleep), $"must be at least {nameof(options.MinSleep)} ({options.MinSleep}) and at most {LongestSleep}; got {options.MaxSleep}.");
        }

        return new SchedulerSettings(ClientsOption.Parse(Prefix + nameof(OrderLibSchedulerOptions.Clients), options.Clients), options.BatchSize, options.MinSleep, options.MaxSleep);
    }

    /// <summary>
    /// How long to sleep after a pass: until <paramref name="earliestDue"/>, between <see cref="MinSleep"/> and
    /// <see cref="MaxSleep"/>; <see cref="MaxSleep"/> when nothing is scheduled. A due time already reached means "again at
    /// once" after a pass that consumed occurrences, and <see cref="MinSleep"/> after one that consumed none (the store keeps
    /// reporting a due time it does not hand out, e.g. while another scheduler holds the job): never a tight loop.
    /// </summary>
    public TimeSpan SleepAfterPass(DateTimeOffset? earliestDue, DateTimeOffset now, bool consumedAny)
    {
        if (earliestDue is not { } due)
        {
            return MaxSleep;
        }

        var wait = due - now;
        if (wait <= TimeSpan.Zero)
        {
            return consumedAny ? TimeSpan.Zero : MinSleep;
        }

        return wait < MinSleep ? MinSleep : wait > MaxSleep ? MaxSleep : wait;
    }

    /// <summary>The wait after <paramref name="previous"/> (null: none yet) after a failed pass: <see cref="MinSleep"/>, doubling up to <see cref="MaxSleep"/>.</summary>
    public TimeSpan BackoffAfterFailure(TimeSpan? previous) =>
        previous is not { } last ? MinSleep : last * 2 < MaxSleep ? last * 2 : MaxSleep;

    private static OrderLibConfigurationException Invalid(string option, string problem) => new(Prefix + option + " " + problem);
}
