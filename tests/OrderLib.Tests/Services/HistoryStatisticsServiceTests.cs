using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderLib.Ports;

namespace OrderLib.Tests.Services;

/// <summary>The statistics service refuses an invalid query, naming the field, before it reads the store.</summary>
public class HistoryStatisticsServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static IEnumerable<TestCaseData> InvalidQueries()
    {
        yield return new TestCaseData(new StatisticsQuery(T0, T0), "to").SetName("Statistics_WindowOfNoLength_IsRefused");
        yield return new TestCaseData(new StatisticsQuery(T0, T0.AddMinutes(-1)), "to").SetName("Statistics_WindowEndingBeforeItStarts_IsRefused");
        yield return new TestCaseData(new StatisticsQuery(T0, T0.AddDays(7).AddMinutes(1)) { Bucket = TimelineBucket.Minute }, "bucket")
            .SetName("Statistics_TooManyBuckets_AreRefused");
        yield return new TestCaseData(new StatisticsQuery(T0, T0.AddDays(1)) { Bucket = (TimelineBucket)7 }, "bucket").SetName("Statistics_UnknownBucketSize_IsRefused");
        yield return new TestCaseData(
                new StatisticsQuery(T0, T0.AddDays(1)) { JobIds = Enumerable.Range(1, RunFilter.MaxJobIds + 1).Select(i => new JobId(i)).ToArray() },
                "jobIds")
            .SetName("Statistics_TooManyJobIds_AreRefused");
    }

    [TestCaseSource(nameof(InvalidQueries))]
    public async Task An_invalid_statistics_query_is_refused_naming_the_field_before_the_store_is_read(StatisticsQuery query, string field)
    {
        var store = DispatchProxy.Create<IHistoryStore, UnreadHistoryStore>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddSingleton(store);
        services.AddOrderLib(o => o.UseInMemory());
        await using var provider = services.BuildServiceProvider();
        var history = provider.GetRequiredService<IOrderLib>().History;

        var refused = Assert.ThrowsAsync<OrderLibValidationException>(() => history.GetStatisticsAsync(query));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.ParamName, Is.EqualTo(field));
            Assert.That(((UnreadHistoryStore)(object)store).Calls, Is.Empty, "the store was not read");
        }
    }

    [Test]
    public void The_largest_timeline_is_accepted()
    {
        // 10,000 minute buckets exactly (From on a whole minute); one more minute makes 10,001.
        Assert.That(() => new StatisticsQuery(T0, T0.AddMinutes(StatisticsQuery.MaxBuckets)) { Bucket = TimelineBucket.Minute }.Validate(), Throws.Nothing);
    }

    /// <summary>A history store that records the methods called on it and answers none.</summary>
    public class UnreadHistoryStore : DispatchProxy
    {
        /// <summary>The names of the methods called.</summary>
        public List<string> Calls { get; } = [];

        /// <inheritdoc />
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Calls.Add(targetMethod?.Name ?? "?");
            throw new InvalidOperationException($"The store was read ({targetMethod?.Name}).");
        }
    }
}
