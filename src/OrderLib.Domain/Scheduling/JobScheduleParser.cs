using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace OrderLib;

/// <summary>
/// Reads a job's schedule text. Two forms are accepted:
/// <list type="bullet">
/// <item>Cron, 5 fields (minute hour day month weekday) or 6 (with seconds first), or a Cronos macro such as <c>@hourly</c> or
/// <c>@daily</c>, as Cronos reads them, optionally preceded by a
/// time zone: <c>TZ=Europe/Paris 0 3 * * *</c> (IANA or Windows id; UTC when absent). Daylight-saving gaps and overlaps follow Cronos.</item>
/// <item>An interval: <c>every 15m</c>, <c>every 1h30m</c>, <c>every 2d</c> (units d, h, m, s) or ISO 8601 <c>PT15M</c>, <c>P1DT2H</c>;
/// whole seconds, at least 1 second and at most <see cref="IntervalSchedule.MaxInterval"/> (3,650 days), aligned to the Unix epoch in UTC.</item>
/// </list>
/// A schedule must occur: <see cref="ParseUpcoming"/>, which the services call when a job is created or updated, also
/// refuses one with no occurrence after now (a cron date that never comes, such as February 30).
/// </summary>
public static partial class JobScheduleParser
{
    /// <summary>Parses <paramref name="text"/> into a schedule.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text is neither a valid cron expression nor a valid interval; the message says what is wrong.</exception>
    public static JobSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("every ", StringComparison.OrdinalIgnoreCase))
        {
            return new IntervalSchedule(trimmed, ParseEvery(trimmed));
        }

        if (trimmed.StartsWith('P'))
        {
            return new IntervalSchedule(trimmed, ParseIso8601(trimmed));
        }

        return CronSchedule.Parse(trimmed);
    }

    /// <summary>Parses <paramref name="text"/> like <see cref="Parse"/> and requires an occurrence after <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The text is not a valid schedule, or it has no occurrence after <paramref name="now"/> (for instance <c>0 0 30 2 *</c>, February 30).</exception>
    public static JobSchedule ParseUpcoming(string text, DateTimeOffset now)
    {
        var schedule = Parse(text);
        if (schedule.NextAfter(now) is null)
        {
            throw Invalid(schedule.Text, $"it has no occurrence after {now.ToString("O", CultureInfo.InvariantCulture)} (a date that never comes, such as February 30?)");
        }

        return schedule;
    }

    private static TimeSpan ParseEvery(string text)
    {
        var match = EveryPattern().Match(text);
        if (!match.Success)
        {
            throw Invalid(text, "an interval reads like 'every 15m', 'every 1h30m' or 'every 2d' (units d, h, m, s)");
        }

        // Each part has at most 9 digits, so its seconds fit a long; the sum is checked against the longest interval as it grows.
        var seconds = 0L;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var number = long.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            seconds += number * char.ToLowerInvariant(part.Value[^1]) switch
            {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                _ => 1,
            };
            if (seconds > (long)IntervalSchedule.MaxInterval.TotalSeconds)
            {
                throw IntervalSchedule.TooLong(text);
            }
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static TimeSpan ParseIso8601(string text)
    {
        var datePart = text.Split('T')[0];
        if (datePart.Contains('Y', StringComparison.OrdinalIgnoreCase) || datePart.Contains('M', StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(text, "an ISO 8601 interval reads like 'PT15M' or 'P1DT2H' (no years or months: their length varies; use cron)");
        }

        try
        {
            return System.Xml.XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw Invalid(text, "an ISO 8601 interval reads like 'PT15M' or 'P1DT2H' (no years or months)");
        }
        catch (OverflowException)
        {
            throw IntervalSchedule.TooLong(text);
        }
    }

    /// <summary>The error for a schedule that cannot be read.</summary>
    internal static OrderLibValidationException Invalid(string text, string why) =>
        new(nameof(JobDefinition.Schedule), $"Schedule '{text}' is not valid: {why}.");

    [GeneratedRegex(@"^every\s+(?<part>\d{1,9}[dhms])+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EveryPattern();
}

/// <summary>A cron schedule (Cronos) in a time zone.</summary>
public sealed record CronSchedule : JobSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo timeZone)
    {
        Text = text;
        _expression = expression;
        TimeZone = timeZone;
    }

    /// <inheritdoc />
    public override string Text { get; }

    /// <summary>The time zone the fields are read in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Parses <c>[TZ=zone] fields</c> with 5 or 6 fields, or a macro such as <c>@daily</c>.</summary>
    /// <exception cref="OrderLibValidationException">The zone is unknown or the expression is invalid.</exception>
    public static CronSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var expressionText = text;
        var zone = TimeZoneInfo.Utc;
        if (text.StartsWith("TZ=", StringComparison.OrdinalIgnoreCase))
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var zoneId = space < 0 ? text[3..] : text[3..space];
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var found))
            {
                throw JobScheduleParser.Invalid(text, $"the time zone '{zoneId}' is unknown");
            }

            zone = found;
            expressionText = space < 0 ? "" : text[(space + 1)..].Trim();
        }

        var fields = expressionText.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var isMacro = expressionText.StartsWith('@') && fields == 1;
        if (!isMacro && fields is not (5 or 6))
        {
            throw JobScheduleParser.Invalid(text, $"a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first), got {fields}; an interval reads like 'every 15m' or 'PT15M'");
        }

        try
        {
            var expression = CronExpression.Parse(expressionText, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return new CronSchedule(text, expression, zone);
        }
        catch (CronFormatException error)
        {
            throw JobScheduleParser.Invalid(text, error.Message.TrimEnd('.'));
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset? NextAfter(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after, TimeZone, inclusive: false)?.ToUniversalTime();
}
