
namespace OrderLib.Tests.Scheduling;

public class JobScheduleParserTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 28, 10, 7, 30, TimeSpan.Zero);

    [TestCase("every 15m", 15 * 60)]
    [TestCase("every 1h30m", 90 * 60)]
    [TestCase("EVERY 2d", 2 * 86400)]
    [TestCase("every 10s", 10)]
    [TestCase("PT15M", 15 * 60)]
    [TestCase("P1DT2H", 26 * 3600)]
    public void Intervals_are_read_in_both_syntaxes(string text, int seconds)
    {
        var schedule = JobScheduleParser.Parse(text);
        Assert.That(schedule, Is.TypeOf<IntervalSchedule>());
        Assert.That(((IntervalSchedule)schedule).Interval, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [Test]
    public void Intervals_are_aligned_to_the_epoch_and_strictly_after()
    {
        var every15 = JobScheduleParser.Parse("every 15m");
        Assert.That(every15.NextAfter(At), Is.EqualTo(new DateTimeOffset(2026, 3, 28, 10, 15, 0, TimeSpan.Zero)));
        Assert.That(every15.NextAfter(new DateTimeOffset(2026, 3, 28, 10, 15, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2026, 3, 28, 10, 30, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Five_field_cron_is_read_in_utc()
    {
        var schedule = JobScheduleParser.Parse("0 3 * * *");
        Assert.That(schedule.NextAfter(At), Is.EqualTo(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Six_field_cron_has_seconds()
    {
        var schedule = JobScheduleParser.Parse("*/20 * * * * *");
        Assert.That(schedule.NextAfter(At), Is.EqualTo(At.AddSeconds(10)));
    }

    [TestCase("@hourly", "2026-03-28T11:00:00Z")]
    [TestCase("@daily", "2026-03-29T00:00:00Z")]
    [TestCase("TZ=Europe/Paris @daily", "2026-03-28T23:00:00Z")]
    public void Cron_macros_are_read(string text, string expected)
    {
        Assert.That(JobScheduleParser.Parse(text).NextAfter(At), Is.EqualTo(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Cron_with_a_time_zone_follows_its_daylight_saving_change()
    {
        var schedule = JobScheduleParser.Parse("TZ=Europe/Paris 0 3 * * *");
        // 2026-03-29 is the spring-forward day in Paris: 03:00 local is 01:00 UTC (CEST, +2); the day before it was 02:00 UTC.
        Assert.That(schedule.NextAfter(At), Is.EqualTo(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero)));
        Assert.That(schedule.NextAfter(new DateTimeOffset(2026, 3, 27, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2026, 3, 27, 2, 0, 0, TimeSpan.Zero)));
    }

    [TestCase("every 15", "every 15m")]
    [TestCase("every 0s", "at least 1 second")]
    [TestCase("PT0.5S", "whole number of seconds")]
    [TestCase("P1Y", "ISO 8601")]
    [TestCase("* * *", "5 fields")]
    [TestCase("61 * * * *", "not valid")]
    [TestCase("@often", "not valid")]
    [TestCase("TZ=Mars/Olympus 0 3 * * *", "time zone 'Mars/Olympus' is unknown")]
    [TestCase("every 100000000d", "at most 3650 days")]
    [TestCase("every 999999999d999999999h", "at most 3650 days")]
    [TestCase("every 9999999d", "at most 3650 days")]
    [TestCase("every 3651d", "at most 3650 days")]
    [TestCase("P9999999D", "at most 3650 days")]
    [TestCase("P99999999999999D", "not valid")]
    public void Invalid_schedules_say_what_is_wrong(string text, string why)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => JobScheduleParser.Parse(text));
        Assert.That(error!.Message, Does.Contain(text).And.Contain(why));
        Assert.That(error.ParamName, Is.EqualTo(nameof(JobDefinition.Schedule)));
    }

    [Test]
    public void The_longest_interval_is_accepted_and_its_occurrences_computed()
    {
        var schedule = JobScheduleParser.Parse("every 3650d");
        Assert.That(((IntervalSchedule)schedule).Interval, Is.EqualTo(IntervalSchedule.MaxInterval));
        Assert.That(schedule.NextAfter(At), Is.EqualTo(DateTimeOffset.UnixEpoch.AddDays(6 * 3650)));
        Assert.That(schedule.NextAfter(DateTimeOffset.MaxValue.AddDays(-1)), Is.Null, "no occurrence past the last date .NET holds");
    }

    [TestCase("0 0 30 2 *")]
    [TestCase("0 0 31 4 *")]
    [TestCase("TZ=Europe/Paris 0 0 30 2 *")]
    public void Cron_that_never_occurs_is_refused_by_ParseUpcoming(string text)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => JobScheduleParser.ParseUpcoming(text, At));
        Assert.That(error!.Message, Does.Contain(text).And.Contain("has no occurrence"));
        Assert.That(error.ParamName, Is.EqualTo(nameof(JobDefinition.Schedule)));
    }

    [TestCase("0 0 29 2 *", "2028-02-29T00:00:00Z")]
    [TestCase("every 15m", "2026-03-28T10:15:00Z")]
    public void ParseUpcoming_accepts_a_schedule_that_occurs(string text, string expected)
    {
        Assert.That(JobScheduleParser.ParseUpcoming(text, At).NextAfter(At), Is.EqualTo(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)));
    }
}
