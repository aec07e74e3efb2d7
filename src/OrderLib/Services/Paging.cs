using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OrderLib;

/// <summary>One page of a keyset-paged listing.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items, in listing order.</param>
/// <param name="Next">The cursor of the next page (pass it back to the same listing), or null when this is the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, PageCursor? Next);

/// <summary>
/// Where the next page of a listing starts. Opaque: keep it, pass it back to the listing that returned it, or carry it
/// as text (<see cref="ToString"/> and <see cref="Parse"/>, safe in URLs).
/// </summary>
public readonly record struct PageCursor
{
    private const string Prefix = "k1:";

    private readonly long _key;

    private PageCursor(long key) => _key = key;

    /// <summary>Reads a cursor from the text <see cref="ToString"/> gave.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text is not a cursor.</exception>
    public static PageCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decoded = Base64Url.IsValid(text) ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)) : "";
        if (!decoded.StartsWith(Prefix, StringComparison.Ordinal)
            || !long.TryParse(decoded.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var key))
        {
            throw new OrderLibValidationException("cursor", $"'{text}' is not a page cursor: pass back the text a listing returned.");
        }

        return new PageCursor(key);
    }

    /// <summary>The cursor as URL-safe text, for <see cref="Parse"/>.</summary>
    public override string ToString() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + _key.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A cursor after the row whose key (a job or run id) is <paramref name="key"/>.</summary>
    internal static PageCursor After(long key) => new(key);

    /// <summary>The key of the last row of the previous page.</summary>
    internal long Key => _key;
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
    public static Page<T> ToPage<T>(IReadOnlyList<T> readOneMore, int limit, Func<T, long> keyOf)
    {
        if (readOneMore.Count <= limit)
        {
            return new Page<T>(readOneMore, null);
        }

        var items = readOneMore.Take(limit).ToList();
        return new Page<T>(items, PageCursor.After(keyOf(items[^1])));
    }
}
