namespace OrderLib;

/// <summary>The checks the history filters share, each naming the property (camelCase) it refuses.</summary>
internal static class HistoryRules
{
    public static void RequireKnown(RunStatus status, string field)
    {
        if (!Enum.IsDefined(status))
        {
            throw new OrderLibValidationException(field, $"{(int)status} is not a run status; use Pending, Running, Succeeded, Failed or Cancelled.");
        }
    }

    // An optional text: when set, not empty, well formed and at most max text elements (it is compared as given, not trimmed).
    public static void RequireText(string? value, string field, string what, int max)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length == 0)
        {
            throw new OrderLibValidationException(field, $"{what} must not be empty; leave it unset to match everything.");
        }

        TextRules.RequireWellFormed(value, field, what);
        TextRules.RequireMaxLength(value, max, field, what);
    }

    public static void RequireAtLeast(int? value, int min, string field, string what)
    {
        if (value < min)
        {
            throw new OrderLibValidationException(field, $"{what} must be at least {min}; got {value}.");
        }
    }

    public static void RequireNotNegative(TimeSpan? value, string field, string what)
    {
        if (value < TimeSpan.Zero)
        {
            throw new OrderLibValidationException(field, $"{what} must not be negative; got {value}.");
        }
    }

    // "to" must not come before "from" (equal is allowed: for a range [from, to) it matches nothing, for bounds both inclusive one value).
    public static void RequireOrdered<T>(T? from, T? to, string toField, string what, string fromName)
        where T : struct, IComparable<T>
    {
        if (from is { } f && to is { } t && t.CompareTo(f) < 0)
        {
            throw new OrderLibValidationException(toField, $"{what} ({t}) comes before {fromName} ({f}); ranges go from low to high.");
        }
    }
}
