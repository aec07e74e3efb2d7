
namespace OrderLib;

/// <summary>The next-due rule every store applies, so that all of them compute the same times.</summary>
public static class JobSchedules
{
    /// <summary>The first occurrence of <paramref name="schedule"/> strictly after <paramref name="after"/>, or null for no schedule or no further occurrence.</summary>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid.</exception>
    public static DateTimeOffset? NextDueAt(string? schedule, DateTimeOffset after) =>
        schedule is null ? null : JobScheduleParser.Parse(schedule).NextAfter(after);
}
