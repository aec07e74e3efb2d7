using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib;

/// <summary>
/// Settings and job handlers of one <see cref="OrderLibWorker"/>, given to <c>AddWorker</c>. The values are checked when
/// the worker starts; an invalid one stops the host from starting with an <see cref="OrderLibConfigurationException"/>
/// that names it.
/// </summary>
public sealed class OrderLibWorkerOptions
{
    private readonly Dictionary<string, JobHandlerRegistration> _handlers = new(StringComparer.Ordinal);

    /// <summary>
    /// Who the worker is in the store (the runs it holds carry this id); 1 to 200 characters. Unique per worker instance:
    /// by default <c>&lt;machine&gt;-&lt;process id&gt;-&lt;8 hex digits&gt;</c>.
    /// </summary>
    public string WorkerId { get; set; } = DefaultWorkerId();

    /// <summary>How many runs execute at once, at most; at least 1. <see cref="Environment.ProcessorCount"/> unless set.</summary>
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>How many runs one claim takes at most (never more than the free slots plus the claim-ahead allowance); 1 to 1000. 10 unless set.</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>
    /// How many runs, at most, the worker may hold claimed beyond its free slots, waiting in memory for a slot; 0 to 1000,
    /// 0 turning it off. Null (the default) for <see cref="BatchSize"/>. The worker uses this allowance only as far as its
    /// handlers finish faster than a claim round trip: it keeps as many runs waiting as its slots are expected to start
    /// within one claim round trip (from the recent handler durations and claim times), so short handlers no longer wait
    /// for the database between runs, while slower ones claim only for free slots and leave ready runs to other workers.
    /// A waiting run's lease runs from its claim.
    /// </summary>
    public int? MaxClaimAhead { get; set; }

    /// <summary>
    /// How many outcomes one report to the store carries at most; 1 to 1000. 100 unless set. Outcomes that end while a
    /// report is in flight go together in the next one, so batches grow with the load and a lone outcome is not kept
    /// waiting.
    /// </summary>
    public int CompletionBatchSize { get; set; } = 100;

    /// <summary>
    /// How long the worker may hold outcomes to fill a report while other runs are still executing; zero (the default)
    /// reports as soon as the previous report is done. Less than half the heartbeat interval.
    /// </summary>
    public TimeSpan CompletionFlushInterval { get; set; }

    /// <summary>
    /// How many reports to the store may be in flight at once, each a batch of its own; 1 to 16. 2 unless set: while one
    /// report's transaction is at the database, the next batch is on its way, which matters once outcomes come faster than
    /// one report round trip records them.
    /// </summary>
    public int CompletionConcurrency { get; set; } = 2;

    /// <summary>The clients (tenants) whose runs the worker takes, or null (the default) for every client.</summary>
    public IReadOnlyCollection<string>? Clients { get; set; }

