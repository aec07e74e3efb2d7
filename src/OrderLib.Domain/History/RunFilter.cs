namespace OrderLib;

/// <summary>
/// Which runs a history search matches: every property left null matches everything, and the properties that are set
/// must all hold. Time ranges include their <c>From</c> and exclude their <c>To</c>; text comparisons are ordinal, except
/// <see cref="ErrorContains"/>. A job id or name of another client matches nothing. Check it with <see cref="Validate"/>
/// (the services do before reading anything).
/// </summary>
public sealed record RunFilter
{
    /// <summary>The most job ids one filter may name.</summary>
    public const int MaxJobIds = 1000;

    /// <summary>The longest <see cref="ErrorContains"/> text, in characters (text elements).</summary>
    public const int MaxErrorContainsLength = 200;

    /// <summary>Runs in one of these statuses; null or empty for any status.</summary>
    public IReadOnlySet<RunStatus>? Statuses { get; init; }

    /// <summary>Runs of one of these jobs (at most <see cref="MaxJobIds"/>); null or empty for any job (as <see cref="Statuses"/>; the text form drops an empty list).</summary>
    public IReadOnlyList<JobId>? JobIds { get; init; }

    /// <summary>Runs of the job with exactly this name (ordinal); null for any.</summary>
    public string? JobName { get; init; }

    /// <summary>
    /// Runs of jobs whose name starts with this text (ordinal); null for any. The relational stores read the matching jobs'
    /// ids first, in a statement of their own (two round trips per page instead of one), and then search their runs as a
    /// list of job ids: job by job when they are a few, along the ordering's index when they are many, none when no job
    /// matches.
    /// </summary>
    public string? JobNamePrefix { get; init; }

    /// <summary>Runs started by this worker; null for any (runs never started match only null).</summary>
    public string? WorkerId { get; init; }

    /// <summary>Runs whose attempt is at least this (2 for retries only); null for no lower bound.</summary>
    public int? MinAttempt { get; init; }

    /// <summary>Runs whose attempt is at most this (1 for first attempts only); null for no upper bound.</summary>
    public int? MaxAttempt { get; init; }

    /// <summary>Runs enqueued at or after this time.</summary>
    public DateTimeOffset? EnqueuedFrom { get; init; }

    /// <summary>Runs enqueued before this time.</summary>
    public DateTimeOffset? EnqueuedTo { get; init; }

    /// <summary>Runs started at or after this time (runs never started do not match).</summary>
    public DateTimeOffset? StartedFrom { get; init; }

    /// <summary>Runs started before this time (runs never started do not match).</summary>
    public DateTimeOffset? StartedTo { get; init; }

    /// <summary>Runs finished at or after this time (active runs do not match).</summary>
    public DateTimeOffset? FinishedFrom { get; init; }

    /// <summary>Runs finished before this time (active runs do not match).</summary>
    public DateTimeOffset? FinishedTo { get; init; }

    /// <summary>Runs that started and finished, taking at least this long (finished minus started).</summary>
    public TimeSpan? MinDuration { get; init; }

    /// <summary>Runs that started and finished, taking at most this long (finished minus started).</summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>
    /// Runs whose error text contains this text, ignoring the case of the ASCII letters A–Z (other characters compare
    /// exactly, on every store); runs without an error text do not match.
    /// </summary>
    public string? ErrorContains { get; init; }

    /// <summary>First attempts only: <see cref="MaxAttempt"/> = 1.</summary>
    public static RunFilter FirstAttempts { get; } = new() { MaxAttempt = 1 };

    /// <summary>Retries only: <see cref="MinAttempt"/> = 2.</summary>
    public static RunFilter Retries { get; } = new() { MinAttempt = 2 };

