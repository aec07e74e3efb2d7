
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
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IRunQueueStore
{
    /// <summary>Claims up to <see cref="ClaimRequest.Limit"/> ready runs for the worker, starting them at the clock's time and leasing them for <see cref="ClaimRequest.LeaseDuration"/>.</summary>
    /// <returns>The claimed runs in claim order; empty when none is ready.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/>, or its <see cref="ClaimRequest.Clock"/>, is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The request's <see cref="ClaimRequest.Limit"/> is less than 1.</exception>
    Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the worker's lease on the run to <paramref name="leaseExpiresAt"/> and tells whether cancellation was requested.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the worker's run as <paramref name="outcome"/> (Succeeded with <paramref name="output"/> when given, Failed with
    /// <paramref name="errorText"/>, or Cancelled when the worker stopped on request), then retries or cascades as
    /// described on the interface. The error text is kept for Failed and Cancelled, not for Succeeded; the lease is cleared.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is Pending or Running.</exception>
    /// <exception cref="ArgumentException"><paramref name="output"/> is given with an outcome other than Succeeded (<see cref="RunOutcome.CheckOutput"/>).</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed (the output is not written).</exception>
    Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken);

    /// <summary>
    /// Records many outcomes in one transaction with a constant number of statements, whatever their number: each run ends
    /// exactly as <see cref="CompleteRunAsync"/> would end it (retry or cascade as described on the interface), fenced on the
    /// outcome's own worker. An outcome whose run that worker no longer holds (not Running, held by another worker, or no
    /// such run) changes nothing and comes back with <see cref="OutcomeResult.Lost"/> set; the others commit. The final
    /// state does not depend on the order of the outcomes; where several outcomes cascade to the same pending run, it is
    /// cancelled once, by the earliest of them in the list (whose reason and <see cref="RunCompletion.CancelledDownstream"/>
    /// name it).
    /// </summary>
    /// <returns>One result per outcome, in the order given.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="outcomes"/> or <paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentException">Two outcomes name the same run, an outcome's status is Pending or Running, or an output comes with a status other than Succeeded; nothing changed.</exception>
    Task<IReadOnlyList<OutcomeResult>> CompleteRunsAsync(IReadOnlyList<RunOutcome> outcomes, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken);

    /// <summary>
    /// Ends up to <paramref name="limit"/> Running runs whose lease expired before <paramref name="now"/>, earliest lease
    /// first, then run id: as Failed with the error "worker lost" (retried when attempts remain), or as Cancelled with the
    /// error "cancelled; worker lost" when cancellation had been requested; each then retries or cascades as described on
    /// the interface. A run that completed in the meantime is never touched.
    /// </summary>
    /// <returns>What happened to each rescued run, in that order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken);
}

/// <summary>A worker's request for work.</summary>
/// <param name="WorkerId">Who claims.</param>
/// <param name="Clients">The clients the worker serves.</param>
/// <param name="Limit">How many runs at most; at least 1.</param>
/// <param name="Clock">
/// The clock the store reads the claim's time from (through <see cref="OrderLibClock.Now"/>) once the claim holds what it
/// needs — on SQLite after the write lock —, so a run never starts before an upstream success the claim saw, however
/// long the claim waited behind other writers.
/// </param>
/// <param name="LeaseDuration">How long after that time the claimed runs are held unless heartbeats extend it; positive.</param>
public sealed record ClaimRequest(WorkerId WorkerId, Clients Clients, int Limit, TimeProvider Clock, TimeSpan LeaseDuration);

/// <summary>A run a worker claimed, with what the worker needs to execute it.</summary>
/// <param name="Run">The run, now Running and held by the worker.</param>
/// <param name="ClientId">The client of the run's job.</param>
/// <param name="JobName">The job's name, which picks the handler.</param>
/// <param name="MaxAttempts">The job's max attempts, so the worker knows whether this is the last one.</param>
/// <param name="Input">The input the run was created with, or null.</param>
/// <param name="TraceContext">The trace context of whoever enqueued or triggered the run (kept by its retries), or null; read with the claim, no extra round trip.</param>
public sealed record ClaimedRun(JobRun Run, ClientId ClientId, string JobName, int MaxAttempts, RunPayload? Input = null, RunTraceContext? TraceContext = null);

