using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OrderLib.Ports;
using OrderLib.Testing;

namespace OrderLib.Tests.Hosting;

/// <summary>
/// One or more <see cref="OrderLibScheduler"/>s over the in-memory store, started and stopped directly as the hosted
/// services they are, on a fake clock that records every sleep, with a recording wrapper around the schedule port and the
/// schedulers' log lines kept for assertions.
/// </summary>
internal sealed class SchedulerHarness : IAsyncDisposable
{
    /// <summary>The fake clock's start: a whole hour, so interval schedules fall on round times.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;
    private bool _started;
    private bool _stopped;

    private SchedulerHarness(ServiceProvider provider, SleepRecordingTimeProvider time, RecordingScheduleStore store, ListLoggerProvider logs)
    {
        _provider = provider;
        Time = time;
        Store = store;
        Logs = logs;
        OrderLib = provider.GetRequiredService<IOrderLib>();
        Queue = provider.GetRequiredService<WorkerRunService>();
        Schedulers = provider.GetServices<IHostedService>().OfType<OrderLibScheduler>().ToList();
    }

    public IOrderLib OrderLib { get; }

    public WorkerRunService Queue { get; }

    public IReadOnlyList<OrderLibScheduler> Schedulers { get; }

    public SleepRecordingTimeProvider Time { get; }

    public RecordingScheduleStore Store { get; }

    public ListLoggerProvider Logs { get; }

    /// <summary>Builds the services: a fake clock at <see cref="Start"/>, AddOrderLib(UseInMemory) and <paramref name="schedulers"/> × AddScheduler(<paramref name="scheduler"/>).</summary>
    public static SchedulerHarness Create(Action<OrderLibSchedulerOptions>? scheduler = null, int schedulers = 1)
    {
        var collection = new ServiceCollection();
        var logs = new ListLoggerProvider();
        var time = new SleepRecordingTimeProvider(Start);
        collection.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        collection.AddSingleton<TimeProvider>(time);
        var builder = collection.AddOrderLib(o => o.UseInMemory());
        for (var i = 0; i < schedulers; i++)
        {
            builder.AddScheduler(scheduler);
        }

        // Watch the schedulers' store calls: wrap the schedule port.
        RecordingScheduleStore? store = null;
        collection.Replace(ServiceDescriptor.Singleton<IScheduleStore>(sp => store = new RecordingScheduleStore(sp.GetRequiredService<InMemoryOrderLibStore>())));
        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        _ = provider.GetRequiredService<IScheduleStore>();
        return new SchedulerHarness(provider, time, store!, logs);
    }

    /// <summary>Starts every scheduler and waits until each has made its first pass and gone to sleep.</summary>
    public async Task StartAsync()
    {
        _started = true;
        foreach (var scheduler in Schedulers)
        {
            await scheduler.StartAsync(CancellationToken.None);
        }

        await SettledAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_started && !_stopped)
        {
            _stopped = true;
            foreach (var scheduler in Schedulers)
            {
                await scheduler.StopAsync(cancellationToken);
            }
        }
    }

    /// <summary>Moves the fake clock on, then waits until every scheduler woken by it has made its pass and sleeps again.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await SettledAsync();
    }

    /// <summary>Waits until every scheduler sleeps: as many unfired timers as schedulers (a woken scheduler's timer ends before it moves on).</summary>
    public Task SettledAsync() =>
        Eventually(() => Task.FromResult(Time.Sleeping == Schedulers.Count), $"{Schedulers.Count} scheduler(s) to sleep (sleeping: {Time.Sleeping})");

    public async Task<Job> CreateJobAsync(string name, string schedule, IOrderLib? client = null) =>
        await (client ?? OrderLib).Jobs.CreateAsync(new JobDefinition(name) { Schedule = schedule });

    /// <summary>The job's runs, oldest first.</summary>
    public async Task<IReadOnlyList<JobRun>> RunsOfAsync(Job job, IOrderLib? client = null) =>
        (await (client ?? OrderLib).Runs.ListForJobAsync(job.Id)).Items.Reverse().ToList();

    /// <summary>Claims every ready run and reports it Succeeded, so the job's next occurrence gets a run of its own.</summary>
    public async Task<int> FinishReadyRunsAsync()
    {
        var claimed = await Queue.ClaimAsync(new WorkerId("test"), 1000);
        foreach (var run in claimed)
        {
            await Queue.ReportSucceededAsync(run.Run.Id, new WorkerId("test"));
        }

        return claimed.Count;
    }

    /// <summary>Polls <paramref name="condition"/> every 5 ms; fails the test with the log when it is still false after 5 s.</summary>
    public async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(5);
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}. Log:\n{Logs.Text}");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(timeout.Token);
        await _provider.DisposeAsync();
    }
}

