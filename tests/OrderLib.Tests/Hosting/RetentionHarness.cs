using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;
using OrderLib.Testing;

namespace OrderLib.Tests.Hosting;

/// <summary>
/// One <see cref="OrderLibRetention"/> over the in-memory store, started and stopped directly as the hosted service it is,
/// on a fake clock that records every sleep, with a recording (and failing, when asked) wrapper around the history port
/// and the log lines kept for assertions.
/// </summary>
internal sealed class RetentionHarness : IAsyncDisposable
{
    /// <summary>The fake clock's start.</summary>
    public static readonly DateTimeOffset Start = new(2026, 2, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;
    private bool _started;

    private RetentionHarness(ServiceProvider provider, SleepRecordingTimeProvider time, ListLoggerProvider logs)
    {
        _provider = provider;
        Time = time;
        Logs = logs;
        OrderLib = provider.GetRequiredService<IOrderLib>();
        Store = (RecordingHistoryStore)provider.GetRequiredService<IHistoryStore>();
        Service = provider.GetServices<IHostedService>().OfType<OrderLibRetention>().Single();
    }

    public IOrderLib OrderLib { get; }

    public OrderLibRetention Service { get; }

    public SleepRecordingTimeProvider Time { get; }

    public RecordingHistoryStore Store { get; }

    public ListLoggerProvider Logs { get; }

    /// <summary>The retention service's log lines, without the category.</summary>
    public IReadOnlyList<string> RetentionLines =>
        Logs.Lines.Where(l => l.Contains("OrderLibRetention: ", StringComparison.Ordinal)).Select(l => l.Replace("OrderLibRetention: ", "", StringComparison.Ordinal)).ToList();

    /// <summary>Builds the services: a fake clock at <see cref="Start"/>, AddOrderLib(UseInMemory).AddRetention(<paramref name="retention"/>).</summary>
    public static RetentionHarness Create(Action<OrderLibRetentionOptions>? retention = null)
    {
        var collection = new ServiceCollection();
        var logs = new ListLoggerProvider();
        var time = new SleepRecordingTimeProvider(Start);
        collection.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        collection.AddSingleton<TimeProvider>(time);
        collection.AddOrderLib(o => o.UseInMemory().AddRetention(retention));
        collection.Replace(ServiceDescriptor.Singleton<IHistoryStore>(sp => new RecordingHistoryStore(sp.GetRequiredService<InMemoryOrderLibStore>())));
        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        return new RetentionHarness(provider, time, logs);
    }

    /// <summary>Starts the service and waits until its first pass is over and it sleeps (or pauses between batches).</summary>
    public async Task StartAsync()
    {
        _started = true;
        await Service.StartAsync(CancellationToken.None);
        await AsleepAsync();
    }

    /// <summary>Moves the fake clock on, then waits until the service, woken or not, sleeps again.</summary>
    public Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        return AsleepAsync();
    }

    /// <summary>A job of <paramref name="client"/> with one run per status given, each run to its end now.</summary>
    public async Task<Job> JobWithRunsAsync(string client, string name, params RunStatus[] statuses)
    {
        var orderLib = OrderLib.ForClient(new ClientId(client));
        var job = await orderLib.Jobs.FindByNameAsync(name) ?? await orderLib.Jobs.CreateAsync(new JobDefinition(name) { MaxAttempts = 1 });
        foreach (var status in statuses)
        {
            var run = (await orderLib.Runs.EnqueueAsync(job.Id)).Run.Id;
            if (status == RunStatus.Cancelled)
            {
                await orderLib.Runs.CancelAsync(run);
                continue;
            }

            await orderLib.Runs.StartAsync(run, new WorkerId("test"));
            await (status == RunStatus.Failed ? orderLib.Runs.MarkFailedAsync(run, "boom") : orderLib.Runs.MarkSucceededAsync(run));
        }

        return job;
    }

    /// <summary>The job's run statuses, oldest first.</summary>
    public async Task<RunStatus[]> StatusesAsync(string client, Job job) =>
        (await OrderLib.ForClient(new ClientId(client)).Runs.ListForJobAsync(job.Id)).Items.Select(r => r.Status).Reverse().ToArray();

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Service.StopAsync(timeout.Token);
        }

        await _provider.DisposeAsync();
    }

    // Polls until exactly one timer of the fake clock waits: the service's sleep or pause (5 s at most).
    private async Task AsleepAsync()
    {
        var waited = Stopwatch.StartNew();
        while (Time.Sleeping != 1)
        {
            Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), $"the retention service did not go to sleep. Log:\n{Logs.Text}");
            await Task.Delay(5);
        }
    }
}

/// <summary>The in-memory store's history port, recording the retention calls; it can fail them.</summary>
internal sealed class RecordingHistoryStore(IHistoryStore inner) : IHistoryStore
{
    private readonly ConcurrentQueue<(ClientId Client, PruneRequest Request)> _prunes = new();
    private readonly ConcurrentQueue<Exception> _failures = new();
    private int _listCalls;

    /// <summary>How many times the clients were listed.</summary>
    public int ListCalls => Volatile.Read(ref _listCalls);

    /// <summary>Every prune batch asked for, with its client and request.</summary>
    public IReadOnlyList<(ClientId Client, PruneRequest Request)> Prunes => [.. _prunes];

    /// <summary>Makes the next <paramref name="calls"/> calls find the database unavailable.</summary>
    public void BeUnavailableFor(int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            _failures.Enqueue(new OrderLibDatabaseUnavailableException("Test", new TimeoutException("The database cannot be reached (test).")));
        }
    }

    /// <summary>A client whose prune batches throw an <see cref="InvalidOperationException"/>, or null.</summary>
    public ClientId? FailingClient { get; set; }

    public async Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listCalls);
        await Task.Yield();
        FailIfUnavailable();
        return await inner.ListClientsAsync(cancellationToken);
    }

    public async Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken)
    {
        _prunes.Enqueue((client, request));
        await Task.Yield();
        FailIfUnavailable();
        if (client == FailingClient)
        {
            throw new InvalidOperationException($"pruning {client} broke");
        }

        return await inner.PruneRunsAsync(client, request, after, cancellationToken);
    }

    public Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken) =>
        inner.SearchRunsAsync(client, filter, orderBy, direction, after, limit, cancellationToken);

    public Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken) =>
        inner.CountRunsAsync(client, filter, orderBy, cancellationToken);

    public Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken) =>
        inner.SearchJobsAsync(client, filter, after, limit, cancellationToken);

    public Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken) =>
        inner.CountJobsAsync(client, filter, cancellationToken);

    public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.GetStatisticsAsync(client, query, now, cancellationToken);

    private void FailIfUnavailable()
    {
        if (_failures.TryDequeue(out var failure))
        {
            throw failure;
        }
    }
}
