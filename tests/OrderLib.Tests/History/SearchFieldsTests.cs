namespace OrderLib.Tests.History;

/// <summary>
/// Binding run and job searches from text fields (what a command line or a URL's query gives) and back: every field
/// read in its documented format, a search written and read again unchanged, and every unreadable value refused with
/// an <see cref="OrderLibValidationException"/> naming its key.
/// </summary>
public class SearchFieldsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public void Every_run_search_field_is_read_in_its_format()
    {
        var search = RunSearch.FromFields(Fields(
            ("statuses", "failed, Cancelled"),
            ("jobIds", "3,1,2"),
            ("jobName", "load"),
            ("jobNamePrefix", "ex "),
            ("workerId", "worker-7"),
            ("minAttempt", "2"),
            ("maxAttempt", "4"),
            ("enqueuedFrom", "2026-12-06T10:00:00+01:00"),
            ("enqueuedTo", "2026-12-06T10:00:00"),
            ("startedFrom", "2026-12-06T09:00:00Z"),
            ("startedTo", "2026-12-07"),
            ("finishedFrom", "2026-12-06T09:00:00.1234567Z"),
            ("finishedTo", "2026-12-08T00:00:00Z"),
            ("minDuration", "90.5"),
            ("maxDuration", "01:30:00"),
            ("errorContains", "Time Out"),
            ("orderBy", "Finished"),
            ("direction", "oldest"),
            ("limit", "25"),
            ("includeTotal", "yes")));

        var filter = search.Filter;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(filter.Statuses, Is.EquivalentTo(new[] { RunStatus.Failed, RunStatus.Cancelled }));
            Assert.That(filter.JobIds, Is.EqualTo(new[] { new JobId(3), new JobId(1), new JobId(2) }));
            Assert.That((filter.JobName, filter.JobNamePrefix, filter.WorkerId, filter.ErrorContains), Is.EqualTo(("load", "ex ", "worker-7", "Time Out")), "texts are taken as given");
            Assert.That((filter.MinAttempt, filter.MaxAttempt), Is.EqualTo((2, 4)));
            Assert.That(filter.EnqueuedFrom, Is.EqualTo(T0), "an offset is honoured");
            Assert.That(filter.EnqueuedTo, Is.EqualTo(T0.AddHours(1)), "a time without an offset is UTC");
            Assert.That(filter.StartedFrom, Is.EqualTo(T0));
            Assert.That(filter.StartedTo, Is.EqualTo(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(filter.FinishedFrom, Is.EqualTo(T0.AddTicks(1_234_567)));
            Assert.That(filter.MinDuration, Is.EqualTo(TimeSpan.FromSeconds(90.5)));
            Assert.That(filter.MaxDuration, Is.EqualTo(TimeSpan.FromMinutes(90)));
            Assert.That((search.OrderBy, search.Direction, search.Limit, search.IncludeTotal), Is.EqualTo((RunTimestamp.Finished, SortDirection.OldestFirst, 25, true)));
            Assert.That(search.Cursor, Is.Null);
        }
    }

    [Test]
    public void A_run_search_written_as_fields_reads_back_the_same()
    {
        var search = new RunSearch
        {
            Filter = new RunFilter
            {
                Statuses = new HashSet<RunStatus> { RunStatus.Succeeded, RunStatus.Pending },
                JobIds = [new JobId(9), new JobId(4)],
                JobNamePrefix = "nightly-",
                MinAttempt = 2,
                EnqueuedFrom = T0.AddTicks(10),
                FinishedTo = T0.AddDays(1),
                MinDuration = TimeSpan.FromMilliseconds(1500.25),
                ErrorContains = "a=b&c",
            },
            OrderBy = RunTimestamp.Started,
            Direction = SortDirection.OldestFirst,
            Limit = 7,
            IncludeTotal = true,
        };

        var fields = search.ToFields();
        var again = RunSearch.FromFields(Nullable(fields));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.ToFields(), Is.EqualTo(fields));
            Assert.That(again.Filter.MinDuration, Is.EqualTo(search.Filter.MinDuration));
            Assert.That(again.Filter.EnqueuedFrom, Is.EqualTo(search.Filter.EnqueuedFrom));
            Assert.That(fields.Select(f => f.Key), Is.EqualTo(new[]
            {
                "statuses", "jobIds", "jobNamePrefix", "minAttempt", "enqueuedFrom", "finishedTo", "minDuration", "errorContains",
                "orderBy", "direction", "limit", "includeTotal",
            }));
            Assert.That(fields.Single(f => f.Key == "statuses").Value, Is.EqualTo("pending,succeeded"), "statuses in their life-cycle order, lower case");
            Assert.That(new RunSearch().ToFields(), Is.Empty, "the defaults write nothing");
        }
    }

    [Test]
    public void A_job_search_written_as_fields_reads_back_the_same()
    {
        var search = new JobSearch
        {
            Filter = new JobFilter
            {
                NameEquals = "load",
                NamePrefix = "lo",
                NameContains = "OA",
                HasSchedule = false,
                NextDueFrom = T0,
                NextDueTo = T0.AddHours(1),
                LatestStatuses = new HashSet<RunStatus> { RunStatus.Failed },
                HasRuns = true,
                HasDependencies = true,
                HasDependents = false,
                Paused = true,
                MinPriority = -3,
                MaxPriority = 10,
            },
            Limit = 1000,
            IncludeTotal = true,
        };

        var fields = search.ToFields();
        var again = JobSearch.FromFields(Nullable(fields));

        Assert.That(again.ToFields(), Is.EqualTo(fields));
        Assert.That(fields.Single(f => f.Key == "paused").Value, Is.EqualTo("true"));
        Assert.That(again.Filter with { LatestStatuses = search.Filter.LatestStatuses }, Is.EqualTo(search.Filter));
        Assert.That(again.Filter.LatestStatuses, Is.EquivalentTo(search.Filter.LatestStatuses!));
    }

    private static IEnumerable<TestCaseData> BadRunFields()
    {
        yield return Case("an unknown key", "colour", ("colour", "red"), "not a search field");
        yield return Case("a status nobody has", "statuses", ("statuses", "failed,done"), "'done'");
        yield return Case("a status by number", "statuses", ("statuses", "3"), "'3'");
        yield return Case("a job id that is not a number", "jobIds", ("jobIds", "1,two"), "'two'");
        yield return Case("a negative job id", "jobIds", ("jobIds", "-1"), "'-1'");
        yield return Case("an attempt in words", "minAttempt", ("minAttempt", "two"), "'two'");
        yield return Case("an attempt below 1", "minAttempt", ("minAttempt", "0"), "at least 1");
        yield return Case("a time in words", "enqueuedFrom", ("enqueuedFrom", "yesterday"), "ISO 8601");
        yield return Case("a range the wrong way round", "finishedTo", ("finishedFrom", "2026-12-06"), ("finishedTo", "2026-12-05"), "comes before");
        yield return Case("a duration in words", "maxDuration", ("maxDuration", "a while"), "'a while'");
        yield return Case("a negative duration", "minDuration", ("minDuration", "-00:00:05"), "negative");
        yield return Case("an ordering by number", "orderBy", ("orderBy", "1"), "enqueued, started, finished");
        yield return Case("an ordering nobody has", "orderBy", ("orderBy", "priority"), "'priority'");
        yield return Case("a direction nobody has", "direction", ("direction", "sideways"), "newest or oldest");
        yield return Case("a limit in words", "limit", ("limit", "all"), "whole number");
        yield return Case("a limit too large", "limit", ("limit", "1001"), "1 to 1000");
        yield return Case("a yes-no in words", "includeTotal", ("includeTotal", "maybe"), "true or false");
        yield return Case("a cursor that is not one", "cursor", ("cursor", "not-a-cursor"), "not a page cursor");

        static TestCaseData Case(string name, string key, params object[] fieldsThenMessagePart) =>
            new TestCaseData(fieldsThenMessagePart[..^1].Cast<(string, string)>().ToArray(), key, fieldsThenMessagePart[^1]).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadRunFields))]
    public void An_unreadable_or_invalid_run_field_is_refused_naming_its_key((string Key, string Value)[] fields, string expectedKey, string messagePart)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => RunSearch.FromFields(Fields(fields)));
        Assert.That(error!.ParamName, Is.EqualTo(expectedKey));
        Assert.That(error.Message, Does.Contain(messagePart));
    }

    [Test]
    public void A_field_given_twice_is_refused_and_blank_values_count_as_not_given()
    {
        var twice = Assert.Throws<OrderLibValidationException>(() => RunSearch.FromFields(Fields(("workerId", "a"), ("workerId", "b"))));
        Assert.That(twice!.ParamName, Is.EqualTo("workerId"));

        var blank = RunSearch.FromFields([new("workerId", "  "), new("statuses", null), new("limit", "")]);
        Assert.That(blank.ToFields(), Is.Empty);
    }

    [Test]
    public void A_job_search_refuses_run_search_keys()
    {
        var error = Assert.Throws<OrderLibValidationException>(() => JobSearch.FromFields(Fields(("statuses", "failed"))));
        Assert.That(error!.ParamName, Is.EqualTo("statuses"));
        Assert.That(error.Message, Does.Contain("latestStatuses"), "the message lists the fields a job search knows");
    }

    private static KeyValuePair<string, string?>[] Fields(params (string Key, string Value)[] fields) =>
        fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)).ToArray();

    private static IEnumerable<KeyValuePair<string, string?>> Nullable(IEnumerable<KeyValuePair<string, string>> fields) =>
        fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value));
}
