using System.Globalization;

namespace OrderLib;

/// <summary>
/// What a store knows about one run that decides whether it may start: the run, its job (paused or not) and the jobs it
/// depends on whose latest run has not succeeded, each with that run's status. Every store returns the same facts; what they
/// mean is decided here, once (<see cref="EnsureStartable"/>, <see cref="RunExplanation.Of"/>).
/// </summary>
/// <param name="Run">The run.</param>
/// <param name="Job">Its job, as it is now.</param>
/// <param name="Unsatisfied">The upstream jobs whose latest run has not succeeded, in job id order (empty when none).</param>
public sealed record RunFacts(JobRun Run, Job Job, IReadOnlyList<UnsatisfiedDependency> Unsatisfied)
{
    /// <summary>
    /// Refuses a start at <paramref name="now"/> the first way it is not allowed, in this order: the run is not Pending, its
    /// job is paused, it is not available yet, an upstream job has no successful latest run. Returns when none applies.
    /// </summary>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    /// <exception cref="JobPausedException">Its job is paused.</exception>
    /// <exception cref="RunNotAvailableException">It is not available before a later time (a retry's backoff).</exception>
    /// <exception cref="DependenciesNotSatisfiedException">Some upstream job has no successful latest run; the error names each.</exception>
    public void EnsureStartable(DateTimeOffset now)
    {
        RunTransitions.Ensure(Run.Id, Run.Status, RunStatus.Running);
        if (Job.PausedAt is { } pausedAt)
        {
            throw new JobPausedException(Run.Id, Job.Id, Job.Name, pausedAt);
        }

        if (Run.AvailableAt > now)
        {
            throw new RunNotAvailableException(Run.Id, Run.AvailableAt);
        }

        if (Unsatisfied.Count > 0)
        {
            throw new DependenciesNotSatisfiedException(Run.Id, Unsatisfied);
        }
    }
}

/// <summary>
/// Why a run is where it is ("why isn't it running?"): the run, its job's name and every reason that applies now, each with
/// the data behind it. A pending run lists each thing that holds it (<see cref="WaitingOnUpstreamReason"/>,
/// <see cref="JobPausedReason"/>, <see cref="NotAvailableYetReason"/>, all of them when several apply) or, when nothing does,
/// <see cref="ReadyToClaimReason"/>; a running run <see cref="HeldByWorkerReason"/>; an ended run <see cref="EndedReason"/>.
/// </summary>
/// <param name="Run">The run.</param>
/// <param name="JobName">Its job's name.</param>
/// <param name="Reasons">The reasons, never empty, in the order above.</param>
public sealed record RunExplanation(JobRun Run, string JobName, IReadOnlyList<RunReason> Reasons)
{
    /// <summary>Explains the run of <paramref name="facts"/> as it stands at <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="facts"/> is null.</exception>
    public static RunExplanation Of(RunFacts facts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var (run, job) = (facts.Run, facts.Job);
        return new RunExplanation(run, job.Name, run.Status switch
        {
            RunStatus.Pending => PendingReasons(facts, now),
            RunStatus.Running => [new HeldByWorkerReason(run.WorkerId, run.LeaseExpiresAt, run.LeaseExpiresAt < now, run.CancelRequested)],
            _ => [new EndedReason(run.Status, run.FinishedAt, run.Error)],
        });
    }

    /// <summary>True when the run is pending and nothing holds it: a worker may claim it now.</summary>
    public bool IsReady => Reasons is [ReadyToClaimReason];

    /// <summary>
    /// The explanation as one sentence. A pending run that cannot start reads "Run N cannot start: " and its reasons joined
    /// by "; " — with a single reason, exactly the message of the error a start is refused with
    /// (<see cref="DependenciesNotSatisfiedException"/>, <see cref="JobPausedException"/>); otherwise "Run N can start: ",
    /// "Run N is running: " or "Run N has ended: " and its reason.
    /// </summary>
    public override string ToString()
    {
        var state = Run.Status switch
        {
            RunStatus.Pending => IsReady ? "can start" : "cannot start",
            RunStatus.Running => "is running",
            _ => "has ended",
        };
        return $"Run {Run.Id} {state}: {string.Join("; ", Reasons)}.";
    }

