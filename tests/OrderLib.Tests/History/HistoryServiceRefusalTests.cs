using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderLib.Ports;
using OrderLib.Testing;

namespace OrderLib.Tests.History;

/// <summary>
/// <see cref="HistoryService"/> refuses a bad request before its store is asked anything: the history port here fails
/// the test when called. Cursors are typed: each listing refuses another listing's cursor, and a run search refuses the
/// cursor of another ordering.
/// </summary>
public class HistoryServiceRefusalTests
{
    private ServiceProvider _provider = null!;
    private IOrderLib _orderLib = null!;

    [SetUp]
    public void SetUp()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseInMemory());
        services.Replace(ServiceDescriptor.Singleton<IHistoryStore, UntouchableHistoryStore>());
        _provider = services.BuildServiceProvider();
        _orderLib = _provider.GetRequiredService<IOrderLib>();
    }

    [TearDown]
    public void TearDown() => _provider.Dispose();

    private static IEnumerable<TestCaseData> BadRequests()
    {
        var t0 = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        yield return Case("a run filter rule", "maxAttempt", h => h.SearchRunsAsync(new RunSearch { Filter = new RunFilter { MinAttempt = 2, MaxAttempt = 1 } }));
        yield return Case("a page of none", "limit", h => h.SearchRunsAsync(new RunSearch { Limit = 0 }));
        yield return Case("a page too large", "limit", h => h.SearchJobsAsync(new JobSearch { Limit = 1001 }));
        yield return Case("an ordering nobody has", "orderBy", h => h.SearchRunsAsync(new RunSearch { OrderBy = (RunTimestamp)9 }));
        yield return Case("a direction nobody has", "direction", h => h.SearchRunsAsync(new RunSearch { Direction = (SortDirection)9 }));
        yield return Case("a job filter rule", "maxPriority", h => h.SearchJobsAsync(new JobSearch { Filter = new JobFilter { MinPriority = 2, MaxPriority = 1 } }));
        yield return Case("a stream's filter rule", "errorContains", h => h.StreamRunsAsync(new RunSearch { Filter = new RunFilter { ErrorContains = "" } }).GetAsyncEnumerator().MoveNextAsync().AsTask());
        yield return Case("a statistics window the wrong way round", "to", h => h.GetStatisticsAsync(new StatisticsQuery(t0, t0.AddDays(-1))));
        yield return Case("a prune keeping fewer than none", "keepLatestPerJob", h => h.PruneAsync(t0, keepLatestPerJob: -1));
        yield return Case("a prune batch too large", "batchSize", h => h.PruneAsync(new PruneRequest(t0) { BatchSize = PruneRequest.MaxBatchSize + 1 }));

        static TestCaseData Case(string name, string field, Func<HistoryService, Task> call) => new TestCaseData(call, field).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadRequests))]
    public void A_bad_request_is_refused_naming_its_field_before_the_store_is_asked(Func<HistoryService, Task> call, string field)
    {
        var error = Assert.ThrowsAsync<OrderLibValidationException>(() => call(_orderLib.History));
        Assert.That(error!.ParamName, Is.EqualTo(field));
    }

    [Test]
    public void A_listing_refuses_the_cursor_of_another_listing_or_ordering()
    {
        var byEnqueue = new RunSearch();
        var runCursor = byEnqueue.CursorAfter(new RunWithJobName(JobRun.CreatePending(new RunId(7), new JobId(1), 1, new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero)), "a"));
        var jobCursor = JobSearch.CursorAfter(new JobWithLatestRun(Job.Create(new JobId(3), ClientId.Default, new JobDefinition("a"), DateTimeOffset.UnixEpoch), null));
        var idCursor = PageCursor.Parse(PageCursor.After(5).ToString());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(PageCursor.Parse(runCursor.ToString()), Is.EqualTo(runCursor), "a cursor survives its text form");
            Assert.That((byEnqueue with { Cursor = PageCursor.Parse(runCursor.ToString()) }).Position, Is.EqualTo(new RunPosition(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), new RunId(7))));
            AssertForeign(() => _orderLib.History.SearchRunsAsync(byEnqueue with { Cursor = runCursor, OrderBy = RunTimestamp.Finished }));
            AssertForeign(() => _orderLib.History.SearchRunsAsync(byEnqueue with { Cursor = runCursor, Direction = SortDirection.OldestFirst }));
            AssertForeign(() => _orderLib.History.SearchRunsAsync(byEnqueue with { Cursor = jobCursor }));
            AssertForeign(() => _orderLib.History.SearchRunsAsync(byEnqueue with { Cursor = idCursor }));
            AssertForeign(() => _orderLib.History.SearchJobsAsync(new JobSearch { Cursor = runCursor }));
            AssertForeign(() => _orderLib.Jobs.ListAsync(jobCursor));
            AssertForeign(() => _orderLib.Runs.ListLatestAsync(runCursor));
        }

        static void AssertForeign(Func<Task> call) =>
            Assert.That(call, Throws.TypeOf<OrderLibValidationException>().With.Property("ParamName").EqualTo("cursor").And.Message.Contains("another listing"));
    }

    [TestCase("%%%", TestName = "not base64url")]
    [TestCase("azE6eA", TestName = "an id cursor without a number (k1:x)")]
    [TestCase("eno6MQ", TestName = "a kind nobody makes (zz:1)")]
    [TestCase("cnMxOjA6MDp4Onk", TestName = "a run-search cursor with a broken position (rs1:0:0:x:y)")]
    public void Text_that_is_no_cursor_of_the_search_is_refused_when_bound(string text)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => RunSearch.FromFields([new("cursor", text)]));
        Assert.That(error!.ParamName, Is.EqualTo("cursor"));
    }

    /// <summary>A history port that fails the test when any of its methods is called.</summary>
    private sealed class UntouchableHistoryStore : IHistoryStore
    {
        public Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken) => Touched<IReadOnlyList<RunWithJobName>>();

        public Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken) => Touched<long>();

        public Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken) => Touched<IReadOnlyList<JobWithLatestRun>>();

        public Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken) => Touched<long>();

        public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken) => Touched<HistoryStatistics>();

        public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken) => Touched<PruneBatch>();

        public Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken) => Touched<IReadOnlyList<ClientId>>();

        private static Task<T> Touched<T>() => throw new AssertionException("A refused request reached the history store.");
    }
}
