namespace OrderLib.Tests.History;

/// <summary>
/// Binding a pipeline run listing from text fields (a URL's query, a command line) and back: every field read in its
/// format, a listing written and read again unchanged, and every unreadable value or unknown key refused naming its key.
/// </summary>
public class PipelineRunSearchFieldsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public void Every_pipeline_run_search_field_is_read_in_its_format()
    {
        var search = PipelineRunSearch.FromFields(Fields(
            ("states", "failed, Running"),
            ("rootJobId", "42"),
            ("triggerKind", "Schedule"),
            ("label", "nightly & more "),
            ("createdFrom", "2026-12-06T10:00:00+01:00"),
            ("createdTo", "2026-12-07"),
            ("limit", "25")));

        var filter = search.Filter;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(filter.States, Is.EquivalentTo(new[] { PipelineRunState.Failed, PipelineRunState.Running }));
            Assert.That(filter.RootJobId, Is.EqualTo(new JobId(42)));
            Assert.That(filter.TriggerKind, Is.EqualTo(PipelineTriggerKind.Schedule));
            Assert.That(filter.Label, Is.EqualTo("nightly & more "), "a label is taken as given");
            Assert.That(filter.CreatedFrom, Is.EqualTo(T0));
            Assert.That(filter.CreatedTo, Is.EqualTo(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(search.Limit, Is.EqualTo(25));
            Assert.That(search.Cursor, Is.Null);
        }
    }

    [Test]
    public void A_pipeline_run_search_written_as_fields_reads_back_the_same()
    {
        var search = new PipelineRunSearch
        {
            Filter = new PipelineRunFilter
            {
                States = new HashSet<PipelineRunState> { PipelineRunState.Cancelled, PipelineRunState.Running },
                RootJobId = new JobId(7),
                TriggerKind = PipelineTriggerKind.Manual,
                Label = "a=b&c",
                CreatedFrom = T0.AddTicks(10),
                CreatedTo = T0.AddDays(1),
            },
            Limit = 5,
            Cursor = PipelineRunSearch.CursorAfter(Summary(new PipelineRunId(99))),
        };

        var fields = search.ToFields();
        var again = PipelineRunSearch.FromFields(Nullable(fields));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.ToFields(), Is.EqualTo(fields));
            Assert.That(again.Filter with { States = null }, Is.EqualTo(search.Filter with { States = null }));
            Assert.That(again.Filter.States, Is.EquivalentTo(search.Filter.States!));
            Assert.That(again.Before, Is.EqualTo(new PipelineRunId(99)), "the cursor survives the round trip");
            Assert.That(fields.Select(f => f.Key), Is.EqualTo(new[] { "states", "rootJobId", "triggerKind", "label", "createdFrom", "createdTo", "limit", "cursor" }));
            Assert.That(fields[0].Value, Is.EqualTo("running,cancelled"), "states in their declared order, lower case");
            Assert.That(fields[2].Value, Is.EqualTo("manual"));
            Assert.That(new PipelineRunSearch().ToFields(), Is.Empty, "the defaults write nothing");
            Assert.That(PipelineRunSearch.FromFields([new("label", " "), new("states", null)]).ToFields(), Is.Empty, "blank values count as not given");
        }
    }

    private static IEnumerable<TestCaseData> BadFields()
    {
        yield return Case("an unknown key", "colour", ("colour", "red"), "not a search field");
        yield return Case("a run search key", "statuses", ("statuses", "failed"), "states");
        yield return Case("a paging key pipeline listings do not have", "includeTotal", ("includeTotal", "true"), "not a search field");
        yield return Case("a state nobody has", "states", ("states", "failed,done"), "'done'");
        yield return Case("a state by number", "states", ("states", "1"), "'1'");
        yield return Case("a root job that is not a number", "rootJobId", ("rootJobId", "load"), "job id");
        yield return Case("a trigger kind nobody has", "triggerKind", ("triggerKind", "webhook"), "manual, schedule");
        yield return Case("a time in words", "createdFrom", ("createdFrom", "yesterday"), "ISO 8601");
        yield return Case("a range the wrong way round", "createdTo", ("createdFrom", "2026-12-06"), ("createdTo", "2026-12-05"), "comes before");
        yield return Case("a limit too large", "limit", ("limit", "1001"), "1 to 1000");
        yield return Case("a cursor of another listing", "cursor", ("cursor", new RunSearch().CursorAfter(new RunWithJobName(Run(), "job")).ToString()), "cursor");
        yield return Case("a state given twice", "states", ("states", "failed"), ("states", "running"), "twice");

        static TestCaseData Case(string name, string key, params object[] fieldsThenMessagePart) =>
            new TestCaseData(fieldsThenMessagePart[..^1].Cast<(string, string)>().ToArray(), key, fieldsThenMessagePart[^1]).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadFields))]
    public void An_unreadable_or_invalid_field_is_refused_naming_its_key((string Key, string Value)[] fields, string expectedKey, string messagePart)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => PipelineRunSearch.FromFields(Fields(fields)));
        Assert.That(error!.ParamName, Is.EqualTo(expectedKey));
        Assert.That(error.Message, Does.Contain(messagePart));
    }

    private static PipelineRunSummary Summary(PipelineRunId id) =>
        new(id, new ClientId("acme"), [], PipelineTriggerKind.Manual, null, false, T0, null, PipelineRunState.Running, PipelineRunCounts.None);

    private static JobRun Run() => JobRun.CreatePending(new RunId(3), new JobId(1), 1, T0);

    private static KeyValuePair<string, string?>[] Fields(params (string Key, string Value)[] fields) =>
        fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)).ToArray();

    private static IEnumerable<KeyValuePair<string, string?>> Nullable(IEnumerable<KeyValuePair<string, string>> fields) =>
        fields.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value));
}
