using System.Data.Common;
using System.Globalization;
using System.Text;

namespace OrderLib.Benchmarks;

/// <summary>Where a reference page ended: the ordering column's value as read (passed back as is) and the run id.</summary>
internal readonly record struct ReferencePosition(object At, long RunId);

/// <summary>What a reference query returned: the ids in order (or a fingerprint of a statistics answer), the rows read, where the page ended.</summary>
internal sealed record ReferenceResult(IReadOnlyList<long> Ids, long Rows, ReferencePosition? Last);

/// <summary>
/// The hand-written references of the <c>queries</c> scenario: no OrderLib code, plain ADO.NET on one connection of the
/// harness, each search written as the filter reads — the client's runs (<c>job_runs</c> joined to <c>jobs</c> for the
/// name), one <c>WHERE</c> term per filter property, <c>ORDER BY</c> the timestamp and id, <c>LIMIT</c>, keyset pages by a
/// row-value comparison — over the same database and indexes, every column of every row read. They return the same rows
/// as the library's searches (the scenario checks the ids), so the ratio of the two times is what OrderLib adds to the
/// plain SQL of the same shape, on the same machine at the same moment.
/// </summary>
internal sealed class ReferenceQueries(BenchDatabase engine, DbConnection connection)
{
    private const string RunColumns = "r.id, r.job_id, r.status, r.attempt, r.priority, r.waiting_on, r.enqueued_at, r.available_at, r.started_at, r.finished_at, r.lease_expires_at, r.worker_id, r.error";

    private readonly bool _sqlite = engine is SqliteBench;

    /// <summary>When set, every statement is explained first (<see cref="BenchDatabase.ExplainAsync"/>) and its plan added here.</summary>
    public List<string>? Plans { get; set; }

    /// <summary>One page of <paramref name="search"/> (its filter, ordering, limit and total) after <paramref name="after"/>; every row when <paramref name="all"/>.</summary>
    public async Task<ReferenceResult> SearchRunsAsync(RunSearch search, ReferencePosition? after, bool all, CancellationToken cancellationToken)
    {
        var filter = search.Filter;
        if (filter with { Statuses = null, JobIds = null, JobName = null, JobNamePrefix = null, WorkerId = null, MinAttempt = null, EnqueuedFrom = null, EnqueuedTo = null, StartedFrom = null, StartedTo = null, FinishedFrom = null, FinishedTo = null, MinDuration = null, ErrorContains = null } != new RunFilter())
        {
            throw new NotSupportedException("The reference does not translate this filter: " + filter);
        }

        var where = new List<string> { "r.client_id = @client" };
        var parameters = new List<(string, object?)> { ("client", BenchDatabase.Client) };
        void Add(string term, params (string, object?)[] values)
        {
            where.Add(term);
            parameters.AddRange(values);
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            Add(In("r.status", "status", statuses.Select(s => (object)s.ToString()).ToArray(), parameters));
        }

        if (filter.JobIds is { } jobIds)
        {
            Add(In("r.job_id", "job", jobIds.Select(j => (object)j.Value).ToArray(), parameters));
        }

        if (filter.JobName is { } name)
        {
            Add("j.name = @jobName", ("jobName", name));
        }

        if (filter.JobNamePrefix is { } prefix)
        {
            Add(@"j.name LIKE @jobNamePrefix ESCAPE '\'", ("jobNamePrefix", Escape(prefix) + "%"));
        }

        if (filter.WorkerId is { } worker)
        {
            Add("r.worker_id = @worker", ("worker", worker));
        }

        if (filter.MinAttempt is { } minAttempt)
        {
            Add("r.attempt >= @minAttempt", ("minAttempt", minAttempt));
        }

        Range("r.enqueued_at", "enqueued", filter.EnqueuedFrom, filter.EnqueuedTo);
        Range("r.started_at", "started", filter.StartedFrom, filter.StartedTo);
        Range("r.finished_at", "finished", filter.FinishedFrom, filter.FinishedTo);
        if (filter.MinDuration is { } minDuration)
        {
            Add(
                _sqlite ? "unixepoch(r.finished_at, 'subsec') - unixepoch(r.started_at, 'subsec') >= @minDuration" : "r.finished_at - r.started_at >= @minDuration",
                ("minDuration", _sqlite ? minDuration.TotalSeconds : minDuration));
        }

        if (filter.ErrorContains is { } error)
        {
            // Both ignore the case of ASCII letters: SQLite's LIKE by default, PostgreSQL's ILIKE (the texts here are ASCII).
            Add($@"r.error {(_sqlite ? "LIKE" : "ILIKE")} @error ESCAPE '\'", ("error", "%" + Escape(error) + "%"));
        }

        var column = search.OrderBy switch
        {
            RunTimestamp.Started => "r.started_at",
            RunTimestamp.Finished => "r.finished_at",
            _ => "r.enqueued_at",
        };
        if (search.OrderBy != RunTimestamp.Enqueued)
        {
            where.Add(column + " IS NOT NULL");
        }

        var newest = search.Direction == SortDirection.NewestFirst;
        var conditions = string.Join(" AND ", where);
        var join = filter.JobName is null && filter.JobNamePrefix is null ? string.Empty : " JOIN jobs j ON j.id = r.job_id";
        long? total = null;
        if (search.IncludeTotal)
        {
            var countSql = $"SELECT COUNT(*) FROM job_runs r{join} WHERE {conditions}";
            await ExplainFirstAsync(countSql, parameters, cancellationToken);
            total = await Sql.ScalarAsync<long>(connection, null, countSql, cancellationToken, [.. parameters]);
        }

        if (after is { } position)
        {
            where.Add($"({column}, r.id) {(newest ? "<" : ">")} (@afterAt, @afterId)");
            parameters.Add(("afterAt", position.At));
            parameters.Add(("afterId", position.RunId));
        }

        var direction = newest ? "DESC" : "ASC";
        var sql = new StringBuilder($"SELECT {RunColumns}, j.name FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE {string.Join(" AND ", where)} ORDER BY {column} {direction}, r.id {direction}");
        if (!all)
        {
            sql.Append(" LIMIT @limit");
            parameters.Add(("limit", search.Limit));
        }

        var orderColumn = search.OrderBy switch
        {
            RunTimestamp.Started => 8,
            RunTimestamp.Finished => 9,
            _ => 6,
        };
        var result = await ReadAsync(sql.ToString(), parameters, orderColumn, keepIds: !all, cancellationToken);
        return total is { } count ? result with { Ids = [.. result.Ids, count] } : result;

        void Range(string rangeColumn, string name, DateTimeOffset? from, DateTimeOffset? to)
        {
            if (from is { } f)
            {
                Add($"{rangeColumn} >= @{name}From", (name + "From", engine.DbTime(f)));
            }

            if (to is { } t)
            {
                Add($"{rangeColumn} < @{name}To", (name + "To", engine.DbTime(t)));
            }
        }
    }