/// <summary>The outcome of a heartbeat.</summary>
/// <param name="Run">The run with its extended lease.</param>
/// <param name="CancelRequested">True when the worker should stop and report the run Cancelled.</param>
public sealed record HeartbeatResult(JobRun Run, bool CancelRequested);

/// <summary>What ending a run did.</summary>
/// <param name="Run">The run in its terminal state.</param>
/// <param name="Retry">The next attempt, created because the run failed with attempts left; otherwise null.</param>
/// <param name="CancelledDownstream">The pending runs of dependent jobs cancelled because this run failed for good or was cancelled.</param>
public sealed record RunCompletion(JobRun Run, JobRun? Retry, IReadOnlyList<RunId> CancelledDownstream);

/// <summary>What a worker reports about one run it holds.</summary>
/// <param name="RunId">The run.</param>
/// <param name="WorkerId">The worker that holds it.</param>
/// <param name="Status">Succeeded, Failed, or Cancelled (the worker stopped on request).</param>
/// <param name="Error">The error text of a failure or the reason of a cancellation; ignored for a success.</param>
/// <param name="Output">The output recorded with a success; only a Succeeded outcome may carry one.</param>
public sealed record RunOutcome(RunId RunId, WorkerId WorkerId, RunStatus Status, string? Error, RunPayload? Output = null)
{
    /// <summary>Checks a batch for <see cref="IRunQueueStore.CompleteRunsAsync"/>: every status an outcome, no run twice, outputs only with successes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="outcomes"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">Two outcomes name the same run, a status is Pending or Running, or an output comes with a status other than Succeeded.</exception>
    public static void CheckBatch(IReadOnlyList<RunOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var seen = new HashSet<RunId>();
        foreach (var outcome in outcomes)
        {
            ArgumentNullException.ThrowIfNull(outcome, nameof(outcomes));
            if (outcome.Status is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
            {
                throw new ArgumentException($"Run {outcome.RunId}: a worker reports Succeeded, Failed or Cancelled, not {outcome.Status}.", nameof(outcomes));
            }

            CheckOutput(outcome.RunId, outcome.Status, outcome.Output, nameof(outcomes));
            if (!seen.Add(outcome.RunId))
            {
                throw new ArgumentException($"Run {outcome.RunId} has two outcomes in one batch.", nameof(outcomes));
            }
        }
    }

    /// <summary>Checks that an output comes only with a success: a run records an output when, and only when, it succeeds.</summary>
    /// <param name="runId">The run, named in the error.</param>
    /// <param name="status">How the run ends.</param>
    /// <param name="output">The output to record, or null.</param>
    /// <param name="paramName">The argument named in the error.</param>
    /// <exception cref="ArgumentException"><paramref name="output"/> is given and <paramref name="status"/> is not Succeeded.</exception>
    public static void CheckOutput(RunId runId, RunStatus status, RunPayload? output, string paramName)
    {
        if (output is not null && status != RunStatus.Succeeded)
        {
            throw new ArgumentException($"Run {runId}: only a success records an output, not a {status} outcome.", paramName);
        }
    }
}

/// <summary>What recording one outcome of a batch did: exactly one of <see cref="Completion"/> and <see cref="Lost"/> is set.</summary>
/// <param name="Outcome">The outcome as given.</param>
/// <param name="Completion">How the run ended, when the worker still held it.</param>
/// <param name="Lost">Why nothing changed, when the worker no longer held the run.</param>
public sealed record OutcomeResult(RunOutcome Outcome, RunCompletion? Completion, LostRun? Lost);

/// <summary>Why an outcome was not recorded: the worker no longer holds the run.</summary>
/// <param name="Status">The run's status now, or null when no run has that id.</param>
/// <param name="Holder">The worker holding the run now, if it is Running under another worker.</param>
public sealed record LostRun(RunStatus? Status, WorkerId? Holder);
