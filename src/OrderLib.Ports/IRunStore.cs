
namespace OrderLib.Ports;

/// <summary>
/// Driven port: runs. Every method is scoped to one client and atomic. Shared semantics (the contract suite
/// in tests/ is their definition):
/// <list type="bullet">
/// <item>A job has at most one active (Pending or Running) run; the database enforces it with a partial unique index.</item>
/// <item>A pending run is ready when it is available, its job is not paused (<see cref="Job.PausedAt"/>) and the most recent
/// run of every job it depends on Succeeded.</item>
/// <item>Readiness is kept incrementally (a count on the pending run of the unsatisfied upstream jobs, plus one while its job
/// is paused, changed when an upstream job's latest run starts or stops being a success and when the job is paused or
/// resumed), so reading ready runs never re-checks the graph.</item>
/// </list>
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IRunStore
{
    /// <summary>
    /// Creates a pending run (attempt 1, available at <paramref name="now"/>) for the job with <paramref name="input"/>, or
    /// returns its existing active run unchanged (its own input kept; <paramref name="input"/> is not written). The same
    /// as the overload with a trace context, without one: every store gets it from that overload.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, RunPayload? input, DateTimeOffset now, CancellationToken cancellationToken) =>
        EnqueueRunAsync(client, jobId, input, null, now, cancellationToken);

    /// <summary>
    /// Creates a pending run (attempt 1, available at <paramref name="now"/>) for the job with <paramref name="input"/> and
    /// <paramref name="traceContext"/> (the caller's W3C trace context, or null; its retries keep it and its claim returns
    /// it, <see cref="ClaimedRun.TraceContext"/>), or returns its existing active run unchanged (its own input and trace
    /// context kept).
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, RunPayload? input, RunTraceContext? traceContext, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Starts the pending run for <paramref name="workerId"/>, holding it until <paramref name="leaseExpiresAt"/>. A refusal is
    /// the first of <see cref="RunFacts.EnsureStartable"/>'s, in its order.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    /// <exception cref="JobPausedException">Its job is paused.</exception>
    /// <exception cref="RunNotAvailableException">The run is not available yet.</exception>
    /// <exception cref="DependenciesNotSatisfiedException">Some job it depends on has no successful latest run; the error names each, in job id order.</exception>
    Task<JobRun> StartRunAsync(ClientId client, RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the running run as <paramref name="outcome"/> (Succeeded, with <paramref name="output"/> when given, or
    /// Failed, with <paramref name="errorText"/>), whichever worker holds it (an operator's override; workers use
    /// <see cref="IRunQueueStore.CompleteRunAsync"/>). The error text is kept only for a failure, and the lease is cleared.
    /// A success makes the job's pending dependents one step closer to ready; a failure retries or cascades exactly as
    /// described on <see cref="IRunQueueStore"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not Succeeded or Failed.</exception>
    /// <exception cref="ArgumentException"><paramref name="output"/> is given with a failure (<see cref="RunOutcome.CheckOutput"/>).</exception>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running; nothing changed.</exception>
    Task<RunCompletion> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels the run: a Pending run becomes Cancelled at once (reason as its error text) and the pending runs of its
    /// transitive dependents are cancelled too; a Running run is only marked <see cref="JobRun.CancelRequested"/>, and its
    /// worker learns it at its next heartbeat and reports it Cancelled (a rescue of that run ends it Cancelled as well).
    /// Asking again for a run already marked changes nothing.
    /// </summary>
    /// <returns>The run as it is now: Cancelled, or Running with <see cref="JobRun.CancelRequested"/> set.</returns>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is already terminal.</exception>
    Task<JobRun> CancelRunAsync(ClientId client, RunId runId, string? reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Enqueues the jobs and every job that depends on one of them, directly or transitively, in one transaction, so the
    /// union of their pipelines runs in dependency order. Each job is enqueued once and keeps the one-active-run rule: a
    /// job with an active run keeps it (the pipeline run joins it). Triggering one job is the one-element case. The same
    /// transaction records one pipeline run (client, <paramref name="trigger"/>'s kind, label and input, created at
    /// <paramref name="now"/>) with one member per job of the union (its position in topological order, its name, the run
    /// created or joined, whether it joined and whether it is a root); every run it creates carries the pipeline run's id
    /// and the trigger's input, which their retries keep, and the trigger's <see cref="PipelineTrigger.TraceContext"/> (their
    /// claims return it as <see cref="ClaimedRun.TraceContext"/>).
    /// </summary>
    /// <returns>
    /// The new pipeline run's id and one result per job of the union, in topological order: upstream before downstream,
    /// ties by job id (so a single root comes first); new runs are created in that order.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="jobIds"/> or <paramref name="trigger"/> is null.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="jobIds"/> is empty or names a job twice (<see cref="PipelineRoots.Check(IReadOnlyCollection{JobId})"/>), or the label is invalid (<see cref="TriggerOptions.RequireLabel"/>).</exception>
    /// <exception cref="JobNotFoundException">The client has no such job (the first such id in the given order).</exception>
    Task<TriggeredPipeline> TriggerPipelinesAsync(ClientId client, IReadOnlyCollection<JobId> jobIds, PipelineTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Returns the run, or null when the client has no run with that id.</summary>
    Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken);

    /// <summary>Returns the run's input and output, or null when the client has no run with that id.</summary>
    Task<RunPayloads?> GetRunPayloadsAsync(ClientId client, RunId runId, CancellationToken cancellationToken);

    /// <summary>
    /// Every job the job depends on directly, ordered by name (ordinal), each with its latest Succeeded run and the output
    /// that run recorded (a later failed or pending run does not hide it). One read.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<UpstreamOutput>> GetUpstreamOutputsAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Returns, read together (one round trip in the database stores), what decides whether the run may start: the run, its
    /// job and its unsatisfied upstream jobs with their latest statuses, for <see cref="RunExplanation.Of"/>.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    Task<RunFacts> GetRunFactsAsync(ClientId client, RunId runId, CancellationToken cancellationToken);

    /// <summary>The job's runs newest first, at most <paramref name="limit"/>, older than run <paramref name="before"/> when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<JobRun>> ListRunsAsync(ClientId client, JobId jobId, RunId? before, int limit, CancellationToken cancellationToken);

    /// <summary>The client's jobs in id order, each with its newest run, at most <paramref name="limit"/>, after job <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    Task<IReadOnlyList<JobWithLatestRun>> ListLatestRunsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The pending runs that may start at <paramref name="now"/>, highest job priority first, then oldest, at most <paramref name="limit"/>.
    /// Reading them reserves nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken);
}

/// <summary>The rules every store and the run service apply to the jobs a trigger starts from.</summary>
public static class PipelineRoots
{
    /// <summary>Checks a whole trigger: its roots (<see cref="Check(IReadOnlyCollection{JobId})"/>) and its label (<see cref="TriggerOptions.RequireLabel"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="jobIds"/> or <paramref name="trigger"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The roots or the label break a rule.</exception>
    public static void Check(IReadOnlyCollection<JobId> jobIds, PipelineTrigger trigger)
    {
        Check(jobIds);
        ArgumentNullException.ThrowIfNull(trigger);
        TriggerOptions.RequireLabel(trigger.Label, "label");
    }

    /// <summary>Checks the roots of <see cref="IRunStore.TriggerPipelinesAsync"/>: at least one, each once.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="jobIds"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The list is empty, or names a job twice (the message gives its id).</exception>
    public static void Check(IReadOnlyCollection<JobId> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count == 0)
        {
            throw new OrderLibValidationException(nameof(jobIds), "A trigger needs at least one job id; the list is empty.");
        }

        var seen = new HashSet<JobId>();
        foreach (var jobId in jobIds)
        {
            if (!seen.Add(jobId))
            {
                throw new OrderLibValidationException(nameof(jobIds), $"Job {jobId} is listed twice; a trigger names each job once.");
            }
        }
    }
}