    /// <summary>One page of <paramref name="search"/>: the client's jobs in id order, each with its latest run (a left join through <c>latest_run_id</c>).</summary>
    public async Task<ReferenceResult> SearchJobsAsync(JobSearch search, CancellationToken cancellationToken)
    {
        var filter = search.Filter;
        if (filter with { NameContains = null, LatestStatuses = null, HasSchedule = null, HasDependents = null } != new JobFilter())
        {
            throw new NotSupportedException("The reference does not translate this filter: " + filter);
        }

        var where = new List<string> { "j.client_id = @client" };
        var parameters = new List<(string, object?)> { ("client", BenchDatabase.Client), ("limit", search.Limit) };
        if (filter.NameContains is { } part)
        {
            where.Add($@"j.name {(_sqlite ? "LIKE" : "ILIKE")} @namePart ESCAPE '\'");
            parameters.Add(("namePart", "%" + Escape(part) + "%"));
        }

        if (filter.LatestStatuses is { Count: > 0 } statuses)
        {
            where.Add(In("j.latest_status", "latest", statuses.Select(s => (object)s.ToString()).ToArray(), parameters));
        }

        if (filter.HasSchedule is { } scheduled)
        {
            where.Add(scheduled ? "j.schedule IS NOT NULL" : "j.schedule IS NULL");
        }

        if (filter.HasDependents is { } dependents)
        {
            where.Add((dependents ? string.Empty : "NOT ") + "EXISTS (SELECT 1 FROM job_dependencies d WHERE d.depends_on_job_id = j.id)");
        }

        var sql = $"SELECT j.id, j.client_id, j.name, j.description, j.priority, j.max_attempts, j.schedule, j.latest_run_id, j.latest_status, j.created_at, j.updated_at, {RunColumns} " +
                  $"FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id WHERE {string.Join(" AND ", where)} ORDER BY j.id LIMIT @limit";
        return await ReadAsync(sql, parameters, orderColumn: 0, keepIds: true, cancellationToken);
    }

    /// <summary>
    /// The statistics of <paramref name="query"/>: one statement reads the window's finished runs (job, name, status,
    /// attempt, started, finished) through the finish-time range, one counts the active runs; counts, attempts, nearest-rank
    /// duration percentiles per job and overall, and the timeline are computed here. Returns a fingerprint of the answer:
    /// succeeded, failed, cancelled, jobs with runs, timeline buckets, active runs.
    /// </summary>
    public async Task<ReferenceResult> StatisticsAsync(StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)> { ("client", BenchDatabase.Client), ("from", engine.DbTime(query.From)), ("to", engine.DbTime(query.To)) };
        var jobs = query.JobIds is { } ids ? " AND " + In("r.job_id", "job", ids.Select(j => (object)j.Value).ToArray(), parameters) : string.Empty;
        var perJob = new Dictionary<long, (string Name, long[] Counts, long Attempts, List<double> Durations)>();
        var timeline = Timeline.BucketStarts(query).ToDictionary(start => start, _ => new long[3]);
        var window = "SELECT r.job_id, j.name, r.status, r.attempt, r.started_at, r.finished_at FROM job_runs r JOIN jobs j ON j.id = r.job_id " +
                     $"WHERE r.client_id = @client AND r.finished_at >= @from AND r.finished_at < @to{jobs}";
        await ExplainFirstAsync(window, parameters, cancellationToken);
        await using (var command = Sql.Create(connection, null, window, parameters))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetInt64(0);
                if (!perJob.TryGetValue(jobId, out var job))
                {
                    perJob[jobId] = job = (reader.GetString(1), new long[3], 0, []);
                }

