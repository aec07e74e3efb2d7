namespace OrderLib;

/// <summary>One attempt of one job. The record is immutable; which transitions are allowed is <see cref="RunTransitions"/>, what follows an ending <see cref="RunEnding"/>.</summary>
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

    /// <summary>The pipeline run that created this run (its retries keep it), or null for a run enqueued on its own.</summary>
    public PipelineRunId? PipelineRunId { get; init; }

    /// <summary>The run's enqueue, start or finish time, as <paramref name="timestamp"/> names it; null when it has not started or finished yet.</summary>
    public DateTimeOffset? TimeOf(RunTimestamp timestamp) => timestamp switch
    {
        RunTimestamp.Started => StartedAt,
        RunTimestamp.Finished => FinishedAt,
        _ => EnqueuedAt,
    };

    /// <summary>Builds a new pending run, available at once.</summary>
    public static JobRun CreatePending(RunId id, JobId jobId, int attempt, DateTimeOffset now) =>
        new(id, jobId, RunStatus.Pending, attempt, now, now, null, null, null, null, null);
}
