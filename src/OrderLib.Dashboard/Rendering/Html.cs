using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace OrderLib.Dashboard.Rendering;

/// <summary>
/// A piece of HTML that is safe to write as it is. The only ways to make one are <see cref="Of"/>, whose template
/// encodes every interpolated value that is not itself <see cref="Html"/>, and <see cref="Join"/>: a value shown on a
/// page is never written unencoded.
/// </summary>
internal readonly struct Html
{
    private readonly string? _markup;

    private Html(string markup) => _markup = markup;

    /// <summary>Nothing.</summary>
    public static Html Empty => default;

    /// <summary>The markup.</summary>
    public override string ToString() => _markup ?? "";

    /// <summary>Builds HTML from a template: its literal parts are markup, every interpolated value is encoded (an <see cref="Html"/> value is inserted as it is; null writes nothing).</summary>
    public static Html Of(ref HtmlTemplate template) => new(template.ToStringAndClear());

    /// <summary>The fragments one after another.</summary>
    public static Html Join(IEnumerable<Html> fragments) => new(string.Concat(fragments.Select(fragment => fragment._markup)));

    /// <summary>The fragment when <paramref name="condition"/> holds, else nothing.</summary>
    public static Html If(bool condition, Html fragment) => condition ? fragment : Empty;

    /// <summary>Markup written in this assembly as a constant (icons, fixed fragments); never call it with data.</summary>
    internal static Html Trusted(string constantMarkup) => new(constantMarkup);
}

/// <summary>The template of <see cref="Html.Of"/>: literal parts are appended as markup, values HTML-encoded.</summary>
[InterpolatedStringHandler]
internal ref struct HtmlTemplate
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;
    private readonly StringBuilder _builder;

    /// <summary>Starts a template of about <paramref name="literalLength"/> characters.</summary>
    public HtmlTemplate(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + formattedCount * 16);

    /// <summary>Appends a literal part as markup.</summary>
    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    /// <summary>Appends a fragment as it is.</summary>
    public readonly void AppendFormatted(Html fragment) => _builder.Append(fragment.ToString());

    /// <summary>Appends a value encoded: text, numbers (invariant culture), anything else by its ToString.</summary>
    public readonly void AppendFormatted<T>(T value)
    {
        var text = value switch
        {
            null => null,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        if (!string.IsNullOrEmpty(text))
        {
            _builder.Append(Encoder.Encode(text));
        }
    }

    /// <summary>Appends a value formatted with <paramref name="format"/> (invariant culture), encoded.</summary>
    public readonly void AppendFormatted<T>(T value, string? format)
        where T : IFormattable => AppendFormatted(value.ToString(format, CultureInfo.InvariantCulture));

    /// <summary>The HTML written.</summary>
    public readonly string ToStringAndClear()
    {
        var markup = _builder.ToString();
        _builder.Clear();
        return markup;
    }
}
