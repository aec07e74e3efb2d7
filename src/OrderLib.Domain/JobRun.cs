namespace OrderLib;

/// <summary>One attempt of one job. The record is immutable; the transition methods return the changed run or throw.</summary>
/// <param name="Id">The run's id.</param>
/// <param name="JobId">The job it runs.</param>
/// <param name="Status">Where it is in its life cycle.</param>
/// <param name="Attempt">1 for the first attempt, 2 for the first retry, and so on.</param>
/// <param name="EnqueuedAt">When it was created (UTC).</param>
/// <param name="AvailableAt">The earliest time it may start (UTC).</param>
/// <param name="StartedAt">When a worker started it, or null.</param>
/// <param name="FinishedAt">When it reached a terminal state, or null.</param>
/// <param name="WorkerId">The worker that started it, or null.</param>
/// <param name="LeaseExpiresAt">Until when the worker holds it, or null when nobody does.</param>
/// <param name="Error">Why it failed or was cancelled, or null.</param>
public sealed record JobRun(
    RunId Id,
    JobId JobId,
    RunStatus Status,
    int Attempt,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset AvailableAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    WorkerId? WorkerId,
    DateTimeOffset? LeaseExpiresAt,
    string? Error)
{
    /// <summary>True when someone asked to cancel this Running run; its worker learns it at its next heartbeat and stops.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>Builds a new pending run, available at once.</summary>
    public static JobRun CreatePending(RunId id, JobId jobId, int attempt, DateTimeOffset now) =>
        new(id, jobId, RunStatus.Pending, attempt, now, now, null, null, null, null, null);

    /// <summary>Returns the run started by <paramref name="workerId"/>, held until <paramref name="leaseExpiresAt"/>.</summary>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    public JobRun Start(WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt)
    {
        RunTransitions.Ensure(Id, Status, RunStatus.Running);
        return this with { Status = RunStatus.Running, StartedAt = now, WorkerId = workerId, LeaseExpiresAt = leaseExpiresAt };
    }

    /// <summary>Returns the run finished with <paramref name="outcome"/> (Succeeded or Failed) and the error text for a failure.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not Succeeded or Failed.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running.</exception>
    public JobRun Finish(RunStatus outcome, string? error, DateTimeOffset now)
    {
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A run finishes as Succeeded or Failed.");
        }

        RunTransitions.Ensure(Id, Status, outcome);
        return this with { Status = outcome, FinishedAt = now, LeaseExpiresAt = null, Error = outcome == RunStatus.Failed ? error : null };
    }

    /// <summary>Returns the run cancelled with <paramref name="reason"/>.</summary>
    /// <exception cref="IllegalRunTransitionException">The run is already terminal.</exception>
    public JobRun Cancel(string? reason, DateTimeOffset now)
    {
        RunTransitions.Ensure(Id, Status, RunStatus.Cancelled);
        return this with { Status = RunStatus.Cancelled, FinishedAt = now, LeaseExpiresAt = null, Error = reason };
    }

    /// <summary>Returns the next attempt of this failed run: a new pending run available at <paramref name="availableAt"/>.</summary>
    /// <exception cref="InvalidOperationException">This run has not failed.</exception>
    public JobRun NextAttempt(RunId id, DateTimeOffset now, DateTimeOffset availableAt)
    {
        if (Status != RunStatus.Failed)
        {
            throw new InvalidOperationException($"Only a failed run is retried; run {Id} is {Status}.");
        }

        return CreatePending(id, JobId, Attempt + 1, now) with { AvailableAt = availableAt };
    }
}