    /// <summary>
    /// Checks the filter: ranges the right way round, attempts at least 1, durations not negative, at most
    /// <see cref="MaxJobIds"/> job ids, known statuses, well-formed texts of sensible length.
    /// </summary>
    /// <returns>This filter, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">A rule is broken; <see cref="OrderLibValidationException.ParamName"/> names the property (camelCase), and nothing was read.</exception>
    public RunFilter Validate()
    {
        if (Statuses is not null)
        {
            foreach (var status in Statuses)
            {
                HistoryRules.RequireKnown(status, "statuses");
            }
        }

        if (JobIds is { Count: > MaxJobIds })
        {
            throw new OrderLibValidationException("jobIds", $"A filter names at most {MaxJobIds} job ids; got {JobIds.Count}.");
        }

        HistoryRules.RequireText(JobName, "jobName", "A job name", JobDefinition.MaxNameLength);
        HistoryRules.RequireText(JobNamePrefix, "jobNamePrefix", "A job name prefix", JobDefinition.MaxNameLength);
        HistoryRules.RequireText(WorkerId, "workerId", "A worker id", OrderLib.WorkerId.MaxLength);
        HistoryRules.RequireText(ErrorContains, "errorContains", "An error text to look for", MaxErrorContainsLength);
        HistoryRules.RequireAtLeast(MinAttempt, 1, "minAttempt", "An attempt");
        HistoryRules.RequireAtLeast(MaxAttempt, 1, "maxAttempt", "An attempt");
        HistoryRules.RequireOrdered(MinAttempt, MaxAttempt, "maxAttempt", "The highest attempt", "the lowest");
        HistoryRules.RequireOrdered(EnqueuedFrom, EnqueuedTo, "enqueuedTo", "The end of the enqueued range", "its start");
        HistoryRules.RequireOrdered(StartedFrom, StartedTo, "startedTo", "The end of the started range", "its start");
        HistoryRules.RequireOrdered(FinishedFrom, FinishedTo, "finishedTo", "The end of the finished range", "its start");
        HistoryRules.RequireNotNegative(MinDuration, "minDuration", "A duration");
        HistoryRules.RequireNotNegative(MaxDuration, "maxDuration", "A duration");
        HistoryRules.RequireOrdered(MinDuration, MaxDuration, "maxDuration", "The longest duration", "the shortest");
        return this;
    }
}

/// <summary>The timestamp a run search orders by.</summary>
public enum RunTimestamp
{
    /// <summary>When the run was created. Every run has it.</summary>
    Enqueued,

    /// <summary>When a worker started it; ordering by it lists only runs that started.</summary>
    Started,

    /// <summary>When it reached a terminal state; ordering by it lists only finished runs.</summary>
    Finished,
}

/// <summary>Which end of an ordering comes first.</summary>
public enum SortDirection
{
    /// <summary>Latest timestamp first (ties: highest run id first).</summary>
    NewestFirst,

    /// <summary>Earliest timestamp first (ties: lowest run id first).</summary>
    OldestFirst,
}

/// <summary>
/// Where a page of a run search ends: the ordering timestamp and the id of its last run. The next page starts strictly
/// after it in the search's order, so rows are neither skipped nor repeated while runs are added.
/// </summary>
/// <param name="At">The last run's ordering timestamp (UTC).</param>
/// <param name="RunId">The last run's id.</param>
public readonly record struct RunPosition(DateTimeOffset At, RunId RunId) : IComparable<RunPosition>
{
    /// <summary>Where <paramref name="run"/> stands in an ordering by <paramref name="timestamp"/>, or null when it lacks that time.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public static RunPosition? Of(JobRun run, RunTimestamp timestamp)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.TimeOf(timestamp) is { } at ? new RunPosition(at, run.Id) : null;
    }

    /// <summary>Orders positions oldest first: by timestamp, then by run id.</summary>
    public int CompareTo(RunPosition other) => At != other.At ? At.CompareTo(other.At) : RunId.Value.CompareTo(other.RunId.Value);

    /// <summary>True when <paramref name="left"/> comes before <paramref name="right"/>.</summary>
    public static bool operator <(RunPosition left, RunPosition right) => left.CompareTo(right) < 0;

    /// <summary>True when <paramref name="left"/> comes after <paramref name="right"/>.</summary>
    public static bool operator >(RunPosition left, RunPosition right) => left.CompareTo(right) > 0;

    /// <summary>True when <paramref name="left"/> comes before <paramref name="right"/> or is the same.</summary>
    public static bool operator <=(RunPosition left, RunPosition right) => left.CompareTo(right) <= 0;

    /// <summary>True when <paramref name="left"/> comes after <paramref name="right"/> or is the same.</summary>
    public static bool operator >=(RunPosition left, RunPosition right) => left.CompareTo(right) >= 0;
}

/// <summary>A run found by a history search, with its job's name.</summary>
/// <param name="Run">The run.</param>
/// <param name="JobName">The name of its job.</param>
public sealed record RunWithJobName(JobRun Run, string JobName);
