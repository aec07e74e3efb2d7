using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Ports;

namespace OrderLib.Tests.Hosting;

/// <summary>
/// One <see cref="OrderLibWorker"/> over the in-memory store (or the store a test chooses), started and stopped directly
/// as the hosted service it is, with a claim counter around the store and the worker's log lines kept for assertions.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _started;
    private bool _stopped;

    private WorkerHarness(ServiceProvider provider, ClaimCountingQueueStore claims, ListLoggerProvider logs)
    {
        _provider = provider;
        Claims = claims;
        Logs = logs;
        OrderLib = provider.GetRequiredService<IOrderLib>();
        Queue = provider.GetRequiredService<WorkerRunService>();
        Worker = provider.GetServices<IHostedService>().OfType<OrderLibWorker>().Single();
    }

    public IOrderLib OrderLib { get; }

    public WorkerRunService Queue { get; }

    public OrderLibWorker Worker { get; }

    public ClaimCountingQueueStore Claims { get; }

    public ListLoggerProvider Logs { get; }

    public IServiceProvider Services => _provider;

    /// <summary>
    /// Builds the services: AddOrderLib(<paramref name="store"/> (default UseInMemory), fast retries,
    /// <paramref name="orderLib"/>).AddWorker(<paramref name="worker"/>).
    /// </summary>
    public static WorkerHarness Create(
        Action<OrderLibWorkerOptions> worker,
        Action<OrderLibOptions>? orderLib = null,
        Action<IServiceCollection>? services = null,
        Action<OrderLibBuilder>? store = null)
    {
        var collection = new ServiceCollection();
        var logs = new ListLoggerProvider();
        collection.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services?.Invoke(collection);
        var builder = collection.AddOrderLib();
        (store ?? (b => b.UseInMemory()))(builder);
        builder
            .Configure(options =>
            {
                options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                options.RetryJitter = 0;
                orderLib?.Invoke(options);
            })
            .AddWorker(options =>
            {
                options.WorkerId = "test-worker";
                options.Concurrency = 4;
                options.RescueInterval = TimeSpan.FromMilliseconds(100);
                worker(options);
            });

        // Count the claims the worker makes: wrap the store's queue port (the chosen store registers it by a factory).
        var chosen = collection.Single(d => d.ServiceType == typeof(IRunQueueStore)).ImplementationFactory!;
        ClaimCountingQueueStore? counter = null;
        collection.Replace(ServiceDescriptor.Singleton<IRunQueueStore>(sp => counter = new ClaimCountingQueueStore((IRunQueueStore)chosen(sp))));
        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        _ = provider.GetRequiredService<IRunQueueStore>();
        return new WorkerHarness(provider, counter!, logs);
    }

    public async Task StartAsync()
    {
        await Worker.StartAsync(CancellationToken.None);
        _started = true;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_started && !_stopped)
        {
            _stopped = true;
            await Worker.StopAsync(cancellationToken);
        }
    }

    public async Task<Job> CreateJobAsync(string name, int maxAttempts = 1) =>
        await OrderLib.Jobs.CreateAsync(new JobDefinition(name) { MaxAttempts = maxAttempts });

    public async Task<JobRun> EnqueueAsync(Job job) => (await OrderLib.Runs.EnqueueAsync(job.Id)).Run;

    /// <summary>The job's runs, oldest first.</summary>
    public async Task<IReadOnlyList<JobRun>> RunsOfAsync(Job job) =>
        (await OrderLib.Runs.ListForJobAsync(job.Id)).Items.Reverse().ToList();

    public async Task<RunStatus?> LatestStatusAsync(Job job)
    {
        var runs = await RunsOfAsync(job);
        return runs.Count == 0 ? null : runs[^1].Status;
    }

    /// <summary>Waits until every job's latest run is Succeeded.</summary>
    public Task AllSucceededAsync(IEnumerable<Job> jobs, TimeSpan? timeout = null) =>
        Eventually(
            async () =>
            {
                foreach (var job in jobs)
                {
                    if (await LatestStatusAsync(job) != RunStatus.Succeeded)
                    {
                        return false;
                    }
                }

                return true;
            },
            "every run to succeed",
            timeout);

    /// <summary>Polls <paramref name="condition"/> every 10 ms; fails the test with the worker's log when it is still false after <paramref name="timeout"/> (5 s).</summary>
    public async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}. Worker log:\n{Logs.Text}");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(timeout.Token);
        await _provider.DisposeAsync();
    }
}

