using System.Diagnostics.CodeAnalysis;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Statistics of a window of the history: one batch of three statements (runs overall and per job, the timeline, the queue
// depth), one round trip whatever the window or the number of jobs.
public abstract partial class RelationalOrderLibStore
{
    // The job id of the row of all the window's runs (job ids start at 1).
    private const long OverallKey = 0;

    /// <inheritdoc />
    /// <remarks>
    /// One batch of three statements. The window's runs of all the client's jobs are read through
    /// <c>ix_job_runs_client_finished</c> (client id, finish time); those of some jobs through <c>ix_job_runs_job</c>
    /// (job id, run id), bounded by the ids of the client's runs in the window, which that index-only range yields. Durations
    /// are exact to the microsecond and their nearest-rank percentiles are ranked in SQL. The queue depth reads the client's
    /// (or the named) jobs and each one's active run through <c>ux_job_runs_one_active</c>.
    /// </remarks>
    public async Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        now = now.ToUniversalTime();
        var param = new
        {
            client = client.Value,
            from = _dialect.ToDb(query.From),
            to = _dialect.ToDb(query.To),
            jobIds = query.JobIds?.Select(id => id.Value).ToArray() ?? [],
            now = _dialect.ToDb(now),
        };
        return await ConnectAsync(
            async connection =>
            {
                // Result sets: the runs overall (job id 0) and per job, in job id order; the buckets that have runs,
                // oldest first; the queue depth.
                await using var grid = await connection.QueryMultipleAsync(Command(
                    _statisticsSql.Statistics(query.Bucket, someJobs: query.JobIds is { Count: > 0 }), param, null, cancellationToken));
                var runs = (await grid.ReadAsync<RunStatisticsRow>()).ToArray();
                var buckets = await grid.ReadAsync<TimelineRow>();
                var queue = await grid.ReadSingleAsync<QueueDepthRow>();
                return new HistoryStatistics(
                    query,
                    now,
                    runs.Single(r => r.JobId == OverallKey).ToRunStatistics(),
                    runs.Where(r => r.JobId != OverallKey).Select(r => new JobStatistics(new JobId(r.JobId), r.JobName ?? "", r.ToRunStatistics())).ToArray(),
                    queue.ToQueueDepth(_dialect),
                    Timeline.Fill(query, buckets.Select(b => b.ToCounts(_dialect))));
            },
            cancellationToken);
    }

    /// <summary>The statistics batch, one per bucket size and scope (all the client's jobs, or the jobs of <c>@jobIds</c>).</summary>
    private sealed class StatisticsSql
    {
        private readonly Dictionary<(TimelineBucket Bucket, bool SomeJobs), string> _batches = [];

        public StatisticsSql(SqlDialect dialect)
        {
            // Counts of the statuses a finished run has, over the rows of x.
            const string statusCounts = """
                COUNT(CASE WHEN x.status = 'Succeeded' THEN 1 END) AS Succeeded,
                COUNT(CASE WHEN x.status = 'Failed' THEN 1 END) AS Failed,
                COUNT(CASE WHEN x.status = 'Cancelled' THEN 1 END) AS Cancelled
                """;

            // How the ranked runs of x went: counts, attempts of the successes, and the durations with the percentiles
            // picked by their rank among the group's durations and the number of those.
            static string RunAggregates(string rank, string durations) => $"""
                {statusCounts},
                SUM(CASE WHEN x.status = 'Succeeded' THEN x.attempt ELSE 0 END) AS SuccessAttempts,
                COUNT(x.duration) AS Durations,
                MIN(x.duration) AS MinDuration,
                MIN(CASE WHEN {rank} = ({durations} * 50 + 99) / 100 THEN x.duration END) AS P50Duration,
                MIN(CASE WHEN {rank} = ({durations} * 95 + 99) / 100 THEN x.duration END) AS P95Duration,
                MAX(x.duration) AS MaxDuration
                """;

            // The run of the alias finished in the window.
            static string InWindow(string alias) => $"{alias}.finished_at IS NOT NULL AND {alias}.finished_at >= @from AND {alias}.finished_at < @to";

            var windowColumns = $"r.job_id, r.status, r.attempt, r.finished_at, {dialect.MicrosecondsBetween("r.started_at", "r.finished_at")} AS duration";

            // A pending run a worker may take now (waiting_on counts the upstream jobs whose latest run has not succeeded, plus
            // one while its job is paused).
            const string ready = "r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now";

            foreach (var someJobs in new[] { false, true })
            {
                // The client's runs that finished in [@from, @to) (of the jobs of @jobIds), with their durations in
                // microseconds (null when the run never started). All the client's are found through
                // ix_job_runs_client_finished (client id, finish time). Some jobs' are found through ix_job_runs_job
                // (job id, run id), each job's between the least and the greatest id of the client's runs in the window
                // (span: a redundant bound, as those runs are among them, read from the index alone), so that one job over
                // one day reads about that day's index entries and the job's runs of the day, not all the client's runs of
                // the day nor all the job's history. (GROUP BY keeps PostgreSQL from answering MIN and MAX by walking the
                // primary key from either end.)
                var window = someJobs
                    ? $"""
                        WITH span AS (
                            SELECT MIN(b.id) AS lo, MAX(b.id) AS hi
                            FROM job_runs b
                            WHERE b.client_id = @client AND {InWindow("b")}
                            GROUP BY b.client_id
                        ), w AS (
                            SELECT {windowColumns}
                            FROM job_runs r
                            WHERE {dialect.IndexedIn("r.job_id", $"SELECT j.id FROM jobs j WHERE j.client_id = @client AND {dialect.InList("j.id", "@jobIds")}")}
                              AND r.id >= (SELECT s.lo FROM span s) AND r.id <= (SELECT s.hi FROM span s) AND {InWindow("r")}
                        )
                        """
                    : $"""
                        WITH w AS (
                            SELECT {windowColumns}
                            FROM job_runs r
                            WHERE r.client_id = @client AND {InWindow("r")}
                        )
                        """;

                // Durations ranked within each job and overall (the runs without a duration in partitions of their
                // own), so that the nearest-rank percentile p of a group is the duration at rank ceil(p·n), in integer
                // arithmetic (p·n + 99) / 100 for p in percent; then aggregated per job and overall (job id 0; one row even
                // without runs), and only the aggregates are joined to their jobs' names.
                var runs = window + $"""
                    , ranked AS (
                        SELECT w.job_id, w.status, w.attempt, w.duration,
                               ROW_NUMBER() OVER (PARTITION BY w.job_id, w.duration IS NULL ORDER BY w.duration) AS job_rank,
                               COUNT(*) OVER (PARTITION BY w.job_id, w.duration IS NULL) AS job_durations,
                               ROW_NUMBER() OVER (PARTITION BY w.duration IS NULL ORDER BY w.duration) AS all_rank,
                               COUNT(*) OVER (PARTITION BY w.duration IS NULL) AS all_durations
                        FROM w
                    ), s AS (
                        SELECT x.job_id AS JobId, {RunAggregates("x.job_rank", "x.job_durations")}
                        FROM ranked x
                        GROUP BY x.job_id
                        UNION ALL
                        SELECT {OverallKey}, {RunAggregates("x.all_rank", "x.all_durations")}
                        FROM ranked x
                    )
                    SELECT s.*, j.name AS JobName
                    FROM s LEFT JOIN jobs j ON j.id = s.JobId AND j.client_id = @client
                    ORDER BY s.JobId;
                    """;

                // The active runs of the client's jobs (of @jobIds), each job's through ux_job_runs_one_active.
                var queue = $"""
                    SELECT COUNT(CASE WHEN {ready} THEN 1 END) AS Ready,
                           COUNT(CASE WHEN r.status = 'Pending' AND r.waiting_on > 0 AND j.paused_at IS NULL THEN 1 END) AS WaitingOnUpstream,
                           COUNT(CASE WHEN r.status = 'Pending' AND j.paused_at IS NOT NULL THEN 1 END) AS Paused,
                           COUNT(CASE WHEN r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at > @now THEN 1 END) AS ScheduledLater,
                           COUNT(CASE WHEN r.status = 'Running' THEN 1 END) AS Running,
                           MIN(CASE WHEN {ready} THEN r.available_at END) AS OldestReadySince
                    FROM jobs j JOIN job_runs r ON r.job_id = j.id
                    WHERE j.client_id = @client AND r.status IN ('Pending', 'Running'){(someJobs ? " AND " + dialect.InList("j.id", "@jobIds") : "")};
                    """;

                foreach (var bucket in Enum.GetValues<TimelineBucket>())
                {
                    var start = dialect.BucketStart("x.finished_at", bucket);
                    var timeline = window + $"""
                        SELECT {start} AS BucketStart, {statusCounts}
                        FROM w x
                        GROUP BY {start}
                        ORDER BY {start};
                        """;
                    _batches[(bucket, someJobs)] = runs + timeline + queue;
                }
            }
        }

        public string Statistics(TimelineBucket bucket, bool someJobs) => _batches[(bucket, someJobs)];
    }

    /// <summary>
    /// How the window's runs of one job (or, under job id 0, of all the selected jobs) went; durations in microseconds (null
    /// in the database, left 0 here, when no run started).
    /// </summary>
    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
    private sealed class RunStatisticsRow
    {
        public long JobId { get; set; }

        public string? JobName { get; set; }

        public long Succeeded { get; set; }

        public long Failed { get; set; }

        public long Cancelled { get; set; }

        public long SuccessAttempts { get; set; }

        public long Durations { get; set; }

        public long MinDuration { get; set; }

        public long P50Duration { get; set; }

        public long P95Duration { get; set; }

        public long MaxDuration { get; set; }

        public RunStatistics ToRunStatistics() => new(
            Succeeded,
            Failed,
            Cancelled,
            Succeeded == 0 ? null : (double)SuccessAttempts / Succeeded,
            Durations == 0 ? null : new DurationStatistics(Durations, Microseconds(MinDuration), Microseconds(P50Duration), Microseconds(P95Duration), Microseconds(MaxDuration)));

        private static TimeSpan Microseconds(long value) => TimeSpan.FromTicks(value * TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>One bucket of the timeline that has runs.</summary>
    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
    private sealed class TimelineRow
    {
        public object BucketStart { get; set; } = null!;

        public long Succeeded { get; set; }

        public long Failed { get; set; }

        public long Cancelled { get; set; }

        public TimelineBucketCounts ToCounts(SqlDialect dialect) => new(dialect.FromDb(BucketStart), Succeeded, Failed, Cancelled);
    }

    /// <summary>The active runs by kind, and the earliest available time of the ready ones.</summary>
    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
    private sealed class QueueDepthRow
    {
        public long Ready { get; set; }

        public long WaitingOnUpstream { get; set; }

        public long Paused { get; set; }

        public long ScheduledLater { get; set; }

        public long Running { get; set; }

        public object? OldestReadySince { get; set; }

        public QueueDepth ToQueueDepth(SqlDialect dialect) =>
            new(Ready, WaitingOnUpstream, Paused, ScheduledLater, Running, OldestReadySince is null ? null : dialect.FromDb(OldestReadySince));
    }
}
