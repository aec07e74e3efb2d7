using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OrderLib;

/// <summary>One page of a keyset-paged listing.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items, in listing order.</param>
/// <param name="Next">The cursor of the next page (pass it back to the same listing), or null when this is the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, PageCursor? Next)
{
    /// <summary>How many items the whole listing holds, when the search asked for it (<c>IncludeTotal</c>); otherwise null.</summary>
    public long? Total { get; init; }
}

/// <summary>
/// Where the next page of a listing starts. Opaque: keep it, pass it back to the listing that returned it, or carry it
/// as text (<see cref="ToString"/> and <see cref="Parse"/>, safe in URLs). A listing refuses another listing's cursor.
/// </summary>
public readonly record struct PageCursor
{
    // Each listing's payloads start with their kind: "k1:" (id listings), "rs1:" (run searches), "js1:" (job searches),
    // "pr1:" (pipeline run listings).
    private static readonly string[] Kinds = ["k1:", "rs1:", "js1:", PipelineRunSearch.CursorKind];
    private const string IdKind = "k1:";

    private readonly string? _payload;

    private PageCursor(string payload) => _payload = payload;

    /// <summary>Reads a cursor from the text <see cref="ToString"/> gave.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text is not a cursor.</exception>
    public static PageCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decoded = "";
        if (text.Length <= 400 && Base64Url.IsValid(text))
        {
            try
            {
                decoded = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(text));
            }
            catch (DecoderFallbackException)
            {
                decoded = "";
            }
        }

        var cursor = new PageCursor(decoded);
        if (!Kinds.Any(kind => decoded.StartsWith(kind, StringComparison.Ordinal))
            || (decoded.StartsWith(IdKind, StringComparison.Ordinal) && cursor.IdKey is null))
        {
            throw new OrderLibValidationException("cursor", $"'{text}' is not a page cursor: pass back the text a listing returned.");
        }

        return cursor;
    }

    /// <summary>The cursor as URL-safe text, for <see cref="Parse"/>.</summary>
    public override string ToString() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Payload));

    /// <summary>A cursor after the row whose key (a job or run id) is <paramref name="key"/>.</summary>
    internal static PageCursor After(long key) => OfId(IdKind, key);

    /// <summary>A cursor of a listing in id order with a kind of its own: <paramref name="kind"/>, then <paramref name="id"/>.</summary>
    internal static PageCursor OfId(string kind, long id) => new(kind + id.ToString(CultureInfo.InvariantCulture));

    /// <summary>A cursor of a listing's own making: <paramref name="payload"/> starts with its kind.</summary>
    internal static PageCursor Of(string payload) => new(payload);

    /// <summary>What the cursor carries, its kind first; a default cursor is the id listing's start.</summary>
    internal string Payload => _payload ?? IdKind + "0";

    /// <summary>The key of the last row of the previous page, for the listings in id order.</summary>
    /// <exception cref="OrderLibValidationException">The cursor comes from another kind of listing.</exception>
    internal long Key => IdOf(IdKind);

    // The id of an id listing's cursor; null for another kind, or a payload that is not one.
    private long? IdKey => IdIn(IdKind);

    /// <summary>The id a cursor of <see cref="OfId"/> with <paramref name="kind"/> carries.</summary>
    /// <exception cref="OrderLibValidationException">The cursor comes from another kind of listing.</exception>
    internal long IdOf(string kind) => IdIn(kind) ?? throw ForeignCursor();

    private long? IdIn(string kind) =>
        Payload.StartsWith(kind, StringComparison.Ordinal)
        && long.TryParse(Payload.AsSpan(kind.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    /// <summary>The error for a cursor that another kind of listing returned.</summary>
    internal static OrderLibValidationException ForeignCursor() =>
        new("cursor", "This cursor comes from another listing (or another ordering of this one): pass back the cursor this listing returned.");
}

/// <summary>Checks page sizes and turns "one more than asked" reads into pages with a cursor.</summary>
internal static class Paging
{
    public const int MaxLimit = 1000;

    public static int CheckLimit(int limit)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw new OrderLibValidationException(nameof(limit), $"A page holds 1 to {MaxLimit} items; got {limit}.");
        }

        return limit;
    }

    /// <summary>Builds a page from up to limit + 1 items read; the extra one only says that more exist.</summary>
    public static Page<T> ToPage<T>(IReadOnlyList<T> readOneMore, int limit, Func<T, long> keyOf) =>
        ToPage(readOneMore, limit, item => PageCursor.After(keyOf(item)));

    /// <summary>Builds a page from up to limit + 1 items read, the next page's cursor made by <paramref name="cursorAfter"/> from the page's last item.</summary>
    public static Page<T> ToPage<T>(IReadOnlyList<T> readOneMore, int limit, Func<T, PageCursor> cursorAfter)
    {
        if (readOneMore.Count <= limit)
        {
            return new Page<T>(readOneMore, null);
        }

        var items = readOneMore.Take(limit).ToList();
        return new Page<T>(items, cursorAfter(items[^1]));
    }
}
