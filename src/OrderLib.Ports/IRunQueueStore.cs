
namespace OrderLib.Ports;

/// <summary>
/// Driven port: what workers need to share runs safely across any number of processes and machines. Unlike
/// <see cref="IRunStore"/>, these methods are not scoped to one client: a worker claims from every client or from
/// the set in <see cref="ClaimRequest.Clients"/>, and then proves ownership with its worker id (fencing).
/// Shared semantics (the contract suite is their definition):
/// <list type="bullet">
/// <item>Claim takes ready runs (Pending, available, waiting on nothing) by job priority descending then run id, and never
/// hands one run to two workers. PostgreSQL locks candidates with <c>FOR UPDATE SKIP LOCKED</c> so workers do not queue
/// behind each other; SQLite serialises writers with an immediate transaction; the in-memory store with a lock.</item>
/// <item>A run is held by the worker whose id it carries while it is Running. A lease that expired but was not rescued
/// yet is still held: nobody else can have the run until <see cref="RescueExpiredRunsAsync"/> ends it.</item>
/// <item>A failed attempt with attempts left (attempt &lt; the job's max attempts) creates the next attempt as a new
/// Pending run, available at <see cref="RetryPolicy.NextAttemptAt"/>. A run that ends Failed with no attempts left, or
/// Cancelled, cancels the Pending runs of every job that depends on its job, directly or transitively, with the reason
/// "Upstream job '&lt;name&gt;' failed" or "... was cancelled".</item>
/// </list>
/// </summary>
public interface IRunQueueStore
{
    /// <summary>Claims up to <see cref="ClaimRequest.Limit"/> ready runs for the worker, starting them and leasing them until <see cref="ClaimRequest.LeaseExpiresAt"/>.</summary>
    /// <returns>The claimed runs in claim order; empty when none is ready.</returns>
    Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the worker's lease on the run to <paramref name="leaseExpiresAt"/> and tells whether cancellation was requested.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the worker's run as <paramref name="outcome"/> (Succeeded, Failed with <paramref name="errorText"/>, or Cancelled
    /// when the worker stopped on request), then retries or cascades as described on the interface.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is Pending or Running.</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken);

    /// <summary>
    /// Ends up to <paramref name="limit"/> Running runs whose lease expired before <paramref name="now"/>: as Failed with the
    /// error "worker lost" (retried when attempts remain), or as Cancelled when cancellation had been requested. A run that
    /// completed in the meantime is never touched.
    /// </summary>
    /// <returns>What happened to each rescued run.</returns>
    Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken);
}

/// <summary>A worker's request for work.</summary>
/// <param name="WorkerId">Who claims.</param>
/// <param name="Clients">The clients the worker serves.</param>
/// <param name="Limit">How many runs at most; at least 1.</param>
/// <param name="Now">The time of the claim.</param>
/// <param name="LeaseExpiresAt">Until when the claimed runs are held unless heartbeats extend it.</param>
public sealed record ClaimRequest(WorkerId WorkerId, Clients Clients, int Limit, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt);

/// <summary>A run a worker claimed, with what the worker needs to execute it.</summary>
/// <param name="Run">The run, now Running and held by the worker.</param>
/// <param name="ClientId">The client of the run's job.</param>
/// <param name="JobName">The job's name, which picks the handler.</param>
/// <param name="MaxAttempts">The job's max attempts, so the worker knows whether this is the last one.</param>
public sealed record ClaimedRun(JobRun Run, ClientId ClientId, string JobName, int MaxAttempts);

/// <summary>The outcome of a heartbeat.</summary>
/// <param name="Run">The run with its extended lease.</param>
/// <param name="CancelRequested">True when the worker should stop and report the run Cancelled.</param>
public sealed record HeartbeatResult(JobRun Run, bool CancelRequested);

/// <summary>What ending a run did.</summary>
/// <param name="Run">The run in its terminal state.</param>
/// <param name="Retry">The next attempt, created because the run failed with attempts left; otherwise null.</param>
/// <param name="CancelledDownstream">The pending runs of dependent jobs cancelled because this run failed for good or was cancelled.</param>
public sealed record RunCompletion(JobRun Run, JobRun? Retry, IReadOnlyList<RunId> CancelledDownstream);
