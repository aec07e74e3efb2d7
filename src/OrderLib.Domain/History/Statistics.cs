namespace OrderLib;

/// <summary>
/// What <c>GetStatisticsAsync</c> reports on: the runs that finished in [<paramref name="From"/>, <paramref name="To"/>),
/// optionally of some jobs only, with a timeline cut into buckets of <see cref="Bucket"/>.
/// </summary>
/// <param name="From">The window's start (inclusive).</param>
/// <param name="To">The window's end (exclusive); after <paramref name="From"/>.</param>
public sealed record StatisticsQuery(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The most buckets a timeline may have.</summary>
    public const int MaxBuckets = 10_000;

    /// <summary>Only these jobs (at most <see cref="RunFilter.MaxJobIds"/>); null or empty for all the client's jobs, as in <see cref="RunFilter.JobIds"/>. Also scopes <see cref="HistoryStatistics.Queue"/>.</summary>
    public IReadOnlyList<JobId>? JobIds { get; init; }

    /// <summary>The timeline's bucket size; the default is an hour.</summary>
    public TimelineBucket Bucket { get; init; } = TimelineBucket.Hour;

    /// <summary>Checks the window (From before To), the bucket count (at most <see cref="MaxBuckets"/>) and the job ids.</summary>
    /// <returns>This query, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">A rule is broken; the error names the property (camelCase), and nothing was read.</exception>
    public StatisticsQuery Validate()
    {
        if (To <= From)
        {
            throw new OrderLibValidationException("to", $"The window's end ({To:O}) must come after its start ({From:O}).");
        }

        if (!Enum.IsDefined(Bucket))
        {
            throw new OrderLibValidationException("bucket", $"{(int)Bucket} is not a bucket size; use Minute, Hour or Day.");
        }

        var buckets = Timeline.BucketCount(this);
        if (buckets > MaxBuckets)
        {
            throw new OrderLibValidationException("bucket", $"The window holds {buckets} {Bucket} buckets; at most {MaxBuckets} are drawn: choose a larger bucket or a shorter window.");
        }

        if (JobIds is { Count: > RunFilter.MaxJobIds })
        {
            throw new OrderLibValidationException("jobIds", $"Statistics name at most {RunFilter.MaxJobIds} job ids; got {JobIds.Count}.");
        }

        return this;
    }
}

/// <summary>The size of a timeline bucket; buckets start on whole UTC minutes, hours or days.</summary>
public enum TimelineBucket
{
    /// <summary>One minute.</summary>
    Minute,

    /// <summary>One hour.</summary>
    Hour,

    /// <summary>One day (UTC).</summary>
    Day,
}

/// <summary>How runs that finished in a window went.</summary>
/// <param name="Succeeded">Runs (attempts) that succeeded.</param>
/// <param name="Failed">Runs (attempts) that failed, retried or not.</param>
/// <param name="Cancelled">Runs that were cancelled.</param>
/// <param name="AttemptsPerSuccess">The mean attempt number of the successful runs (1 when every success came at the first try); null without successes.</param>
/// <param name="Durations">Finished minus started over the runs that started, or null when none did.</param>
public sealed record RunStatistics(long Succeeded, long Failed, long Cancelled, double? AttemptsPerSuccess, DurationStatistics? Durations)
{
    /// <summary>Every run that finished in the window.</summary>
    public long Finished => Succeeded + Failed + Cancelled;

    /// <summary>Succeeded / (Succeeded + Failed): the share of attempts that ran to an outcome and succeeded; null when none did.</summary>
    public double? SuccessRate => Succeeded + Failed == 0 ? null : (double)Succeeded / (Succeeded + Failed);

    /// <summary>Statistics of no runs.</summary>
    public static RunStatistics None { get; } = new(0, 0, 0, null, null);
}

/// <summary>Durations of runs, percentiles by nearest rank (the smallest duration at least that share of the runs do not exceed).</summary>
/// <param name="Count">How many durations.</param>
/// <param name="Min">The shortest.</param>
/// <param name="P50">The median.</param>
/// <param name="P95">The 95th percentile.</param>
/// <param name="Max">The longest.</param>
public sealed record DurationStatistics(long Count, TimeSpan Min, TimeSpan P50, TimeSpan P95, TimeSpan Max);

/// <summary>One job's <see cref="RunStatistics"/>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="Runs">How its runs that finished in the window went.</param>
public sealed record JobStatistics(JobId JobId, string JobName, RunStatistics Runs);