    /// <summary>The first wait after a claim found no work; it doubles while nothing is found. 50 ms unless set.</summary>
    public TimeSpan IdlePollIntervalMin { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between claims while idle; at least <see cref="IdlePollIntervalMin"/>. 2 seconds unless set.</summary>
    public TimeSpan IdlePollIntervalMax { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest wait between claims while idle when the store pushes ready-run notifications from every process
    /// (PostgreSQL with notifications on): polling is then only a safety net, and the timer for runs that become available
    /// later (retries after their backoff), which may start up to this much late. Positive; when shorter than
    /// <see cref="IdlePollIntervalMax"/>, that one applies. 5 seconds unless set.
    /// </summary>
    public TimeSpan NotifiedIdlePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the worker extends the lease of each run it executes; shorter than the lease. Null (the default) for a third of <see cref="OrderLibOptions.LeaseDuration"/>.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>How often the worker ends runs whose lease expired (their worker is gone); any worker does it. 10 seconds unless set.</summary>
    public TimeSpan RescueInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a stopping worker waits for its running handlers before it cancels them; zero or more. Runs still unfinished
    /// then are not reported: they are rescued once their lease expires. 30 seconds unless set. Keep the host's own
    /// <c>HostOptions.ShutdownTimeout</c> longer, or the host stops waiting first.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The job names that have a handler.</summary>
    public IReadOnlyCollection<string> HandledJobNames => _handlers.Keys;

    /// <summary>True when <see cref="HandleAny(Func{JobExecutionContext, CancellationToken, Task})"/> set a handler for jobs without one of their own.</summary>
    public bool HasFallbackHandler => Fallback is not null;

    internal JobHandlerRegistration? Fallback { get; private set; }

    internal IEnumerable<JobHandlerRegistration> Registrations => Fallback is null ? _handlers.Values : _handlers.Values.Append(Fallback);

    /// <summary>Runs <paramref name="handler"/> for the runs of jobs named <paramref name="jobName"/>.</summary>
    /// <param name="jobName">The job's name (compared exactly, after trimming).</param>
    /// <param name="handler">Does the work; see <see cref="IJobHandler"/> for how its ending decides the run's outcome.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="jobName"/> is blank, or has a handler already.</exception>
    public OrderLibWorkerOptions Handle(string jobName, Func<JobExecutionContext, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(jobName, new JobHandlerRegistration(null, (_, context, token) => handler(context, token)));
    }

    /// <summary>Runs an <typeparamref name="THandler"/>, resolved from a DI scope created for each run, for the runs of jobs named <paramref name="jobName"/>.</summary>
    /// <typeparam name="THandler">The handler type; <c>AddWorker</c> registers it as scoped unless it is registered already.</typeparam>
    /// <param name="jobName">The job's name (compared exactly, after trimming).</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="jobName"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="jobName"/> is blank, or has a handler already.</exception>
    public OrderLibWorkerOptions Handle<THandler>(string jobName)
        where THandler : class, IJobHandler =>
        Add(jobName, TypedRegistration<THandler>());

    /// <summary>Runs <paramref name="handler"/> for the runs of every job that has no handler of its own.</summary>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentException">A fallback handler is set already.</exception>
    public OrderLibWorkerOptions HandleAny(Func<JobExecutionContext, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SetFallback(new JobHandlerRegistration(null, (_, context, token) => handler(context, token)));
    }

    /// <summary>Runs an <typeparamref name="THandler"/>, resolved from a DI scope created for each run, for every job that has no handler of its own.</summary>
    /// <typeparam name="THandler">The handler type; <c>AddWorker</c> registers it as scoped unless it is registered already.</typeparam>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException">A fallback handler is set already.</exception>
    public OrderLibWorkerOptions HandleAny<THandler>()
        where THandler : class, IJobHandler =>
        SetFallback(TypedRegistration<THandler>());

    /// <summary>The handler for <paramref name="jobName"/>: its own, else the fallback, else null.</summary>
    internal JobHandlerRegistration? Find(string jobName) =>
        _handlers.TryGetValue(jobName, out var registration) ? registration : Fallback;

    private static JobHandlerRegistration TypedRegistration<THandler>()
        where THandler : class, IJobHandler =>
        new(typeof(THandler), (services, context, token) => services.GetRequiredService<THandler>().ExecuteAsync(context, token));

    private OrderLibWorkerOptions Add(string jobName, JobHandlerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        var name = jobName.Trim();
        if (name.Length == 0)
        {
            throw new ArgumentException("A job name must not be empty or blank.", nameof(jobName));
        }

        if (!_handlers.TryAdd(name, registration))
        {
            throw new ArgumentException($"Job '{name}' has a handler already.", nameof(jobName));
        }

        return this;
    }

    private OrderLibWorkerOptions SetFallback(JobHandlerRegistration registration)
    {
        if (Fallback is not null)
        {
            throw new ArgumentException("A fallback handler (HandleAny) is set already.", nameof(registration));
        }

        Fallback = registration;
        return this;
    }

    private static string DefaultWorkerId()
    {
        var machine = Environment.MachineName;
        if (machine.Length > 150)
        {
            machine = machine[..150];
        }

        return string.Create(CultureInfo.InvariantCulture, $"{machine}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    }
}

/// <summary>A handler as registered: the type resolved per run (or null for a delegate), and how to invoke it.</summary>
internal sealed record JobHandlerRegistration(Type? HandlerType, Func<IServiceProvider, JobExecutionContext, CancellationToken, Task> InvokeAsync);
