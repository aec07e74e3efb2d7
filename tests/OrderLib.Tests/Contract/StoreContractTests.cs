using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

/// <summary>
/// The one contract suite for OrderLib's driven ports: every behaviour test lives here (split over partial files by
/// area) and runs unchanged against every adapter. A subclass only says how to build a store and how to clean up.
/// Each test runs as a fresh client, so tests sharing one database cannot see each other, and every timestamp is a
/// whole second after <see cref="T0"/>, so each adapter must give back exactly what it was given.
/// The workers' queue (<see cref="IRunQueueStore"/>) is not scoped to a client, and on PostgreSQL the database is shared
/// by the fixture's tests: so tests claim with their own client as the filter (one test claims for every client, with
/// a priority nobody else uses), and keep only their own runs from what a rescue returns.
/// </summary>
public abstract partial class StoreContractTests
{
    /// <summary>The base of every timestamp the suite passes in.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>Retries at once: no delay, no jitter.</summary>
    private static readonly RetryPolicy NoDelay = new(TimeSpan.Zero, TimeSpan.Zero, 0);

    // The jobs this test created (of any client), to tell its runs from other tests' in what a rescue returns.
    private readonly HashSet<JobId> _testJobs = [];

    private StoreSet? _stores;

    /// <summary>The client this test runs as; fresh for every test.</summary>
    protected ClientId Client { get; private set; }

    /// <summary>Another client, fresh for every test, to prove tenancy.</summary>
    protected ClientId OtherClient { get; private set; }

    private IJobStore Jobs => (_stores ?? throw new InvalidOperationException("No store yet.")).Jobs;

    private IDependencyStore Deps => _stores!.Dependencies;

    private IRunStore Runs => _stores!.Runs;

    private IRunQueueStore Queue => _stores!.Queue;

    private IScheduleStore Schedules => _stores!.Schedules;

    private IHistoryStore History => _stores!.History;

    private IPipelineRunStore Pipelines => _stores!.Pipelines;

    private IImportStore Imports => _stores!.Import;

    /// <summary>Builds the store under test for one test.</summary>
    protected abstract Task<StoreSet> CreateStoreAsync();