                var kind = reader.GetString(2) switch { "Succeeded" => 0, "Failed" => 1, _ => 2 };
                job.Counts[kind]++;
                var finished = BenchDatabase.ReadTime(reader.GetValue(5));
                timeline[Timeline.BucketStart(finished, query.Bucket)][kind]++;
                if (kind == 0)
                {
                    perJob[jobId] = job with { Attempts = job.Attempts + reader.GetInt32(3) };
                }

                if (!reader.IsDBNull(4))
                {
                    job.Durations.Add((finished - BenchDatabase.ReadTime(reader.GetValue(4))).TotalSeconds);
                }
            }
        }

        var overall = perJob.Values.SelectMany(j => j.Durations).Order().ToArray();
        var perJobP95 = perJob.Values.Sum(job =>
        {
            job.Durations.Sort();
            return Milliseconds(Percentile(job.Durations, 0.95));
        });
        parameters.Add(("now", engine.DbTime(now)));
        var depthSql =
            "SELECT COALESCE(SUM(CASE WHEN r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN r.status = 'Pending' AND r.waiting_on > 0 THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at > @now THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN r.status = 'Running' THEN 1 ELSE 0 END), 0) " +
            $"FROM job_runs r WHERE r.client_id = @client AND r.status IN ('Pending', 'Running'){jobs}";
        await ExplainFirstAsync(depthSql, parameters, cancellationToken);
        await using var queue = Sql.Create(connection, null, depthSql, parameters);
        await using var depth = await queue.ExecuteReaderAsync(cancellationToken);
        await depth.ReadAsync(cancellationToken);
        long Sum(int kind) => perJob.Values.Sum(j => j.Counts[kind]);
        return new ReferenceResult(
            [Sum(0), Sum(1), Sum(2), perJob.Count, timeline.Count, Milliseconds(Percentile(overall, 0.5)), Milliseconds(Percentile(overall, 0.95)), perJobP95,
             Convert.ToInt64(depth.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(depth.GetValue(1), CultureInfo.InvariantCulture),
             Convert.ToInt64(depth.GetValue(2), CultureInfo.InvariantCulture), Convert.ToInt64(depth.GetValue(3), CultureInfo.InvariantCulture)],
            perJob.Values.Sum(j => j.Counts.Sum()),
            null);
    }

    /// <summary>A duration in seconds as whole milliseconds (0 for none), as the statistics fingerprints compare them.</summary>
    public static long Milliseconds(double seconds) => double.IsNaN(seconds) ? 0 : (long)Math.Round(seconds * 1000);

    private async Task ExplainFirstAsync(string sql, List<(string, object?)> parameters, CancellationToken cancellationToken)
    {
        if (Plans is not null)
        {
            Plans.Add(await engine.ExplainAsync(connection, sql, parameters, cancellationToken));
        }
    }

    /// <summary>Nearest rank: the smallest value that at least <paramref name="share"/> of the values do not exceed.</summary>
    private static double Percentile(IReadOnlyList<double> sorted, double share) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Escape(string text) => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    // "column IN (@name0, @name1, ...)", adding the values as parameters.
    private static string In(string column, string name, object[] values, List<(string, object?)> parameters)
    {
        var names = values.Select((value, i) =>
        {
            var parameter = name + i.ToString(CultureInfo.InvariantCulture);
            parameters.Add((parameter, value));
            return "@" + parameter;
        });
        return $"{column} IN ({string.Join(", ", names)})";
    }

    // Reads every column of every row (as a client materialising them would); keeps the ids (column 0) of a page.
    private async Task<ReferenceResult> ReadAsync(string sql, List<(string, object?)> parameters, int orderColumn, bool keepIds, CancellationToken cancellationToken)
    {
        await ExplainFirstAsync(sql, parameters, cancellationToken);
        await using var command = Sql.Create(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new object[reader.FieldCount];
        var ids = new List<long>();
        var rows = 0L;
        ReferencePosition? last = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            reader.GetValues(values);
            rows++;
            var id = Convert.ToInt64(values[0], CultureInfo.InvariantCulture);
            if (keepIds)
            {
                ids.Add(id);
            }

            last = new ReferencePosition(values[orderColumn], id);
        }

        return new ReferenceResult(ids, rows, last);
    }
}
