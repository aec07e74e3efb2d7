using System.Globalization;
using System.Text;

namespace OrderLib;

/// <summary>
/// The rules every text OrderLib accepts follows, the same whichever store holds it: no NUL (U+0000) and no lone
/// UTF-16 surrogate anywhere; lengths counted in text elements (what a person sees as one character, see
/// <see cref="StringInfo"/>); and error texts and reasons capped at <see cref="MaxReportLength"/> text elements.
/// </summary>
public static class TextRules
{
    /// <summary>
    /// The most text elements an error text or a cancel reason is stored with, the truncation mark included: 8,000. A longer
    /// one keeps its head and ends in <c>… [truncated: N characters in all]</c>.
    /// </summary>
    public const int MaxReportLength = 8000;

    /// <summary>Refuses NUL (U+0000) and lone UTF-16 surrogates in <paramref name="value"/>.</summary>
    /// <param name="value">The text.</param>
    /// <param name="paramName">The input named in the error.</param>
    /// <param name="what">The input as the message calls it, e.g. "A job name".</param>
    /// <returns><paramref name="value"/>, unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text holds a NUL or a lone surrogate; the message says which and where.</exception>
    public static string RequireWellFormed(string value, string paramName, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.AsSpan();
        var nul = text.IndexOf('\0');
        if (nul >= 0)
        {
            throw new OrderLibValidationException(paramName, $"{what} must not contain NUL (U+0000); found one at index {nul}.");
        }

        var at = 0;
        while (text[at..].IndexOfAnyInRange('\uD800', '\uDFFF') is var next and >= 0)
        {
            at += next;
            if (char.IsHighSurrogate(text[at]) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]))
            {
                at += 2;
                continue;
            }

            throw new OrderLibValidationException(
                paramName,
                $"{what} must not contain a lone UTF-16 surrogate (a half of a surrogate pair without the other); found U+{(int)text[at]:X4} at index {at}.");
        }

        return value;
    }

    /// <summary>
    /// <paramref name="value"/> with every NUL and lone surrogate replaced by U+FFFD, for text OrderLib did not get from a
    /// caller but must store anyway (an exception's message, reported as a failed run's error text).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static string Clean(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0 && !value.Contains('\0', StringComparison.Ordinal))
        {
            return value;
        }

        var clean = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                clean.Append(c).Append(value[++i]);
            }
            else
            {
                clean.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return clean.ToString();
    }

    /// <summary>The length of <paramref name="value"/> in text elements (grapheme clusters): what a person counts as characters.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static int TextElementCount(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new StringInfo(value).LengthInTextElements;
    }

    /// <summary>
    /// Refuses <paramref name="value"/> when it has more than <paramref name="max"/> text elements, or, when the text has
    /// elements of several code points (accents as combining marks, flags, joined emoji), more than <paramref name="max"/>
    /// Unicode code points: the width of the database column that holds it.
    /// </summary>
    /// <param name="value">The well-formed text (see <see cref="RequireWellFormed"/>).</param>
    /// <param name="max">The most text elements (and code points) accepted.</param>
    /// <param name="paramName">The input named in the error.</param>
    /// <param name="what">The input as the message calls it, e.g. "A job name".</param>
    /// <returns><paramref name="value"/>, unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text is too long; the message gives the limit and the length, in text elements.</exception>
    public static string RequireMaxLength(string value, int max, string paramName, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= max)
        {
            return value; // a text element is at least one UTF-16 code unit
        }

        var elements = TextElementCount(value);
        if (elements > max)
        {
            throw new OrderLibValidationException(paramName, $"{what} must be at most {max} characters (text elements); got {elements}.");
        }

        var codePoints = value.EnumerateRunes().Count();
        if (codePoints > max)
        {
            throw new OrderLibValidationException(
                paramName,
                $"{what} must be at most {max} characters (text elements) and at most {max} Unicode code points (what the stores hold); got {elements} text elements of {codePoints} code points.");
        }

        return value;
    }

    /// <summary>
    /// Checks an error text or a reason with <see cref="RequireWellFormed"/> and caps it at <see cref="MaxReportLength"/>
    /// text elements: a longer one keeps as much of its head as fits before the mark
    /// <c>… [truncated: N characters in all]</c> (N in text elements, with thousands separators).
    /// </summary>
    /// <param name="value">The text, or null.</param>
    /// <param name="paramName">The input named in the error.</param>
    /// <param name="what">The input as the message calls it, e.g. "An error text".</param>
    /// <returns>The text to store: <paramref name="value"/> itself when short enough, null for null.</returns>
    /// <exception cref="OrderLibValidationException">The text holds a NUL or a lone surrogate.</exception>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    public static string? CapReport(string? value, string paramName, string what)
    {
        if (value is null)
        {
            return null;
        }

        RequireWellFormed(value, paramName, what);
        if (value.Length <= MaxReportLength)
        {
            return value;
        }

        var elements = TextElementCount(value);
        if (elements <= MaxReportLength)
        {
            return value;
        }

        var mark = string.Create(CultureInfo.InvariantCulture, $"… [truncated: {elements:N0} characters in all]");
        var keep = MaxReportLength - TextElementCount(mark);
        var head = new StringBuilder(capacity: keep * 2 + mark.Length);
        var rest = value.AsSpan();
        for (var kept = 0; kept < keep; kept++)
        {
            var length = StringInfo.GetNextTextElementLength(rest);
            head.Append(rest[..length]);
            rest = rest[length..];
        }

        return head.Append(mark).ToString();
    }

    /// <summary>
    /// <paramref name="value"/> with the ASCII letters A–Z turned into a–z and nothing else changed: the case-insensitivity
    /// every store applies to text searches (<see cref="RunFilter.ErrorContains"/>, <see cref="JobFilter.NameContains"/>),
    /// the same on SQLite, whose <c>lower()</c> folds ASCII only, as on PostgreSQL and in memory.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static string FoldAsciiCase(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return string.Create(value.Length, value, static (folded, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                folded[i] = text[i] is >= 'A' and <= 'Z' ? (char)(text[i] + ('a' - 'A')) : text[i];
            }
        });
    }
}