    // Every holder of a pending run, or the one reason it has none.
    private static List<RunReason> PendingReasons(RunFacts facts, DateTimeOffset now)
    {
        var (run, job) = (facts.Run, facts.Job);
        var reasons = new List<RunReason>();
        if (facts.Unsatisfied.Count > 0)
        {
            reasons.Add(new WaitingOnUpstreamReason(facts.Unsatisfied));
        }

        if (job.PausedAt is { } pausedAt)
        {
            reasons.Add(new JobPausedReason(job.Id, job.Name, pausedAt));
        }

        if (run.AvailableAt > now)
        {
            reasons.Add(new NotAvailableYetReason(run.AvailableAt));
        }

        if (reasons.Count == 0)
        {
            reasons.Add(new ReadyToClaimReason());
        }

        return reasons;
    }
}

/// <summary>One reason of a <see cref="RunExplanation"/>; <see cref="ToString"/> words it as a clause ("it waits for …").</summary>
public abstract record RunReason
{
    /// <summary>The reason as a clause of <see cref="RunExplanation.ToString"/>.</summary>
    public abstract override string ToString();

    /// <summary>A time as every reason writes it: ISO 8601 round-trip, UTC.</summary>
    protected static string Time(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}

/// <summary>The run waits for upstream jobs whose latest run has not succeeded.</summary>
/// <param name="Upstream">Each such job with its latest status (null: never ran), in job id order.</param>
public sealed record WaitingOnUpstreamReason(IReadOnlyList<UnsatisfiedDependency> Upstream) : RunReason
{
    /// <summary>E.g. <c>it waits for 'extract' (latest run Failed), 'clean' (never ran)</c>.</summary>
    public override string ToString() => $"it waits for {string.Join(", ", Upstream)}";
}

/// <summary>The run's job is paused: its runs are never claimed or started until it is resumed.</summary>
/// <param name="JobId">The job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="PausedAt">Since when (UTC).</param>
public sealed record JobPausedReason(JobId JobId, string JobName, DateTimeOffset PausedAt) : RunReason
{
    /// <summary>E.g. <c>its job 'load' is paused since 2026-01-01T00:00:00.0000000+00:00</c>.</summary>
    public override string ToString() => $"its job '{JobName}' is paused since {Time(PausedAt)}";
}

/// <summary>The run may not start before a later time (a retry's backoff).</summary>
/// <param name="AvailableAt">The earliest time it may start (UTC).</param>
public sealed record NotAvailableYetReason(DateTimeOffset AvailableAt) : RunReason
{
    /// <summary>E.g. <c>it is not available before 2026-01-01T00:05:00.0000000+00:00 (a retry's backoff)</c>.</summary>
    public override string ToString() => $"it is not available before {Time(AvailableAt)} (a retry's backoff)";
}

/// <summary>Nothing holds the pending run: it waits for a worker to claim it.</summary>
public sealed record ReadyToClaimReason : RunReason
{
    /// <summary><c>it is ready, waiting for a worker to claim it</c>.</summary>
    public override string ToString() => "it is ready, waiting for a worker to claim it";
}

/// <summary>A worker holds the running run.</summary>
/// <param name="WorkerId">The worker that holds it.</param>
/// <param name="LeaseExpiresAt">Until when (UTC).</param>
/// <param name="LeaseExpired">True when that time has passed: the worker stopped renewing its lease, and the next rescue ends the run.</param>
/// <param name="CancelRequested">True when a cancellation was asked for: the worker stops at its next heartbeat.</param>
public sealed record HeldByWorkerReason(WorkerId? WorkerId, DateTimeOffset? LeaseExpiresAt, bool LeaseExpired, bool CancelRequested) : RunReason
{
    /// <summary>E.g. <c>it is held by worker 'w1' with a lease until … (expired: the next rescue ends it); its cancellation was requested</c>.</summary>
    public override string ToString() =>
        $"it is held by worker '{WorkerId}' with a lease until {(LeaseExpiresAt is { } lease ? Time(lease) : "(none)")}"
        + (LeaseExpired ? " (expired: the next rescue ends it)" : "")
        + (CancelRequested ? "; its cancellation was requested, so its worker stops at its next heartbeat" : "");
}

/// <summary>The run has ended.</summary>
/// <param name="Status">How: Succeeded, Failed or Cancelled.</param>
/// <param name="FinishedAt">When (UTC).</param>
/// <param name="Error">Why it failed or was cancelled, or null.</param>
public sealed record EndedReason(RunStatus Status, DateTimeOffset? FinishedAt, string? Error) : RunReason
{
    /// <summary>E.g. <c>it ended Failed at 2026-01-01T00:00:00.0000000+00:00: boom</c>.</summary>
    public override string ToString() =>
        $"it ended {Status}{(FinishedAt is { } finished ? $" at {Time(finished)}" : "")}{(Error is null ? "" : $": {Error}")}";
}
