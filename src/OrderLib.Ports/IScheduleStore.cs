
namespace OrderLib.Ports;

/// <summary>
/// Driven port: scheduled jobs. A job with a schedule keeps its next due time (<see cref="Job.NextDueAt"/>): set from
/// <see cref="JobSchedules.NextDueAt"/> when the job is created, recomputed from "now" when an update changes the schedule
/// text (kept when the text is unchanged, cleared when the schedule is removed), and advanced by
/// <see cref="EnqueueDueRunsAsync"/> (not while the job is paused: a due time that passed meanwhile is consumed once after
/// it is resumed, so the occurrences missed while paused collapse into one run, as after downtime). Like <see cref="IRunQueueStore"/>, it is not scoped to one client: a scheduler
/// serves every client or the set it is given.
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IScheduleStore
{
    /// <summary>
    /// For up to <paramref name="limit"/> scheduled jobs due at or before <paramref name="now"/> (earliest due first, then job
    /// id) that are not paused, enqueues a run exactly as <see cref="IRunStore.EnqueueRunAsync(ClientId, JobId, RunPayload?, DateTimeOffset, CancellationToken)"/> does (a job with an active run keeps it: the
    /// occurrence is consumed without a second run) and moves the job's next due time to its first occurrence after
    /// <paramref name="now"/>, so occurrences missed during downtime collapse into one run; the job's other fields,
    /// <see cref="Job.UpdatedAt"/> included, do not change. A schedule that can no longer be read (a time zone this
    /// machine does not know) ends with the occurrence it consumed (<see cref="JobSchedules.NextDueAtOrEnd"/>): the due
    /// time becomes null, and saving the job again schedules it anew. Safe to call from several
    /// processes at once: each occurrence is consumed once (PostgreSQL locks due jobs <c>FOR UPDATE SKIP LOCKED</c>; SQLite
    /// serialises writers; the in-memory store locks). Each occurrence that creates a run also creates, in the same
    /// transaction, a pipeline run of kind <see cref="PipelineTriggerKind.Schedule"/> with the job as its one root and member
    /// and no input, and the run carries its id; an occurrence absorbed by an active run creates none.
    /// </summary>
    /// <param name="now">The time the scheduler runs at.</param>
    /// <param name="clients">The clients served.</param>
    /// <param name="limit">How many due jobs at most; at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One entry per consumed occurrence, in the order handled (earliest due first, then job id).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueRunsAsync(DateTimeOffset now, Clients clients, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The earliest next due time among the scheduled jobs of the clients that are not paused, or null when none is scheduled:
    /// a paused job's due time, which stays where it was until the job is resumed, never counts.
    /// </summary>
    Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients clients, CancellationToken cancellationToken);
}

/// <summary>What one due occurrence of a scheduled job did.</summary>
/// <param name="ClientId">The job's client.</param>
/// <param name="JobId">The job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="DueAt">The due time that was consumed.</param>
/// <param name="NextDueAt">The job's next due time now, or null when its schedule has no further occurrence.</param>
/// <param name="Enqueue">The run: created now, or the job's active run that absorbed the occurrence.</param>
public sealed record ScheduledEnqueue(ClientId ClientId, JobId JobId, string JobName, DateTimeOffset DueAt, DateTimeOffset? NextDueAt, EnqueueResult Enqueue)
{
    /// <summary>The pipeline run the occurrence created with its run, or null when an active run absorbed it.</summary>
    public PipelineRunId? PipelineRunId => Enqueue.Created ? Enqueue.Run.PipelineRunId : null;
}
