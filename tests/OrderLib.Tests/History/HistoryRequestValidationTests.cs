namespace OrderLib.Tests.History;

/// <summary>
/// Every rule of the history's requests (run and job filters, statistics queries, prune requests): a broken rule is
/// refused with an <see cref="OrderLibValidationException"/> naming the field as the text binding calls it.
/// </summary>
public class HistoryRequestValidationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset Midnight = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static readonly string TooLongName = new('n', JobDefinition.MaxNameLength + 1);

    private static IEnumerable<TestCaseData> BadRunFilters()
    {
        yield return Case("an unknown status", "statuses", new RunFilter { Statuses = new HashSet<RunStatus> { RunStatus.Failed, (RunStatus)42 } }, "42");
        yield return Case("too many job ids", "jobIds", new RunFilter { JobIds = Enumerable.Range(1, RunFilter.MaxJobIds + 1).Select(i => new JobId(i)).ToList() }, "1001");
        yield return Case("an empty job name", "jobName", new RunFilter { JobName = "" }, "empty");
        yield return Case("a job name with NUL", "jobName", new RunFilter { JobName = "a\0b" }, "NUL");
        yield return Case("a job name prefix too long", "jobNamePrefix", new RunFilter { JobNamePrefix = TooLongName }, "200");
        yield return Case("a lone surrogate in a worker id", "workerId", new RunFilter { WorkerId = "w\uD800" }, "surrogate");
        yield return Case("an error text too long", "errorContains", new RunFilter { ErrorContains = new string('e', RunFilter.MaxErrorContainsLength + 1) }, "200");
        yield return Case("attempt 0 as the lowest", "minAttempt", new RunFilter { MinAttempt = 0 }, "at least 1");
        yield return Case("attempt 0 as the highest", "maxAttempt", new RunFilter { MaxAttempt = 0 }, "at least 1");
        yield return Case("attempts the wrong way round", "maxAttempt", new RunFilter { MinAttempt = 3, MaxAttempt = 2 }, "comes before");
        yield return Case("an enqueued range the wrong way round", "enqueuedTo", new RunFilter { EnqueuedFrom = T0, EnqueuedTo = T0.AddSeconds(-1) }, "comes before");
        yield return Case("a started range the wrong way round", "startedTo", new RunFilter { StartedFrom = T0, StartedTo = T0.AddDays(-1) }, "comes before");
        yield return Case("a finished range the wrong way round", "finishedTo", new RunFilter { FinishedFrom = T0, FinishedTo = T0.AddTicks(-10) }, "comes before");
        yield return Case("a negative duration", "minDuration", new RunFilter { MinDuration = TimeSpan.FromSeconds(-1) }, "negative");
        yield return Case("a negative longest duration", "maxDuration", new RunFilter { MaxDuration = TimeSpan.FromSeconds(-1) }, "negative");
        yield return Case("durations the wrong way round", "maxDuration", new RunFilter { MinDuration = TimeSpan.FromMinutes(2), MaxDuration = TimeSpan.FromMinutes(1) }, "comes before");

        static TestCaseData Case(string name, string field, RunFilter filter, string messagePart) =>
            new TestCaseData(filter, field, messagePart).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadRunFilters))]
    public void A_bad_run_filter_is_refused_naming_its_field(RunFilter filter, string field, string messagePart)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => filter.Validate());
        Assert.That(error!.ParamName, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(messagePart));
    }

    [Test]
    public void Run_filters_that_keep_the_rules_pass_including_empty_ranges_and_the_presets()
    {
        var full = new RunFilter
        {
            Statuses = new HashSet<RunStatus> { RunStatus.Pending, RunStatus.Running, RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled },
            JobIds = Enumerable.Range(1, RunFilter.MaxJobIds).Select(i => new JobId(i)).ToList(),
            JobName = new string('n', JobDefinition.MaxNameLength),
            JobNamePrefix = " leading space counts",
            WorkerId = "worker-1",
            MinAttempt = 2,
            MaxAttempt = 2,
            EnqueuedFrom = T0,
            EnqueuedTo = T0,
            StartedFrom = T0,
            FinishedTo = T0,
            MinDuration = TimeSpan.Zero,
            MaxDuration = TimeSpan.Zero,
            ErrorContains = "timeout",
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(full.Validate(), Is.SameAs(full));
            Assert.That(new RunFilter().Validate(), Is.EqualTo(new RunFilter()));
            Assert.That(RunFilter.FirstAttempts.Validate().MaxAttempt, Is.EqualTo(1));
            Assert.That(RunFilter.Retries.Validate().MinAttempt, Is.EqualTo(2));
        }
    }

    private static IEnumerable<TestCaseData> BadJobFilters()
    {
        yield return Case("an empty name", "nameEquals", new JobFilter { NameEquals = "" });
        yield return Case("a name prefix with a lone surrogate", "namePrefix", new JobFilter { NamePrefix = "\uDC00x" });
        yield return Case("a name part too long", "nameContains", new JobFilter { NameContains = TooLongName });
        yield return Case("a next-due range the wrong way round", "nextDueTo", new JobFilter { NextDueFrom = T0, NextDueTo = T0.AddMinutes(-1) });
        yield return Case("priorities the wrong way round", "maxPriority", new JobFilter { MinPriority = 5, MaxPriority = -5 });
        yield return Case("an unknown latest status", "latestStatuses", new JobFilter { LatestStatuses = new HashSet<RunStatus> { (RunStatus)(-1) } });
        yield return Case("a latest status of jobs that never ran", "latestStatuses", new JobFilter { HasRuns = false, LatestStatuses = new HashSet<RunStatus> { RunStatus.Failed } });

        static TestCaseData Case(string name, string field, JobFilter filter) => new TestCaseData(filter, field).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadJobFilters))]
    public void A_bad_job_filter_is_refused_naming_its_field(JobFilter filter, string field)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => filter.Validate());
        Assert.That(error!.ParamName, Is.EqualTo(field));
    }

    [Test]
    public void Job_filters_that_keep_the_rules_pass()
    {
        var filter = new JobFilter
        {
            NameEquals = "extract",
            NamePrefix = "ex",
            NameContains = "TRACT",
            HasSchedule = true,
            NextDueFrom = T0,
            NextDueTo = T0,
            LatestStatuses = new HashSet<RunStatus> { RunStatus.Failed },
            HasRuns = true,
            HasDependencies = false,
            HasDependents = true,
            MinPriority = -1,
            MaxPriority = -1,
        };
        Assert.That(filter.Validate(), Is.SameAs(filter));
        Assert.That(new JobFilter { HasRuns = false, LatestStatuses = new HashSet<RunStatus>() }.Validate().HasRuns, Is.False, "an empty status set is no status filter");
    }

    private static IEnumerable<TestCaseData> BadStatisticsQueries()
    {
        yield return Case("an empty window", "to", new StatisticsQuery(T0, T0));
        yield return Case("a window the wrong way round", "to", new StatisticsQuery(T0, T0.AddHours(-1)));
        yield return Case("an unknown bucket size", "bucket", new StatisticsQuery(T0, T0.AddHours(1)) { Bucket = (TimelineBucket)7 });
        yield return Case("more minute buckets than drawn", "bucket", new StatisticsQuery(T0, T0.AddMinutes(StatisticsQuery.MaxBuckets + 1)) { Bucket = TimelineBucket.Minute });
        yield return Case("too many job ids", "jobIds", new StatisticsQuery(T0, T0.AddDays(1)) { JobIds = Enumerable.Range(1, RunFilter.MaxJobIds + 1).Select(i => new JobId(i)).ToList() });

        static TestCaseData Case(string name, string field, StatisticsQuery query) => new TestCaseData(query, field).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadStatisticsQueries))]
    public void A_bad_statistics_query_is_refused_naming_its_field(StatisticsQuery query, string field)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => query.Validate());
        Assert.That(error!.ParamName, Is.EqualTo(field));
    }

    [Test]
    public void A_statistics_query_may_draw_exactly_the_most_buckets()
    {
        var query = new StatisticsQuery(T0, T0.AddMinutes(StatisticsQuery.MaxBuckets)) { Bucket = TimelineBucket.Minute };
        Assert.That(query.Validate(), Is.SameAs(query));
        Assert.That(Timeline.BucketStarts(query), Has.Count.EqualTo(StatisticsQuery.MaxBuckets));
    }

    private static IEnumerable<TestCaseData> BadPruneRequests()
    {
        yield return Case("a negative keep count", "keepLatestPerJob", new PruneRequest(T0, -1));
        yield return Case("a batch of none", "batchSize", new PruneRequest(T0) { BatchSize = 0 });
        yield return Case("a batch too large", "batchSize", new PruneRequest(T0) { BatchSize = PruneRequest.MaxBatchSize + 1 });
        yield return Case("a negative pause", "pauseBetweenBatches", new PruneRequest(T0) { PauseBetweenBatches = TimeSpan.FromMilliseconds(-1) });

        static TestCaseData Case(string name, string field, PruneRequest request) => new TestCaseData(request, field).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadPruneRequests))]
    public void A_bad_prune_request_is_refused_naming_its_field(PruneRequest request, string field)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => request.Validate());
        Assert.That(error!.ParamName, Is.EqualTo(field));
    }

    [Test]
    public void Timeline_buckets_start_on_whole_utc_units_and_cover_the_window()
    {
        var at = new DateTimeOffset(2026, 12, 6, 11, 30, 15, TimeSpan.FromHours(1)); // 10:30:15 UTC
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Timeline.BucketStart(at, TimelineBucket.Minute), Is.EqualTo(new DateTimeOffset(2026, 12, 6, 10, 30, 0, TimeSpan.Zero)));
            Assert.That(Timeline.BucketStart(at, TimelineBucket.Hour), Is.EqualTo(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero)));
            Assert.That(Timeline.BucketStart(at, TimelineBucket.Day), Is.EqualTo(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(
                Timeline.BucketStarts(new StatisticsQuery(at, T0.AddHours(2))),
                Is.EqualTo(new[] { T0, T0.AddHours(1) }),
                "10:30:15 to 12:00 (exclusive) touches the 10:00 and 11:00 hours");
            Assert.That(Timeline.BucketStarts(new StatisticsQuery(at, T0.AddHours(2).AddTicks(10))), Has.Count.EqualTo(3), "one microsecond of the 12:00 hour counts");
            Assert.That(Timeline.BucketCount(new StatisticsQuery(T0, T0.AddDays(30)) { Bucket = TimelineBucket.Day }), Is.EqualTo(31), "30 days from 10:00 touch 31 days");
            Assert.That(Timeline.BucketCount(new StatisticsQuery(Midnight, Midnight.AddDays(30)) { Bucket = TimelineBucket.Day }), Is.EqualTo(30));
        }
    }
}