    /// <summary>Cleans up after one test; the default disposes the store when it is disposable.</summary>
    protected virtual async Task DisposeStoreAsync(StoreSet stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        switch (stores.Jobs)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Wraps a store that implements the eight ports.</summary>
    protected static StoreSet StoreOf<T>(T store)
        where T : IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore, IHistoryStore, IPipelineRunStore, IImportStore
        => new(store, store, store, store, store, store, store, store);

    [SetUp]
    public async Task CreateStoreForTest()
    {
        var unique = Guid.NewGuid().ToString("N");
        Client = new ClientId("t-" + unique);
        OtherClient = new ClientId("o-" + unique);
        _testJobs.Clear();
        _stores = await CreateStoreAsync();
    }

    [TearDown]
    public async Task DisposeStoreAfterTest()
    {
        if (_stores is { } stores)
        {
            _stores = null;
            await DisposeStoreAsync(stores);
        }
    }

    [Test]
    public void Capabilities_NameTheProviderAndWhetherItHasASchemaAndIsShared()
    {
        var capabilities = Jobs.Capabilities;
        var durable = capabilities.ProviderName != "InMemory";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(capabilities.ProviderName, Is.AnyOf("InMemory", "Sqlite", "Postgres"));
            Assert.That(capabilities.HasSchema, Is.EqualTo(durable));
            Assert.That(capabilities.SharedAcrossProcesses, Is.EqualTo(durable));
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A timestamp <paramref name="seconds"/> whole seconds after <see cref="T0"/>.</summary>
    protected static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    /// <summary>A clock standing at <see cref="At"/>(<paramref name="seconds"/>), for the claims, which read their time themselves.</summary>
    private static FakeTimeProvider ClockAt(int seconds) => new(At(seconds));

    private async Task<Job> CreateJobAsync(string name, int priority = 0, ClientId? client = null, int at = 0, int maxAttempts = 1, string? schedule = null)
    {
        var definition = new JobDefinition(name) { Priority = priority, MaxAttempts = maxAttempts, Schedule = schedule };
        var job = await Jobs.CreateJobAsync(client ?? Client, definition, At(at), None);
        _testJobs.Add(job.Id);
        return job;
    }

    private async Task<List<Job>> CreateJobsAsync(string prefix, int count)
    {
        var jobs = new List<Job>(count);
        for (var i = 0; i < count; i++)
        {
            jobs.Add(await CreateJobAsync($"{prefix}-{i:D3}"));
        }

        return jobs;
    }

    private Task<JobDependency> DependAsync(Job job, Job dependsOn, int at = 0) =>
        Deps.AddDependencyAsync(Client, job.Id, dependsOn.Id, At(at), None);

    private async Task<JobRun> EnqueueAsync(Job job, int at = 0) =>
        (await Runs.EnqueueRunAsync(Client, job.Id, null, At(at), None)).Run;

    private Task<JobRun> StartAsync(JobRun run, int at = 0, string worker = "worker-1") =>
        Runs.StartRunAsync(Client, run.Id, new WorkerId(worker), At(at), At(at + 60), None);

    private async Task<JobRun> FinishAsync(JobRun run, RunStatus outcome, int at = 0, string? error = null) =>
        (await Runs.FinishRunAsync(Client, run.Id, outcome, error, null, At(at), NoDelay, None)).Run;

    private Task<JobRun?> GetRunAsync(JobRun run) => Runs.GetRunAsync(Client, run.Id, None);

    private async Task<JobRun> RunToEndAsync(Job job, RunStatus outcome, int at = 0)
    {
        var run = await StartAsync(await EnqueueAsync(job, at), at);
        return await FinishAsync(run, outcome, at, outcome == RunStatus.Failed ? "boom" : null);
    }

    /// <summary>Gives the job a latest run in <paramref name="status"/> (the run has no dependencies of its own).</summary>
    private async Task<JobRun> RunInStatusAsync(Job job, RunStatus status, int at = 0)
    {
        var run = await EnqueueAsync(job, at);
        return status switch
        {
            RunStatus.Pending => run,
            RunStatus.Running => await StartAsync(run, at),
            RunStatus.Succeeded or RunStatus.Failed => await RunToEndAsync(job, status, at),
            RunStatus.Cancelled => await Runs.CancelRunAsync(Client, run.Id, "stopped", At(at), None),
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
        };
    }

    private async Task<RunId[]> ReadyRunIdsAsync(int at, int limit = 1000) =>
        (await Runs.ListReadyRunsAsync(Client, At(at), limit, None)).Select(r => r.Id).ToArray();

    private async Task<JobId[]> UpstreamIdsAsync(Job job) =>
        (await Deps.ListUpstreamAsync(Client, job.Id, None)).Select(j => j.Id).ToArray();

    private async Task<JobId[]> DownstreamIdsAsync(Job job) =>
        (await Deps.ListDownstreamAsync(Client, job.Id, None)).Select(j => j.Id).ToArray();

    private async Task<Job[]> AllJobsAsync(ClientId client) =>
        (await Jobs.ListJobsAsync(client, null, 1000, None)).ToArray();

    /// <summary>Exponential backoff from <paramref name="baseSeconds"/> capped at <paramref name="maxSeconds"/>.</summary>
    private static RetryPolicy Backoff(int baseSeconds, int maxSeconds, double jitter = 0) =>
        new(TimeSpan.FromSeconds(baseSeconds), TimeSpan.FromSeconds(maxSeconds), jitter);

    /// <summary>Claims for this test's client (unless <paramref name="clients"/> says otherwise), leased for <paramref name="lease"/> seconds.</summary>
    private Task<IReadOnlyList<ClaimedRun>> ClaimAsync(int at, string worker = "worker-1", int limit = 100, int lease = 60, Clients? clients = null) =>
        Queue.ClaimRunsAsync(new ClaimRequest(new WorkerId(worker), clients ?? Clients.Only(Client), limit, ClockAt(at), TimeSpan.FromSeconds(lease)), None);

    private async Task<RunId[]> ClaimIdsAsync(int at, string worker = "worker-1", int limit = 100, int lease = 60) =>
        (await ClaimAsync(at, worker, limit, lease)).Select(c => c.Run.Id).ToArray();

    /// <summary>Claims, checks that exactly <paramref name="expected"/> was claimed, and returns it as claimed.</summary>
    private async Task<JobRun> ClaimOnlyAsync(JobRun expected, int at, string worker = "worker-1", int lease = 60)
    {
        var claimed = await ClaimAsync(at, worker, lease: lease);
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { expected.Id }), $"the claim at {at} takes exactly run {expected.Id}");
        return claimed[0].Run;
    }

