using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// History searches: the client's runs across jobs, keyset-paged by a timestamp, and the client's jobs with their latest
// run, with their counts. Each is one statement whose WHERE holds a fixed fragment per filter property that is set, so the
// texts (and PostgreSQL's automatically prepared statements) stay few.
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Reads the client's runs through the index on (client id, ordering timestamp, run id), as a range bounded by the
    /// page's position and the filter's range of that timestamp; failed and cancelled runs only (a status filter within
    /// them, an error text) through the partial index of those runs. A job name prefix costs one more round trip: the
    /// ids of the client's jobs it matches are read first (<see cref="ResolvePrefixAsync"/>), then searched as a list of
    /// job ids — job by job when they are few, along the ordering's index otherwise; no job matching, no run is read.
    /// </remarks>
    public async Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var rows = await ConnectAsync(
            async connection =>
            {
                if (await ResolvePrefixAsync(connection, client, filter, cancellationToken) is not { } resolved)
                {
                    return Enumerable.Empty<RunWithJobName>();
                }

                var param = RunSearchParameters(client, resolved, after, limit);
                if (resolved.ErrorContains is not null)
                {
                    // A text many runs carry is met soon in the search's order: a full page from a bounded walk is the page.
                    var walked = (await QueryPageAsync(connection, _searchSql.WalkForText(resolved, orderBy, direction, after is not null), param, cancellationToken)).ToArray();
                    if (walked.Length == limit)
                    {
                        return walked;
                    }
                }

                var driver = await NarrowRangeAsync(connection, resolved, orderBy, param, cancellationToken);
                return await QueryPageAsync(connection, _searchSql.SearchRuns(resolved, orderBy, direction, after is not null, driver), param, cancellationToken);
            },
            cancellationToken);
        return rows.ToArray();
    }

    private Task<IEnumerable<RunWithJobName>> QueryPageAsync(System.Data.Common.DbConnection connection, string sql, object param, CancellationToken cancellationToken) =>
        connection.QueryAsync<RunRow, JobNameRow, RunWithJobName>(
            Command(sql, param, null, cancellationToken),
            (run, job) => new RunWithJobName(run.ToRun(_dialect), job.Name),
            splitOn: "Id");

    // The timestamp whose range the search should read its candidates from, when the filter bounds a timestamp other than
    // the ordering one and that range holds fewer than SearchSql.NarrowRange of the client's runs (one index-only count,
    // capped): its few runs are then read and sorted, instead of walking the ordering's index past every run outside the
    // range — the timestamps of a run move together, so a range of last month's finishes lies a month deep in the
    // enqueue order, which neither planner foresees. Null when no such range is narrow (or none is set).
    private async Task<RunTimestamp?> NarrowRangeAsync(System.Data.Common.DbConnection connection, RunFilter filter, RunTimestamp orderBy, object param, CancellationToken cancellationToken)
    {
        if (SearchSql.OtherRange(filter, orderBy) is not { } range)
        {
            return null;
        }

        var inRange = await connection.ExecuteScalarAsync<long>(Command(SearchSql.CountInRange(filter, range), param, null, cancellationToken));
        return inRange < SearchSql.NarrowRange ? range : null;
    }

    /// <inheritdoc />
    /// <remarks>A job name prefix is resolved to its jobs' ids first, as in <see cref="SearchRunsAsync"/> (two round trips).</remarks>
    public async Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return await ConnectAsync(
            async connection =>
            {
                if (await ResolvePrefixAsync(connection, client, filter, cancellationToken) is not { } resolved)
                {
                    return 0L;
                }

                var param = RunSearchParameters(client, resolved, null, 0);
                return await connection.ExecuteScalarAsync<long>(Command(_searchSql.CountRuns(resolved, orderBy), param, null, cancellationToken));
            },
            cancellationToken);
    }

    // The filter with its job name prefix replaced by the ids of the client's jobs whose name starts with it (within the
    // filter's job ids, when it names some), read in one statement through ux_jobs_client_name; null when no job matches
    // (the search is then empty without reading any run). A list of ids is something both planners can size — PostgreSQL
    // from job_id's statistics, SQLite by its count (SearchSql.FewJobs) — so that the runs of a few jobs are read job by job
    // and those of many along the ordering's index, where a subquery on the names gave PostgreSQL a fixed guess of a few
    // jobs (it then read and sorted the ~112,000 runs of 112 jobs) and SQLite no way to tell. More than MaxPrefixJobs jobs
    // keep the subquery: the list would be long and the walk is what the planners choose for it anyway. The ids are read
    // in a statement of their own, before the search's: a job created between the two is not searched (as one created
    // just after the search).
    private async Task<RunFilter?> ResolvePrefixAsync(System.Data.Common.DbConnection connection, ClientId client, RunFilter filter, CancellationToken cancellationToken)
    {
        if (filter.JobNamePrefix is not { } prefix)
        {
            return filter;
        }

        var param = new { client = client.Value, jobNamePrefix = prefix, jobNamePrefixLength = CodePoints(prefix), limit = SearchSql.MaxPrefixJobs + 1 };
        var ids = (await connection.QueryAsync<long>(Command(SearchSql.PrefixJobs, param, null, cancellationToken))).ToList();
        if (filter.JobIds is { Count: > 0 } named)
        {
            var matching = ids.Count > SearchSql.MaxPrefixJobs ? null : ids.ToHashSet();
            // Every named job can be checked against a complete list; past MaxPrefixJobs the prefix stays in the statement.
            if (matching is null)
            {
                return filter;
            }

            var within = named.Where(id => matching.Contains(id.Value)).Distinct().ToArray();
            return within.Length == 0 ? null : filter with { JobIds = within, JobNamePrefix = null };
        }

        return ids.Count switch
        {
            0 => null,
            > SearchSql.MaxPrefixJobs => filter,
            _ => filter with { JobIds = ids.Select(id => new JobId(id)).ToArray(), JobNamePrefix = null },
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var sql = _searchSql.SearchJobs(filter);
        var param = JobSearchParameters(client, filter, after, limit);
        var rows = await ConnectAsync(
            connection => connection.QueryAsync<JobRow, RunRow?, JobWithLatestRun>(
                Command(sql, param, null, cancellationToken),
                (job, run) => new JobWithLatestRun(job.ToJob(_dialect), run?.ToRun(_dialect)),
                splitOn: "Id"),
            cancellationToken);
        return rows.ToArray();
    }

    /// <inheritdoc />
    public async Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var sql = _searchSql.CountJobs(filter);
        var param = JobSearchParameters(client, filter, null, 0);
        return await ConnectAsync(
            connection => connection.ExecuteScalarAsync<long>(Command(sql, param, null, cancellationToken)),
            cancellationToken);
    }

    // Every parameter a run search's statement may name (Dapper sends only those the text uses). Durations are compared
    // in whole microseconds, the stored precision: at least MinDuration is at least its microseconds rounded up, at most
    // MaxDuration at most its microseconds rounded down.
    private object RunSearchParameters(ClientId client, RunFilter filter, RunPosition? after, int limit) => new
    {
        client = client.Value,
        jobIds = filter.JobIds?.Select(id => id.Value).ToArray(),
        jobName = filter.JobName,
        jobNamePrefix = filter.JobNamePrefix,
        jobNamePrefixLength = CodePoints(filter.JobNamePrefix),
        workerId = filter.WorkerId,
        minAttempt = filter.MinAttempt,
        maxAttempt = filter.MaxAttempt,
        enqueuedFrom = ToDbOrNull(filter.EnqueuedFrom),
        enqueuedTo = ToDbOrNull(filter.EnqueuedTo),
        startedFrom = ToDbOrNull(filter.StartedFrom),
        startedTo = ToDbOrNull(filter.StartedTo),
        finishedFrom = ToDbOrNull(filter.FinishedFrom),
        finishedTo = ToDbOrNull(filter.FinishedTo),
        minDuration = filter.MinDuration is { } min ? (min.Ticks + TimeSpan.TicksPerMicrosecond - 1) / TimeSpan.TicksPerMicrosecond : 0,
        maxDuration = filter.MaxDuration is { } max ? max.Ticks / TimeSpan.TicksPerMicrosecond : 0,
        errorContains = filter.ErrorContains is { } error ? TextRules.FoldAsciiCase(error) : null,
        afterAt = after is { } position ? _dialect.ToDb(position.At) : null,
        afterId = after?.RunId.Value ?? 0L,
        limit,
    };

    private object JobSearchParameters(ClientId client, JobFilter filter, JobId? after, int limit) => new
    {
        client = client.Value,
        nameEquals = filter.NameEquals,
        namePrefix = filter.NamePrefix,
        namePrefixLength = CodePoints(filter.NamePrefix),
        nameContains = filter.NameContains is { } part ? TextRules.FoldAsciiCase(part) : null,
        nextDueFrom = ToDbOrNull(filter.NextDueFrom),
        nextDueTo = ToDbOrNull(filter.NextDueTo),
        minPriority = filter.MinPriority,
        maxPriority = filter.MaxPriority,
        after = after?.Value ?? 0L,
        limit,
    };

    // The length of a name prefix as both databases' substr() counts it: in Unicode code points.
    private static int CodePoints(string? text) => text?.EnumerateRunes().Count() ?? 0;

    /// <summary>The statements of the history searches, built per filter from one fixed fragment per property that is set.</summary>
    private sealed class SearchSql(SqlDialect dialect)
    {
        /// <summary>Fewer runs than this in a range of a timestamp other than the ordering one make it the search's driver.</summary>
        public const int NarrowRange = 10_000;

        // How many runs an error-text search walks in its order before it gathers the candidates instead.
        private const int WalkForTextRuns = 12_000;

        // Runs that can carry an error text (only Failed and Cancelled runs keep one: RunEnding.ErrorOf, the cascades and
        // the rescue), written exactly as the predicate of ix_job_runs_client_unsuccessful so that both planners match it.
        private const string Unsuccessful = "r.status IN ('Failed','Cancelled')";

        // Retries (every attempt after the first), written exactly as the predicate of ix_job_runs_client_retries.
        private const string Retries = "r.attempt > 1";

        // The finished runs, written exactly as the predicate of ix_job_runs_client_enqueued and ix_job_runs_client_started.
        private const string Finished = "r.status IN ('Succeeded','Failed','Cancelled')";

        // The active runs, written exactly as the predicate of ux_job_runs_one_active.
        private const string Active = "r.status IN ('Pending','Running')";

        // How many job ids a run search reads job by job (through ix_job_runs_job) rather than in the order of a timestamp.
        private const int FewJobsCount = 4;

        /// <summary>The most jobs a job name prefix is resolved to (ResolvePrefixAsync): the filter's own limit on job ids.</summary>
        public const int MaxPrefixJobs = RunFilter.MaxJobIds;

        /// <summary>
        /// The ids of the client's jobs whose name starts with @jobNamePrefix, at most @limit of them, read through
        /// ux_jobs_client_name (its client_id range; the names compared as the search compares them).
        /// </summary>
        public static string PrefixJobs => $"SELECT p.id FROM jobs p WHERE p.client_id = @client AND {StartsWith("p.name", "jobNamePrefix")} LIMIT @limit;";

        // The client's runs matching the filter in the order asked, after the position @afterAt, @afterId when there is
        // one. Each part of the runs' life the filter can match (LifeParts: the finished runs, which the history indexes
        // hold, and the few active ones, found through ux_job_runs_one_active) gives its first @limit run ids in that
        // order — for the finished part a range of the index on (client_id, timestamp, id), the row-value comparison
        // included — and the page is the first @limit of their union. An error text to look for, or a narrow range of
        // another timestamp (narrowRange), first gathers the candidates through their own index — the client's failed and
        // cancelled runs, or that range — in a materialized set, which is then sorted: walking the ordering's index would
        // pass every run that does not match (a rare error text: all of them).
        public string SearchRuns(RunFilter filter, RunTimestamp orderBy, SortDirection direction, bool after, RunTimestamp? narrowRange)
        {
            var at = TimestampColumn(orderBy);
            var (order, beyond) = direction == SortDirection.NewestFirst ? ("DESC", "<") : ("ASC", ">");
            var keyset = after ? $"\n      AND ({at}, r.id) {beyond} (@afterAt, @afterId)" : "";
            var candidates = CandidateQuery(filter, narrowRange);
            var (with, from) = candidates is null
                ? ("", "job_runs r")
                // CROSS JOIN: SQLite keeps that join order, reading the candidates and then their runs by id, instead of
                // walking the ordering's index and probing the candidates for every run of the client.
                : ($"WITH candidates AS MATERIALIZED (\n    {candidates})\n", "candidates c CROSS JOIN job_runs r");
            var parts = LifeParts(filter, orderBy).Select(part => $"""
                SELECT * FROM (
                    SELECT r.id FROM {from}
                    WHERE {(candidates is null ? "" : "r.id = c.id AND ")}{RunConditions(filter, orderBy)}
                      AND {part}{keyset}
                    ORDER BY {at} {order}, r.id {order}
                    LIMIT @limit) AS part
                """);
            return $"""
                {with}SELECT {RunColumns("r.")}, j.id AS Id, j.name AS Name
                FROM (
                {string.Join("\nUNION ALL\n", parts)}
                ) AS page JOIN job_runs r ON r.id = page.id JOIN jobs j ON j.id = r.job_id
                ORDER BY {at} {order}, r.id {order}
                LIMIT @limit;
                """;
        }

        // A search for an error text, first tried on the first WalkForTextRuns runs in the search's order that match the
        // rest of the filter (finished runs only: active ones carry no error text), read as one ordered walk of the index
        // and checked for the text: a page it fills is the search's page (a text in 1 % of the runs fills a page of 100
        // after about 10,000 runs); otherwise the caller runs SearchRuns, which gathers the candidates through their own
        // indexes (the failed and cancelled runs; on PostgreSQL the trigram index).
        public string WalkForText(RunFilter filter, RunTimestamp orderBy, SortDirection direction, bool after)
        {
            var at = TimestampColumn(orderBy);
            var (order, beyond) = direction == SortDirection.NewestFirst ? ("DESC", "<") : ("ASC", ">");
            var keyset = after ? $"\n          AND ({at}, r.id) {beyond} (@afterAt, @afterId)" : "";
            return $"""
                SELECT {RunColumns("r.")}, j.id AS Id, j.name AS Name
                FROM (
                    SELECT w.id, w.at FROM (
                        SELECT r.id, r.error, {at} AS at FROM job_runs r
                        WHERE {RunConditions(filter with { ErrorContains = null }, orderBy)}
                          AND {Finished}{keyset}
                        ORDER BY {at} {order}, r.id {order}
                        LIMIT {WalkForTextRuns}) AS w
                    WHERE {dialect.ContainsFoldingAsciiCase("w.error", "@errorContains")}
                    ORDER BY w.at {order}, w.id {order}
                    LIMIT @limit) AS page
                JOIN job_runs r ON r.id = page.id JOIN jobs j ON j.id = r.job_id
                ORDER BY {at} {order}, r.id {order}
                LIMIT @limit;
                """;
        }

        // The parts of the runs' life the filter can match, each as the status condition that selects it, written exactly
        // as the predicates of the indexes that hold it: the finished runs (the history indexes on enqueue and start time
        // hold only them, so claims and completions of active runs add no entries to them), and the active runs, at most
        // one per job (ux_job_runs_one_active). Active runs have no finish time, duration or error text, and only the
        // statuses Pending and Running.
        private static IEnumerable<string> LifeParts(RunFilter filter, RunTimestamp orderBy)
        {
            var statuses = filter.Statuses is { Count: > 0 } set ? set : null;
            if (statuses is null || statuses.Any(status => status.IsTerminal()))
            {
                yield return Finished;
            }

            var activeCanMatch = (statuses is null || statuses.Any(status => status.IsActive()))
                && orderBy != RunTimestamp.Finished
                && (filter.FinishedFrom ?? filter.FinishedTo) is null
                && (filter.MinDuration ?? filter.MaxDuration) is null
                && filter.ErrorContains is null;
            if (activeCanMatch)
            {
                yield return Active;
            }
        }

        // The range of a timestamp other than the ordering one that the filter bounds (enqueued, started, finished: the
        // first such), or null; none when the runs of a few named jobs are read job by job anyway.
        public static RunTimestamp? OtherRange(RunFilter filter, RunTimestamp orderBy)
        {
            if (FewJobs(filter) || filter.ErrorContains is not null)
            {
                return null;
            }

            return Ranges(filter).Where(range => range.Timestamp != orderBy && (range.From ?? range.To) is not null).Select(range => (RunTimestamp?)range.Timestamp).FirstOrDefault();
        }

        // How many of the client's finished runs lie in the filter's range of the timestamp, counting no further than
        // NarrowRange (an index-only read of that timestamp's index; the active runs, one per job at most, are not counted).
        public static string CountInRange(RunFilter filter, RunTimestamp range) => $"""
            SELECT COUNT(*) FROM (
                SELECT 1 FROM job_runs r WHERE r.client_id = @client AND {Finished} AND {Join(RangeConditions(filter, range, "r."))}
                LIMIT {NarrowRange}) AS in_range;
            """;

        // The candidates' query for SearchRuns (their run ids): the error text among the failed and cancelled runs and/or
        // the narrow range, with the filter's other ranges, per part of the runs' life the filter can match (each through
        // its own indexes); null when the search walks the ordering's index instead.
        private string? CandidateQuery(RunFilter filter, RunTimestamp? narrowRange)
        {
            var textFirst = filter.ErrorContains is not null && dialect.GathersTextMatchesFirst;
            if (!textFirst && narrowRange is null)
            {
                return null;
            }

            var where = new List<string> { "r.client_id = @client" };
            var table = "job_runs r";
            if (textFirst)
            {
                where.Add(Unsuccessful);
                where.Add(dialect.ContainsFoldingAsciiCase("r.error", "@errorContains"));
                table += dialect.ThroughIndex("ix_job_runs_client_unsuccessful");
            }

            foreach (var range in Ranges(filter))
            {
                where.AddRange(RangeConditions(filter, range.Timestamp, "r."));
            }

            return string.Join(
                "\n    UNION ALL\n    ",
                // The candidates have the narrow range's timestamp; an error text alone, like a finish time, excludes active runs.
                LifeParts(filter, narrowRange ?? RunTimestamp.Finished).Select(part => $"SELECT r.id FROM {table} WHERE {Join(where)} AND {part}"));
        }

        // The filter's three time ranges, each with its bounds.
        private static (RunTimestamp Timestamp, DateTimeOffset? From, DateTimeOffset? To)[] Ranges(RunFilter filter) =>
        [
            (RunTimestamp.Enqueued, filter.EnqueuedFrom, filter.EnqueuedTo),
            (RunTimestamp.Started, filter.StartedFrom, filter.StartedTo),
            (RunTimestamp.Finished, filter.FinishedFrom, filter.FinishedTo),
        ];

        // The conditions of the filter's range of one timestamp on the runs aliased by prefix (parameters @<name>From / To).
        private static List<string> RangeConditions(RunFilter filter, RunTimestamp timestamp, string prefix)
        {
            var where = new List<string>();
            var range = Ranges(filter).Single(r => r.Timestamp == timestamp);
            var name = timestamp.ToString().ToLowerInvariant();
            AddRange(where, prefix + TimestampName(timestamp), range.From, range.To, name);
            return where;
        }

        // The runs of one job or a few named jobs are found through ix_job_runs_job and sorted.
        private static bool FewJobs(RunFilter filter) => filter.JobName is not null || filter.JobIds is { Count: > 0 and <= FewJobsCount };

        // The sum of one count per part of the runs' life the filter can match, each through that part's indexes.
        public string CountRuns(RunFilter filter, RunTimestamp orderBy) =>
            "SELECT " + string.Join(" + ", LifeParts(filter, orderBy).Select(part => $"""
                (SELECT COUNT(*) FROM job_runs r
                 WHERE {RunConditions(filter, orderBy)}
                   AND {part})
                """)) + ";";

        // The client's jobs matching the filter after @after in id order, each with its latest run read from the run
        // itself (jobs.latest_status is exact only about being 'Succeeded').
        public string SearchJobs(JobFilter filter) => $"""
            SELECT {JobColumns("j.")}, {RunColumns("r.")}
            FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id
            WHERE {JobConditions(filter)}
              AND j.id > @after
            ORDER BY j.id
            LIMIT @limit;
            """;

        public string CountJobs(JobFilter filter) => $"""
            SELECT COUNT(*)
            FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id
            WHERE {JobConditions(filter)};
            """;

        private static string TimestampColumn(RunTimestamp timestamp) => "r." + TimestampName(timestamp);

        private static string TimestampName(RunTimestamp timestamp) => timestamp switch
        {
            RunTimestamp.Started => "started_at",
            RunTimestamp.Finished => "finished_at",
            _ => "enqueued_at",
        };

        // Status literals in enum order (a fixed text per set), as an IN list the planners compare with partial indexes.
        private static string StatusIn(string column, IEnumerable<RunStatus> statuses) =>
            $"{column} IN ({string.Join(", ", statuses.Order().Select(status => $"'{StatusText.Of(status)}'"))})";

        // A name starting with the text parameter @{parameter}, whose length in code points is @{parameter}Length:
        // ordinal on both databases (deterministic equality of the first characters).
        private static string StartsWith(string column, string parameter) => $"substr({column}, 1, @{parameter}Length) = @{parameter}";

        // A half-open range: @{parameter}From included, @{parameter}To excluded, each when its bound is set.
        private static void AddRange(List<string> where, string column, object? from, object? to, string parameter) =>
            AddBounds(where, column, (from, ">=", $"@{parameter}From"), (to, "<", $"@{parameter}To"));

        // Inclusive bounds: @min{parameter} and @max{parameter}, each when its bound is set.
        private static void AddInclusive(List<string> where, string column, object? min, object? max, string parameter) =>
            AddBounds(where, column, (min, ">=", $"@min{parameter}"), (max, "<=", $"@max{parameter}"));

        private static void AddBounds(List<string> where, string column, params (object? Bound, string Operator, string Parameter)[] bounds) =>
            where.AddRange(bounds.Where(b => b.Bound is not null).Select(b => $"{column} {b.Operator} {b.Parameter}"));

        private static string Join(List<string> where) => string.Join("\n  AND ", where);

        private string RunConditions(RunFilter filter, RunTimestamp orderBy)
        {
            // The runs of one job or a few named jobs are found through ix_job_runs_job and sorted: SQLite, without
            // statistics, would rather walk all the client's runs in order through the client's timestamp index than sort.
            var where = new List<string> { (FewJobs(filter) ? dialect.NotThroughIndex("r.client_id") : "r.client_id") + " = @client" };
            if (orderBy != RunTimestamp.Enqueued)
            {
                // Only the runs having the timestamp are listed; also the predicate of its partial index.
                where.Add($"{TimestampColumn(orderBy)} IS NOT NULL");
            }

            var statuses = filter.Statuses is { Count: > 0 } set ? set : null;
            var onlyUnsuccessful = statuses?.All(status => status is RunStatus.Failed or RunStatus.Cancelled) == true;
            if (onlyUnsuccessful || filter.ErrorContains is not null)
            {
                where.Add(Unsuccessful);
            }

            if (statuses is not null && !(onlyUnsuccessful && statuses.Count == 2))
            {
                where.Add(StatusIn("r.status", statuses));
            }

            if (filter.JobIds is { Count: > 0 })
            {
                where.Add(dialect.InList("r.job_id", "@jobIds"));
            }

            if (filter.JobName is not null)
            {
                // The job first, through ux_jobs_client_name, then its runs through ix_job_runs_job.
                where.Add("r.job_id IN (SELECT n.id FROM jobs n WHERE n.client_id = @client AND n.name = @jobName)");
            }

            if (filter.JobNamePrefix is not null)
            {
                // Only when the prefix matches more than MaxPrefixJobs jobs (ResolvePrefixAsync turns fewer into JobIds):
                // the jobs first (the client's, through ux_jobs_client_name), a set the planner hashes while walking the
                // runs in order, rather than a job look-up per run walked.
                where.Add($"r.job_id IN (SELECT p.id FROM jobs p WHERE p.client_id = @client AND {StartsWith("p.name", "jobNamePrefix")})");
            }

            if (filter.WorkerId is not null)
            {
                where.Add("r.worker_id = @workerId");
            }

            if (filter.MinAttempt > 1)
            {
                // Retries only: the predicate of ix_job_runs_client_retries, written as it is so that both planners match it.
                where.Add(Retries);
            }

            AddInclusive(where, "r.attempt", filter.MinAttempt, filter.MaxAttempt, "Attempt");

            foreach (var range in Ranges(filter))
            {
                where.AddRange(RangeConditions(filter, range.Timestamp, "r."));
            }

            AddInclusive(where, dialect.MicrosecondsBetween("r.started_at", "r.finished_at"), filter.MinDuration, filter.MaxDuration, "Duration");

            if (filter.ErrorContains is not null)
            {
                where.Add(dialect.ContainsFoldingAsciiCase("r.error", "@errorContains"));
            }

            return Join(where);
        }

        private string JobConditions(JobFilter filter)
        {
            var where = new List<string> { "j.client_id = @client" };
            if (filter.NameEquals is not null)
            {
                where.Add("j.name = @nameEquals");
            }

            if (filter.NamePrefix is not null)
            {
                where.Add(StartsWith("j.name", "namePrefix"));
            }

            if (filter.NameContains is not null)
            {
                where.Add(dialect.ContainsFoldingAsciiCase("j.name", "@nameContains"));
            }

            if (filter.HasSchedule is { } hasSchedule)
            {
                where.Add(hasSchedule ? "j.schedule IS NOT NULL" : "j.schedule IS NULL");
            }

            AddRange(where, "j.next_due_at", filter.NextDueFrom, filter.NextDueTo, "nextDue");
            if (filter.LatestStatuses is { Count: > 0 } statuses)
            {
                where.Add(StatusIn("r.status", statuses));
            }

            if (filter.HasRuns is { } hasRuns)
            {
                where.Add(hasRuns ? "j.latest_run_id IS NOT NULL" : "j.latest_run_id IS NULL");
            }

            if (filter.HasDependencies is { } hasDependencies)
            {
                // Through the primary key (job_id, depends_on_job_id).
                where.Add($"{(hasDependencies ? "" : "NOT ")}EXISTS (SELECT 1 FROM job_dependencies d WHERE d.job_id = j.id)");
            }

            if (filter.HasDependents is { } hasDependents)
            {
                // Through ix_job_dependencies_depends_on.
                where.Add($"{(hasDependents ? "" : "NOT ")}EXISTS (SELECT 1 FROM job_dependencies d WHERE d.depends_on_job_id = j.id)");
            }

            if (filter.Paused is { } paused)
            {
                where.Add(paused ? "j.paused_at IS NOT NULL" : "j.paused_at IS NULL");
            }

            AddInclusive(where, "j.priority", filter.MinPriority, filter.MaxPriority, "Priority");

            return Join(where);
        }
    }
}
