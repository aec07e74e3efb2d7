using NUnit.Framework;

namespace OrderLib.Tests.Domain;

/// <summary>The timeline rules the stores share: where buckets start and how counted buckets become the full timeline.</summary>
public class StatisticsTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void Fill_keeps_the_counted_buckets_and_gives_every_other_bucket_of_the_window_zeros()
    {
        // 10:30 to 13:10: the 10:00, 11:00, 12:00 and 13:00 hour buckets; 11:00 counted, given in another offset.
        var query = new StatisticsQuery(T0.AddHours(10.5), T0.AddHours(13).AddMinutes(10));
        var counted = new TimelineBucketCounts(T0.AddHours(11).ToOffset(TimeSpan.FromHours(2)), 3, 2, 1);

        var timeline = Timeline.Fill(query, [counted]);

        Assert.That(timeline, Is.EqualTo(new[]
        {
            new TimelineBucketCounts(T0.AddHours(10), 0, 0, 0),
            new TimelineBucketCounts(T0.AddHours(11), 3, 2, 1),
            new TimelineBucketCounts(T0.AddHours(12), 0, 0, 0),
            new TimelineBucketCounts(T0.AddHours(13), 0, 0, 0),
        }));
        Assert.That(timeline.Select(b => b.Start.Offset), Is.All.EqualTo(TimeSpan.Zero), "starts are UTC");
    }

    [Test]
    public void Fill_refuses_two_counts_of_one_bucket()
    {
        var query = new StatisticsQuery(T0, T0.AddHours(1));
        var once = new TimelineBucketCounts(T0, 1, 0, 0);

        Assert.That(() => Timeline.Fill(query, [once, once with { Failed = 1 }]), Throws.ArgumentException);
    }
}
