
namespace OrderLib.Tests.Domain;

public class TextRulesTests
{
    private const string Emoji = "\U0001F600"; // one text element, one code point, two UTF-16 code units

    [Test]
    public void Names_are_counted_in_text_elements()
    {
        Assert.That(new JobDefinition(string.Concat(Enumerable.Repeat(Emoji, 150))).Name, Has.Length.EqualTo(300));
        Assert.That(new JobDefinition(string.Concat(Enumerable.Repeat(Emoji, 200))).Name, Has.Length.EqualTo(400));
        var error = Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition(string.Concat(Enumerable.Repeat(Emoji, 201))));
        Assert.That(error!.ParamName, Is.EqualTo(nameof(JobDefinition.Name)));
        Assert.That(error.Message, Does.Contain("at most 200 characters (text elements); got 201."));
    }

    [Test]
    public void Text_elements_of_several_code_points_must_also_fit_the_column()
    {
        var flags = string.Concat(Enumerable.Repeat("\U0001F1EB\U0001F1F7", 150)); // 150 flags, 300 code points
        var error = Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition(flags));
        Assert.That(error!.Message, Does.Contain("at most 200 Unicode code points").And.Contain("got 150 text elements of 300 code points"));
    }

    // Built in code: attribute arguments are stored as UTF-8, which has no lone surrogates.
    // Display names spelled out, so filters and reports never carry the bad text itself.
    private static readonly TestCaseData[] BadTexts =
    [
        new TestCaseData("a\0b", "NUL (U+0000)").SetArgDisplayNames("NUL inside"),
        new TestCaseData("a\uD800b", "lone UTF-16 surrogate").SetArgDisplayNames("lone high surrogate inside"),
        new TestCaseData("a\uDC00", "lone UTF-16 surrogate").SetArgDisplayNames("lone low surrogate at the end"),
        new TestCaseData("\uD83D", "lone UTF-16 surrogate").SetArgDisplayNames("lone high surrogate alone"),
        new TestCaseData("\uDE00\uD83D", "lone UTF-16 surrogate").SetArgDisplayNames("pair in the wrong order"),
    ];

    [TestCaseSource(nameof(BadTexts))]
    public void Nul_and_lone_surrogates_are_refused_everywhere(string bad, string rule)
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new JobDefinition(bad), Refused(nameof(JobDefinition.Name), rule));
            Assert.That(() => new JobDefinition("a") { Description = bad }, Refused(nameof(JobDefinition.Description), rule));
            Assert.That(() => new JobDefinition("a") { Schedule = bad }, Refused(nameof(JobDefinition.Schedule), rule));
            Assert.That(() => new ClientId(bad), Refused("clientId", rule));
            Assert.That(() => new WorkerId(bad), Refused("workerId", rule));
            Assert.That(() => TextRules.CapReport(bad, "errorText", "An error text"), Refused("errorText", rule));
        });
    }

    [Test]
    public void Surrogate_pairs_are_accepted()
    {
        Assert.That(TextRules.RequireWellFormed("x" + Emoji + Emoji + "y", "p", "A text"), Is.EqualTo("x" + Emoji + Emoji + "y"));
    }

    [Test]
    public void Short_reports_are_kept_as_they_are()
    {
        var text = new string('e', TextRules.MaxReportLength);
        Assert.That(TextRules.CapReport(text, "errorText", "An error text"), Is.SameAs(text));
        Assert.That(TextRules.CapReport(null, "errorText", "An error text"), Is.Null);
    }

    [Test]
    public void Long_reports_keep_their_head_and_mark_the_cut_within_the_cap()
    {
        var text = string.Concat(Enumerable.Repeat("ab" + Emoji, 5000)); // 15,000 text elements
        var capped = TextRules.CapReport(text, "errorText", "An error text");
        Assert.That(capped, Does.EndWith("… [truncated: 15,000 characters in all]"));
        Assert.That(TextRules.TextElementCount(capped), Is.EqualTo(TextRules.MaxReportLength));
        Assert.That(text, Does.StartWith(capped[..capped.IndexOf('…', StringComparison.Ordinal)]));
        Assert.That(() => TextRules.RequireWellFormed(capped, "errorText", "An error text"), Throws.Nothing, "no pair is cut in half");
    }

    private static NUnit.Framework.Constraints.ContainsConstraint Refused(string paramName, string rule) =>
        Throws.TypeOf<OrderLibValidationException>()
            .With.Property(nameof(OrderLibValidationException.ParamName)).EqualTo(paramName)
            .And.Message.Contains(rule);
}