    private Task<RunCompletion> CompleteAsync(JobRun run, RunStatus outcome, int at, string worker = "worker-1", string? error = null, RetryPolicy? policy = null) =>
        Queue.CompleteRunAsync(run.Id, new WorkerId(worker), outcome, error, null, At(at), policy ?? NoDelay, None);

    private Task<HeartbeatResult> HeartbeatAsync(JobRun run, int at, int lease = 60, string worker = "worker-1") =>
        Queue.HeartbeatAsync(run.Id, new WorkerId(worker), At(at), At(at + lease), None);

    /// <summary>
    /// Rescues every run whose lease expired before <paramref name="at"/> (the queue serves every client, and on PostgreSQL
    /// every test of the fixture, so it repeats until a call comes back short) and returns this test's, in run id order.
    /// </summary>
    private async Task<RunCompletion[]> RescueAsync(int at, RetryPolicy? policy = null)
    {
        const int limit = 500;
        var mine = new List<RunCompletion>();
        for (var call = 0; call < 100; call++)
        {
            var batch = await Queue.RescueExpiredRunsAsync(At(at), policy ?? NoDelay, limit, None);
            mine.AddRange(batch.Where(c => _testJobs.Contains(c.Run.JobId)));
            if (batch.Count < limit)
            {
                return mine.OrderBy(c => c.Run.Id.Value).ToArray();
            }
        }

        Assert.Fail("100 rescues in a row came back full: a rescue does not end the runs it returns.");
        return [];
    }

    /// <summary>Checks each part of a completion (its list is compared by reference by the record's own equality).</summary>
    private static void AssertCompletion(RunCompletion actual, JobRun run, JobRun? retry, params RunId[] cancelledDownstream)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(actual.Run, Is.EqualTo(run), "the ended run");
            Assert.That(actual.Retry, Is.EqualTo(retry), "the next attempt");
            Assert.That(actual.CancelledDownstream, Is.EqualTo(cancelledDownstream), "the dependents' pending runs cancelled, in run id order");
        }
    }

    /// <summary>The next attempt a completion should have created: attempt + 1, pending, enqueued at <paramref name="at"/>, available at <paramref name="availableAt"/>.</summary>
    private static JobRun ExpectedRetry(RunCompletion completion, int at, int availableAt) =>
        JobRun.CreatePending(completion.Retry?.Id ?? new RunId(-1), completion.Run.JobId, completion.Run.Attempt + 1, At(at)) with { AvailableAt = At(availableAt) };

    /// <summary>A pending run as an upstream failure or cancellation leaves it.</summary>
    private static JobRun CancelledByUpstream(JobRun pending, string upstreamName, bool failed, int at) =>
        pending with { Status = RunStatus.Cancelled, FinishedAt = At(at), Error = failed ? $"Upstream job '{upstreamName}' failed" : $"Upstream job '{upstreamName}' was cancelled" };

    /// <summary>The ports of one store, usually the same object.</summary>
    /// <param name="Jobs">The job store.</param>
    /// <param name="Dependencies">The dependency store.</param>
    /// <param name="Runs">The run store.</param>
    /// <param name="Queue">The workers' run queue.</param>
    /// <param name="Schedules">The scheduler's port, or null when the store does not implement it (the schedule tests then fail).</param>
    /// <param name="History">The history's searches, statistics and retention.</param>
    /// <param name="Pipelines">The pipeline runs' reads and cancellation.</param>
    /// <param name="Import">The import of another system's jobs, dependencies and runs.</param>
    protected sealed record StoreSet(IJobStore Jobs, IDependencyStore Dependencies, IRunStore Runs, IRunQueueStore Queue, IScheduleStore Schedules, IHistoryStore History, IPipelineRunStore Pipelines, IImportStore Import);
}
