using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrderLib.Dashboard.Rendering;

/// <summary>How values look on every page: times in UTC with a machine-readable attribute, durations short, statuses as coloured badges.</summary>
internal static class Format
{
    /// <summary>A time in UTC (<c>2026-12-07 10:00:00</c>) in a <c>time</c> element, or a dash.</summary>
    public static Html Time(DateTimeOffset? at) => at is { } time
        ? Html.Of($"<time datetime=\"{time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}\">{time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</time>")
        : Html.Of($"<span class=\"none\">–</span>");

    /// <summary>A duration as people read it: <c>850 ms</c>, <c>12.4 s</c>, <c>3 min 5 s</c>, <c>2 h 10 min</c>, <c>3 d 4 h</c>; a dash for null.</summary>
    public static Html Duration(TimeSpan? duration) => duration is { } span
        ? Html.Of($"<span class=\"duration\">{DurationText(span)}</span>")
        : Html.Of($"<span class=\"none\">–</span>");

    /// <summary>The text of <see cref="Duration"/>.</summary>
    public static string DurationText(TimeSpan span)
    {
        var sign = span < TimeSpan.Zero ? "-" : "";
        span = span.Duration();
        return sign + span switch
        {
            { TotalSeconds: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms"),
            { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s"),
            { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min {span.Seconds} s"),
            { TotalDays: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.Hours} h {span.Minutes} min"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays} d {span.Hours} h"),
        };
    }

    /// <summary>A run status as a badge (<c>status status-failed</c>), or "never run" for null.</summary>
    public static Html Status(RunStatus? status) => status is { } value
        ? Html.Of($"<span class=\"status status-{value.ToString().ToLowerInvariant()}\">{value}</span>")
        : Html.Of($"<span class=\"status status-none\">never run</span>");

    /// <summary>A pipeline run's state as a badge.</summary>
    public static Html State(PipelineRunState state) =>
        Html.Of($"<span class=\"status status-{state.ToString().ToLowerInvariant()}\">{state}</span>");

    /// <summary>A count with thousands separators (<c>1,234,567</c>).</summary>
    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A JSON payload pretty-printed in a <c>pre</c> block (non-ASCII kept as written; the page encodes it), or a dash for none.</summary>
    public static Html Payload(RunPayload? payload) => payload is null
        ? Html.Of($"<span class=\"none\">–</span>")
        : Html.Of($"<pre class=\"payload\">{JsonSerializer.Serialize(payload.ToElement(), IndentedJson)}</pre>");

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