/// <summary>A <see cref="FakeTimeProvider"/> that records every timer's due time (a scheduler's sleeps) and counts the timers not yet fired or disposed.</summary>
internal sealed class SleepRecordingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly ConcurrentQueue<TimeSpan> _sleeps = new();
    private int _sleeping;

    /// <summary>Every timer's due time, in creation order.</summary>
    public IReadOnlyList<TimeSpan> Sleeps => [.. _sleeps];

    /// <summary>How many timers wait: created, neither fired nor disposed.</summary>
    public int Sleeping => Volatile.Read(ref _sleeping);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this);
        timer.Inner = base.CreateTimer(
            s =>
            {
                timer.End(); // before the callback: the woken scheduler is no longer asleep
                callback(s);
            },
            state,
            dueTime,
            period);

        // Counted only once the base provider holds the timer: a test that sees the scheduler asleep may advance the clock.
        _sleeps.Enqueue(dueTime);
        timer.Count();
        return timer;
    }

    private sealed class WatchedTimer(SleepRecordingTimeProvider owner) : ITimer
    {
        private const int Creating = 0;
        private const int Counted = 1;
        private const int Ended = 2;
        private int _state;

        public ITimer? Inner { get; set; }

        public void Count()
        {
            Interlocked.Increment(ref owner._sleeping);
            if (Interlocked.CompareExchange(ref _state, Counted, Creating) != Creating)
            {
                Interlocked.Decrement(ref owner._sleeping); // it fired or was disposed already
            }
        }

        public void End()
        {
            if (Interlocked.Exchange(ref _state, Ended) == Counted)
            {
                Interlocked.Decrement(ref owner._sleeping);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => Inner!.Change(dueTime, period);

        public void Dispose()
        {
            End();
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            End();
            return Inner?.DisposeAsync() ?? ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// The in-memory store's schedule port, counting calls and keeping every occurrence handed out. Each call yields first,
/// as a database call would, so concurrent schedulers interleave. It can fail calls, or keep reporting a due time it never
/// hands out (as a store does while another scheduler holds the job).
/// </summary>
internal sealed class RecordingScheduleStore(IScheduleStore inner) : IScheduleStore
{
    private readonly ConcurrentQueue<ScheduledEnqueue> _handedOut = new();
    private int _enqueueCalls;
    private int _earliestCalls;
    private int _failuresLeft;
    private int _pastDueReportsLeft;

    public int EnqueueCalls => Volatile.Read(ref _enqueueCalls);

    public int EarliestCalls => Volatile.Read(ref _earliestCalls);

    /// <summary>Every occurrence any scheduler consumed, in order.</summary>
    public IReadOnlyList<ScheduledEnqueue> HandedOut => [.. _handedOut];

    /// <summary>How many of the next calls throw.</summary>
    public int FailuresLeft
    {
        get => Volatile.Read(ref _failuresLeft);
        set => Volatile.Write(ref _failuresLeft, value);
    }

    /// <summary>How many of the next earliest-due answers are a time long past (1970) instead of the store's.</summary>
    public int PastDueReportsLeft
    {
        get => Volatile.Read(ref _pastDueReportsLeft);
        set => Volatile.Write(ref _pastDueReportsLeft, value);
    }

    /// <summary>What a failing call throws; an <see cref="InvalidOperationException"/> unless set.</summary>
    public Func<Exception> Failure { get; set; } = () => new InvalidOperationException("the database is down");

    /// <summary>When set, every enqueue finds nothing and the earliest due time is this.</summary>
    public DateTimeOffset? StuckDueAt { get; set; }

    public async Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueRunsAsync(DateTimeOffset now, Clients clients, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _enqueueCalls);
        await Task.Yield();
        FailIfAsked();
        if (StuckDueAt is not null)
        {
            return [];
        }

        var handled = await inner.EnqueueDueRunsAsync(now, clients, limit, cancellationToken);
        foreach (var occurrence in handled)
        {
            _handedOut.Enqueue(occurrence);
        }

        return handled;
    }

    public async Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients clients, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _earliestCalls);
        await Task.Yield();
        FailIfAsked();
        if (TakeOne(ref _pastDueReportsLeft))
        {
            return DateTimeOffset.UnixEpoch;
        }

        return StuckDueAt ?? await inner.GetEarliestDueAtAsync(clients, cancellationToken);
    }

    private void FailIfAsked()
    {
        if (TakeOne(ref _failuresLeft))
        {
            throw Failure();
        }
    }

    /// <summary>Decrements <paramref name="counter"/> when it is positive; true when it did.</summary>
    private static bool TakeOne(ref int counter)
    {
        int left;
        while ((left = Volatile.Read(ref counter)) > 0)
        {
            if (Interlocked.CompareExchange(ref counter, left - 1, left) == left)
            {
                return true;
            }
        }

        return false;
    }
}
