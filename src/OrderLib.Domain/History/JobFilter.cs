namespace OrderLib;

/// <summary>
/// Which jobs a job search matches: every property left null matches everything, and the properties that are set must
/// all hold. Time ranges include their <c>From</c> and exclude their <c>To</c>. Check it with <see cref="Validate"/> (the
/// services do before reading anything).
/// </summary>
public sealed record JobFilter
{
    /// <summary>The job with exactly this name (ordinal).</summary>
    public string? NameEquals { get; init; }

    /// <summary>Jobs whose name starts with this text (ordinal).</summary>
    public string? NamePrefix { get; init; }

    /// <summary>Jobs whose name contains this text, ignoring the case of the ASCII letters A–Z.</summary>
    public string? NameContains { get; init; }

    /// <summary>True: jobs with a schedule; false: jobs without one.</summary>
    public bool? HasSchedule { get; init; }

    /// <summary>Jobs whose schedule is next due at or after this time (jobs never due do not match).</summary>
    public DateTimeOffset? NextDueFrom { get; init; }

    /// <summary>Jobs whose schedule is next due before this time (jobs never due do not match).</summary>
    public DateTimeOffset? NextDueTo { get; init; }

    /// <summary>Jobs whose latest run is in one of these statuses (jobs that never ran do not match); null or empty for any.</summary>
    public IReadOnlySet<RunStatus>? LatestStatuses { get; init; }

    /// <summary>True: jobs that have at least one run; false: jobs that never ran.</summary>
    public bool? HasRuns { get; init; }

    /// <summary>True: jobs that depend on at least one job; false: jobs that depend on none.</summary>
    public bool? HasDependencies { get; init; }

    /// <summary>True: jobs at least one job depends on; false: jobs nothing depends on.</summary>
    public bool? HasDependents { get; init; }

    /// <summary>True: paused jobs (<see cref="Job.IsPaused"/>); false: jobs that are not paused.</summary>
    public bool? Paused { get; init; }

    /// <summary>Jobs whose priority is at least this.</summary>
    public int? MinPriority { get; init; }

    /// <summary>Jobs whose priority is at most this.</summary>
    public int? MaxPriority { get; init; }

    /// <summary>Checks the filter: ranges the right way round, known statuses, well-formed texts of sensible length.</summary>
    /// <returns>This filter, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">A rule is broken; <see cref="OrderLibValidationException.ParamName"/> names the property (camelCase), and nothing was read.</exception>
    public JobFilter Validate()
    {
        HistoryRules.RequireText(NameEquals, "nameEquals", "A job name", JobDefinition.MaxNameLength);
        HistoryRules.RequireText(NamePrefix, "namePrefix", "A job name prefix", JobDefinition.MaxNameLength);
        HistoryRules.RequireText(NameContains, "nameContains", "A job name part", JobDefinition.MaxNameLength);
        HistoryRules.RequireOrdered(NextDueFrom, NextDueTo, "nextDueTo", "The end of the next-due range", "its start");
        HistoryRules.RequireOrdered(MinPriority, MaxPriority, "maxPriority", "The highest priority", "the lowest");
        if (LatestStatuses is not null)
        {
            foreach (var status in LatestStatuses)
            {
                HistoryRules.RequireKnown(status, "latestStatuses");
            }
        }

        if (HasRuns == false && LatestStatuses is { Count: > 0 })
        {
            throw new OrderLibValidationException("latestStatuses", "Jobs that never ran have no latest status: drop hasRuns=false or the latest statuses.");
        }

        return this;
    }
}