/// <summary>The active runs now, each counted once: a pending run of a paused job under <see cref="Paused"/> only, whatever else holds it.</summary>
/// <param name="Ready">Pending, available, of a job that is not paused and waiting on no upstream job: a worker may take them now.</param>
/// <param name="WaitingOnUpstream">Pending, of a job that is not paused, and waiting for an upstream job's success.</param>
/// <param name="Paused">Pending runs of paused jobs: held until their job is resumed.</param>
/// <param name="ScheduledLater">Pending, of a job that is not paused, waiting on nothing, but available only later (a retry's backoff).</param>
/// <param name="Running">Held by a worker (a paused job's runs that were already running included).</param>
/// <param name="OldestReadySince">The earliest available time among the ready runs (since when the oldest has been free to start), or null when none is ready.</param>
public sealed record QueueDepth(long Ready, long WaitingOnUpstream, long Paused, long ScheduledLater, long Running, DateTimeOffset? OldestReadySince);

/// <summary>The runs that finished in one bucket of the timeline.</summary>
/// <param name="Start">The bucket's start (UTC, inclusive); it ends where the next starts.</param>
/// <param name="Succeeded">Runs that succeeded.</param>
/// <param name="Failed">Runs that failed.</param>
/// <param name="Cancelled">Runs that were cancelled.</param>
public sealed record TimelineBucketCounts(DateTimeOffset Start, long Succeeded, long Failed, long Cancelled);

/// <summary>What <c>GetStatisticsAsync</c> found.</summary>
/// <param name="Query">The query answered.</param>
/// <param name="Now">The time the queue depth was read at.</param>
/// <param name="Overall">All the runs (of the selected jobs) that finished in the window.</param>
/// <param name="PerJob">The same per job, for the jobs with runs finished in the window, in job id order.</param>
/// <param name="Queue">The active runs (of the selected jobs) now.</param>
/// <param name="Timeline">One entry per bucket of the window, empty buckets included, oldest first.</param>
public sealed record HistoryStatistics(
    StatisticsQuery Query,
    DateTimeOffset Now,
    RunStatistics Overall,
    IReadOnlyList<JobStatistics> PerJob,
    QueueDepth Queue,
    IReadOnlyList<TimelineBucketCounts> Timeline)
{
    /// <summary>How long the oldest ready run has been free to start, at <see cref="Now"/>; null when none is ready.</summary>
    public TimeSpan? OldestReadyAge => Queue.OldestReadySince is { } since ? Now - since : null;
}

/// <summary>The timeline rules every store shares: where buckets start.</summary>
public static class Timeline
{
    /// <summary>The start of the bucket holding <paramref name="at"/>: the UTC minute, hour or day it falls in.</summary>
    public static DateTimeOffset BucketStart(DateTimeOffset at, TimelineBucket bucket)
    {
        var utc = at.UtcDateTime;
        var start = bucket switch
        {
            TimelineBucket.Minute => new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc),
            TimelineBucket.Hour => new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc),
            _ => new DateTime(utc.Year, utc.Month, utc.Day, 0, 0, 0, DateTimeKind.Utc),
        };
        return new DateTimeOffset(start);
    }

    /// <summary>How many buckets overlap [From, To) of <paramref name="query"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    public static long BucketCount(StatisticsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var first = BucketStart(query.From, query.Bucket);
        return query.To <= first ? 0 : (long)Math.Ceiling((query.To - first) / Size(query.Bucket));
    }

    /// <summary>The starts of every bucket overlapping [From, To) of a validated <paramref name="query"/>, oldest first.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The query is invalid (<see cref="StatisticsQuery.Validate"/>).</exception>
    public static IReadOnlyList<DateTimeOffset> BucketStarts(StatisticsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var step = Size(query.Bucket);
        var first = BucketStart(query.From, query.Bucket);
        var starts = new DateTimeOffset[BucketCount(query)];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = first + (step * i);
        }

        return starts;
    }

    /// <summary>
    /// The full timeline of a validated <paramref name="query"/>: one entry per bucket of <see cref="BucketStarts"/>, oldest
    /// first, with the counts of <paramref name="counted"/> where it has that bucket's start and zeros elsewhere (the stores
    /// count only the buckets that have runs).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> or <paramref name="counted"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="counted"/> has two entries for one bucket.</exception>
    /// <exception cref="OrderLibValidationException">The query is invalid (<see cref="StatisticsQuery.Validate"/>).</exception>
    public static IReadOnlyList<TimelineBucketCounts> Fill(StatisticsQuery query, IEnumerable<TimelineBucketCounts> counted)
    {
        ArgumentNullException.ThrowIfNull(counted);
        var byStart = counted.ToDictionary(bucket => bucket.Start);
        return BucketStarts(query)
            .Select(start => byStart.TryGetValue(start, out var bucket) ? bucket with { Start = start } : new TimelineBucketCounts(start, 0, 0, 0))
            .ToArray();
    }

    /// <summary>The length of one bucket.</summary>
    public static TimeSpan Size(TimelineBucket bucket) => bucket switch
    {
        TimelineBucket.Minute => TimeSpan.FromMinutes(1),
        TimelineBucket.Hour => TimeSpan.FromHours(1),
        _ => TimeSpan.FromDays(1),
    };
}
