using OrderLib.Ports;

namespace OrderLib;

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
    public static Page<T> ToPage<T>(IReadOnlyList<T> readOneMore, int limit, Func<T, long> cursorOf)
    {
        if (readOneMore.Count <= limit)
        {
            return new Page<T>(readOneMore, null);
        }

        var items = readOneMore.Take(limit).ToList();
        return new Page<T>(items, cursorOf(items[^1]));
    }
}