/// <summary>
/// The store's queue port, counting claims and remembering the limits asked for and the batches of outcomes
/// reported; it can also play an unreachable database (<see cref="Unreachable"/>) and hold reports back (<see cref="HoldReports"/>).
/// </summary>
internal sealed class ClaimCountingQueueStore(IRunQueueStore inner) : IRunQueueStore
{
    private readonly ConcurrentQueue<int> _limits = new();
    private readonly ConcurrentQueue<int> _reports = new();
    private int _reportsInFlight;
    private int _mostReportsInFlight;

    public int Count => _limits.Count;

    public IReadOnlyList<int> Limits => [.. _limits];

    /// <summary>The size of every batch of outcomes recorded, in order.</summary>
    public IReadOnlyList<int> ReportedBatches => [.. _reports];

    /// <summary>While true every call fails as a store over a database that cannot be reached does (<see cref="OrderLibDatabaseUnavailableException"/>), changing nothing.</summary>
    public bool Unreachable { get; set; }

    /// <summary>When set, reports wait for it before they reach the store; <see cref="ReportWaiting"/> says one is waiting.</summary>
    public TaskCompletionSource? HoldReports { get; set; }

    /// <summary>Completed once a report waits on <see cref="HoldReports"/>.</summary>
    public TaskCompletionSource ReportWaiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long every claim takes before it reaches the store: a database round trip, played.</summary>
    public TimeSpan ClaimDelay { get; set; }

    /// <summary>The most reports that were in flight at once.</summary>
    public int MostReportsInFlight => Volatile.Read(ref _mostReportsInFlight);

    public async Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        FailIfUnreachable();
        _limits.Enqueue(request.Limit);
        if (ClaimDelay > TimeSpan.Zero)
        {
            await Task.Delay(ClaimDelay, CancellationToken.None);
        }

        return await inner.ClaimRunsAsync(request, cancellationToken);
    }

    public Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        FailIfUnreachable();
        return inner.HeartbeatAsync(runId, workerId, now, leaseExpiresAt, cancellationToken);
    }

    public Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        FailIfUnreachable();
        return inner.CompleteRunAsync(runId, workerId, outcome, errorText, output, now, retryPolicy, cancellationToken);
    }

    public async Task<IReadOnlyList<OutcomeResult>> CompleteRunsAsync(IReadOnlyList<RunOutcome> outcomes, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        var inFlight = Interlocked.Increment(ref _reportsInFlight);
        try
        {
            Counters.RaiseTo(ref _mostReportsInFlight, inFlight);
            if (HoldReports is { } hold)
            {
                ReportWaiting.TrySetResult();
                await hold.Task;
            }

            FailIfUnreachable();
            var results = await inner.CompleteRunsAsync(outcomes, now, retryPolicy, cancellationToken);
            _reports.Enqueue(outcomes.Count);
            return results;
        }
        finally
        {
            Interlocked.Decrement(ref _reportsInFlight);
        }
    }


    public Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken)
    {
        FailIfUnreachable();
        return inner.RescueExpiredRunsAsync(now, retryPolicy, limit, cancellationToken);
    }

    private void FailIfUnreachable()
    {
        if (Unreachable)
        {
            throw new OrderLibDatabaseUnavailableException("Test", new TimeoutException("The database cannot be reached (test)."));
        }
    }
}

/// <summary>Keeps every log line in memory, to assert on and to print when a test times out.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Text => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var shortCategory = category[(category.LastIndexOf('.') + 1)..];
            owner._lines.Enqueue($"{logLevel} {shortCategory}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}

/// <summary>Counting helpers for tests that watch concurrency.</summary>
internal static class Counters
{
    /// <summary>Sets <paramref name="target"/> to <paramref name="value"/> when that is larger, atomically.</summary>
    public static void RaiseTo(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
