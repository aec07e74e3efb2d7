using System.Globalization;

namespace OrderLib;

/// <summary>
/// Reads the text fields a search is bound from: each key known and given once, each value parsed or refused with an
/// <see cref="OrderLibValidationException"/> naming the key. An empty or blank value counts as not given.
/// </summary>
internal sealed class SearchFields
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public SearchFields(IEnumerable<KeyValuePair<string, string?>> fields, IReadOnlyCollection<string> knownKeys)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var (key, value) in fields)
        {
            if (!knownKeys.Contains(key))
            {
                throw new OrderLibValidationException(key ?? "", $"'{key}' is not a search field; known fields: {string.Join(", ", knownKeys)}.");
            }

            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            if (!_values.TryAdd(key, value))
            {
                throw new OrderLibValidationException(key, $"'{key}' is given twice; give each search field once (lists are comma-separated).");
            }
        }
    }

    // Texts are taken as given (not trimmed): a prefix or a part to look for may end in a space.
    public string? Text(string key) => _values.GetValueOrDefault(key);

    public int? Int(string key) =>
        Read<int>(key, text => int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null, "a whole number");

    public bool? Bool(string key) => Read<bool>(
        key,
        text => text.Trim().ToLowerInvariant() switch
        {
            "true" or "yes" or "1" => true,
            "false" or "no" or "0" => false,
            _ => null,
        },
        "true or false");

    public DateTimeOffset? Time(string key) => Read<DateTimeOffset>(
        key,
        text => DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : null,
        "an ISO 8601 time such as 2026-12-06T10:00:00Z (UTC when it has no offset)");

    public TimeSpan? Duration(string key) => Read<TimeSpan>(
        key,
        text =>
        {
            text = text.Trim();
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds <= TimeSpan.MaxValue.TotalSeconds)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var span) ? span : null;
        },
        "a duration in seconds (90.5) or as [d.]hh:mm:ss");

    public T? Enum<T>(string key)
        where T : struct, System.Enum =>
        Read(key, ParseEnum<T>, "one of " + string.Join(", ", System.Enum.GetNames<T>().Select(name => name.ToLowerInvariant())));

    public SortDirection? Direction(string key) => Read<SortDirection>(
        key,
        text => text.Trim().ToLowerInvariant() switch
        {
            "newest" or "newestfirst" or "desc" => SortDirection.NewestFirst,
            "oldest" or "oldestfirst" or "asc" => SortDirection.OldestFirst,
            _ => null,
        },
        "newest or oldest");

    public PageCursor? Cursor(string key) => _values.TryGetValue(key, out var text) ? PageCursor.Parse(text.Trim()) : null;

    public IReadOnlySet<RunStatus>? Statuses(string key) => EnumSet<RunStatus>(key, "run statuses");

    // A comma-separated set of enum members by name, any case; "what" names them in the refusal (the members follow).
    public IReadOnlySet<T>? EnumSet<T>(string key, string what)
        where T : struct, System.Enum =>
        List(key, ParseEnum<T>, $"{what} ({string.Join(", ", System.Enum.GetNames<T>().Select(name => name.ToLowerInvariant()))})")?.ToHashSet();

    public JobId? Job(string key) =>
        Read(key, text => ParseJobId(text.Trim()), "a job id (a whole number)");

    public IReadOnlyList<JobId>? JobIds(string key) =>
        List(key, ParseJobId, "job ids (whole numbers)");

    private static JobId? ParseJobId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? new JobId(id) : null;

    private List<T>? List<T>(string key, Func<string, T?> parse, string what)
        where T : struct
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return null;
        }

        var items = new List<T>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            items.Add(parse(item) ?? throw new OrderLibValidationException(key, $"'{item}' in {key} is not one of the {what}."));
        }

        return items;
    }

    // An enum member by name, any case; numbers are refused.
    private static T? ParseEnum<T>(string text)
        where T : struct, System.Enum
    {
        text = text.Trim();
        return text.Length > 0 && !char.IsAsciiDigit(text[0]) && System.Enum.TryParse<T>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value)
            ? value
            : null;
    }

    private T? Read<T>(string key, Func<string, T?> parse, string expected)
        where T : struct
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return null;
        }

        return parse(text) ?? throw new OrderLibValidationException(key, $"{key} must be {expected}; got '{text}'.");
    }
}

/// <summary>Writes search fields in the formats <see cref="SearchFields"/> reads, skipping unset values.</summary>
internal sealed class SearchFieldWriter
{
    public List<KeyValuePair<string, string>> Fields { get; } = [];

    public void Text(string key, string? value)
    {
        if (value is not null)
        {
            Fields.Add(new(key, value));
        }
    }

    public void Int(string key, int? value) => Text(key, value?.ToString(CultureInfo.InvariantCulture));

    public void Bool(string key, bool? value) => Text(key, value is { } b ? (b ? "true" : "false") : null);

    public void Time(string key, DateTimeOffset? value) => Text(key, value?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));

    public void Duration(string key, TimeSpan? value) => Text(key, value?.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));

    // Enum members in their declared order, lower case, comma-separated.
    public void EnumSet<T>(string key, IReadOnlySet<T>? value)
        where T : struct, System.Enum =>
        Text(key, value is { Count: > 0 } ? string.Join(",", value.Order().Select(member => member.ToString().ToLowerInvariant())) : null);

    public void Job(string key, JobId? value) => Text(key, value?.ToString());

    public void JobIds(string key, IReadOnlyList<JobId>? value) =>
        Text(key, value is { Count: > 0 } ? string.Join(",", value.Select(id => id.ToString())) : null);
}
