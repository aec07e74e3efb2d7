using Microsoft.Extensions.DependencyInjection;
using OrderLib.Tests.Hosting;

namespace OrderLib.Tests.Services;

/// <summary><see cref="HistoryService.PruneAsync(PruneRequest, CancellationToken)"/> over the in-memory store: validation, the report, pauses and cancellation.</summary>
public sealed class HistoryPruneTests
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private SleepRecordingTimeProvider _time = null!;
    private ServiceProvider _provider = null!;
    private IOrderLib _orderLib = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new SleepRecordingTimeProvider(T0);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddOrderLib(o => o.UseInMemory());
        _provider = services.BuildServiceProvider();
        _orderLib = _provider.GetRequiredService<IOrderLib>();
    }

    [TearDown]
    public void TearDown() => _provider.Dispose();

    [Test]
    public async Task The_report_counts_the_deleted_runs_per_job_in_job_id_order_and_per_status_with_the_batches()
    {
        var zeta = await JobWithRunsAsync("zeta", RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Failed);
        var alpha = await JobWithRunsAsync("alpha", RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded);
        var young = await JobWithRunsAsync("young");
        _time.Advance(TimeSpan.FromHours(1));
        await RunAsync(young, RunStatus.Succeeded);
        await RunAsync(young, RunStatus.Succeeded);

        var request = new PruneRequest(T0.AddMinutes(30)) { BatchSize = 2 };
        var report = await _orderLib.History.PruneAsync(request);

        Assert.Multiple(async () =>
        {
            Assert.That(report.Request, Is.SameAs(request));
            Assert.That(report.Jobs, Is.EqualTo(new[]
            {
                new PrunedJob(zeta, "zeta", Succeeded: 1, Failed: 1, Cancelled: 1),
                new PrunedJob(alpha, "alpha", Succeeded: 2, Failed: 0, Cancelled: 0),
            }));
            Assert.That(report.RunsDeleted, Is.EqualTo(5));
            Assert.That(report.Batches, Is.EqualTo(4), "seven candidates, two per batch");
            Assert.That(await RunCountAsync(young), Is.EqualTo(2), "finished after OlderThan");
        });
    }

    [Test]
    public async Task The_short_form_keeps_the_given_number_per_job()
    {
        var job = await JobWithRunsAsync("job", RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded);
        _time.Advance(TimeSpan.FromDays(1));

        var report = await _orderLib.History.PruneAsync(_time.GetUtcNow(), keepLatestPerJob: 3);

        Assert.Multiple(async () =>
        {
            Assert.That(report.RunsDeleted, Is.EqualTo(1));
            Assert.That(report.Request, Is.EqualTo(new PruneRequest(_time.GetUtcNow(), 3)));
            Assert.That(await RunCountAsync(job), Is.EqualTo(3));
        });
    }

    private static readonly (string Field, PruneRequest Request)[] InvalidRequests =
    [
        ("keepLatestPerJob", new PruneRequest(T0.AddDays(1), KeepLatestPerJob: -1)),
        ("batchSize", new PruneRequest(T0.AddDays(1)) { BatchSize = 0 }),
        ("batchSize", new PruneRequest(T0.AddDays(1)) { BatchSize = PruneRequest.MaxBatchSize + 1 }),
        ("pauseBetweenBatches", new PruneRequest(T0.AddDays(1)) { PauseBetweenBatches = TimeSpan.FromTicks(-1) }),
        ("pauseBetweenBatches", new PruneRequest(T0.AddDays(1)) { PauseBetweenBatches = PruneRequest.MaxPauseBetweenBatches + TimeSpan.FromTicks(1) }),
    ];

    private static IEnumerable<TestCaseData> InvalidRequestCases() =>
        InvalidRequests.Select((c, i) => new TestCaseData(i).SetArgDisplayNames($"{c.Field}#{i}"));

    [TestCaseSource(nameof(InvalidRequestCases))]
    public async Task An_invalid_request_is_refused_naming_the_field_before_anything_is_deleted(int index)
    {
        var (field, request) = InvalidRequests[index];
        var job = await JobWithRunsAsync("job", RunStatus.Succeeded, RunStatus.Succeeded);

        var error = Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.History.PruneAsync(request));

        Assert.Multiple(async () =>
        {
            Assert.That(error!.ParamName, Is.EqualTo(field));
            Assert.That(await RunCountAsync(job), Is.EqualTo(2));
        });
    }

    [Test]
    public void A_null_request_is_refused()
    {
        Assert.ThrowsAsync<ArgumentNullException>(() => _orderLib.History.PruneAsync(null!));
    }

    [Test]
    public async Task Batches_pause_on_the_time_provider_and_cancelling_stops_between_batches_keeping_what_went()
    {
        var job = await JobWithRunsAsync("job", RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded);
        using var cancel = new CancellationTokenSource();
        var request = new PruneRequest(T0.AddDays(1)) { BatchSize = 1, PauseBetweenBatches = TimeSpan.FromMinutes(1) };

        var prune = _orderLib.History.PruneAsync(request, cancel.Token);
        await PausedAsync();
        Assert.That(await RunCountAsync(job), Is.EqualTo(3), "the first batch, then a pause");
        _time.Advance(TimeSpan.FromMinutes(1));
        await PausedAsync();
        Assert.That(await RunCountAsync(job), Is.EqualTo(2), "the second batch after a minute");
        await cancel.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => prune);
        Assert.Multiple(async () =>
        {
            Assert.That(await RunCountAsync(job), Is.EqualTo(2), "what the two batches deleted stays deleted");
            Assert.That(_time.Sleeps, Is.EqualTo(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) }));
        });
    }

    // A job whose runs end now, one per status given (Pending runs are cancelled for Cancelled).
    private async Task<JobId> JobWithRunsAsync(string name, params RunStatus[] statuses)
    {
        var job = (await _orderLib.Jobs.CreateAsync(new JobDefinition(name) { MaxAttempts = 1 })).Id;
        foreach (var status in statuses)
        {
            await RunAsync(job, status);
        }

        return job;
    }

    private async Task RunAsync(JobId job, RunStatus status)
    {
        var run = (await _orderLib.Runs.EnqueueAsync(job)).Run.Id;
        if (status == RunStatus.Cancelled)
        {
            await _orderLib.Runs.CancelAsync(run, "not needed");
            return;
        }

        await _orderLib.Runs.StartAsync(run, new WorkerId("w"));
        await (status == RunStatus.Failed ? _orderLib.Runs.MarkFailedAsync(run, "boom") : _orderLib.Runs.MarkSucceededAsync(run));
    }

    private async Task<int> RunCountAsync(JobId job) => (await _orderLib.Runs.ListForJobAsync(job)).Items.Count;

    // Waits until the prune pauses: one timer of the fake clock waits (5 s at most).
    private async Task PausedAsync()
    {
        for (var polls = 0; _time.Sleeping != 1; polls++)
        {
            Assert.That(polls, Is.LessThan(1000), "the prune did not pause");
            await Task.Delay(5);
        }
    }
}
