namespace OrderLib;

/// <summary>The next-due rules every store applies, so that all of them compute the same times.</summary>
public static class JobSchedules
{
    /// <summary>The first occurrence of <paramref name="schedule"/> strictly after <paramref name="after"/>, or null for no schedule or no further occurrence.</summary>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid.</exception>
    public static DateTimeOffset? NextDueAt(string? schedule, DateTimeOffset after) =>
        schedule is null ? null : JobScheduleParser.Parse(schedule).NextAfter(after);

    /// <summary>
    /// Where a job's due time moves once a scheduler consumed an occurrence at <paramref name="now"/>: as
    /// <see cref="NextDueAt"/>, or null — the schedule ends — when the stored text can no longer be read here (a time zone
    /// this machine does not know), instead of failing every scheduler on every call. Saving the job again schedules it anew.
    /// </summary>
    public static DateTimeOffset? NextDueAtOrEnd(string? schedule, DateTimeOffset now)
    {
        try
        {
            return NextDueAt(schedule, now);
        }
        catch (OrderLibValidationException)
        {
            return null;
        }
    }
}
