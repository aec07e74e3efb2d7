
namespace OrderLib.Ports;

/// <summary>
/// Driven port: job definitions. Every method is scoped to one client: a job of another client is treated as
/// not existing. Each write is atomic; when a method throws, nothing was written.
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IJobStore
{
    /// <summary>What this adapter supports.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>Creates a job; a scheduled one gets <see cref="Job.NextDueAt"/> = <see cref="JobSchedules.NextDueAt"/>(schedule, now).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid.</exception>
    /// <exception cref="DuplicateJobNameException">The client has a job with that name already (decided by the unique constraint, so it holds under concurrency).</exception>
    Task<Job> CreateJobAsync(ClientId client, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Returns the job, or null when the client has no job with that id.</summary>
    Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);

    /// <summary>Returns the job with that exact (trimmed) name, or null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken);

    /// <summary>Lists the client's jobs in id order, at most <paramref name="limit"/>, starting after id <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    Task<IReadOnlyList<Job>> ListJobsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the job's definition. A new priority is copied to the job's active run, so claim order follows it. A changed
    /// schedule text recomputes <see cref="Job.NextDueAt"/> from <paramref name="now"/>; an unchanged one keeps it (or computes it
    /// when the job has none yet, as for jobs scheduled before due times existed); none clears it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The new schedule text is invalid.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="DuplicateJobNameException">The new name is taken by another job of the client.</exception>
    Task<Job> UpdateJobAsync(ClientId client, JobId jobId, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Pauses the job at <paramref name="now"/>: from then on its runs are never claimed, listed as ready or started, and its
    /// schedule enqueues nothing; a run already Running finishes normally, and a pending run (the one it has, or one created
    /// later by an enqueue, a trigger or a retry) is held until <see cref="ResumeJobAsync"/>. Pausing a paused job changes
    /// nothing (it keeps its first <see cref="Job.PausedAt"/>). Nothing else of the job changes, <see cref="Job.UpdatedAt"/>
    /// included.
    /// </summary>
    /// <returns>The job as it is now.</returns>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<Job> PauseJobAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Resumes a paused job: its pending run may be claimed again as soon as nothing else holds it, and a due time that passed
    /// while it was paused makes the scheduler enqueue it once, as after downtime. Resuming a job that is not paused changes
    /// nothing.
    /// </summary>
    /// <returns>The job as it is now.</returns>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<Job> ResumeJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the job, its runs and its own dependencies. Refused, writing nothing, when other jobs depend on it unless
    /// <paramref name="deletion"/> has <see cref="JobDeletion.RemoveDependencies"/> (then those dependencies go too and the
    /// dependents' pending runs stop waiting for it), and then when it has an active run unless it has
    /// <see cref="JobDeletion.CancelActiveRun"/> (then the run goes with the job: a worker holding it is answered as for a
    /// run it no longer holds).
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="JobHasDependentsException">Other jobs depend on it and <paramref name="deletion"/> lacks <see cref="JobDeletion.RemoveDependencies"/>.</exception>
    /// <exception cref="JobHasActiveRunException">Its latest run is Pending or Running and <paramref name="deletion"/> lacks <see cref="JobDeletion.CancelActiveRun"/>.</exception>
    Task DeleteJobAsync(ClientId client, JobId jobId, JobDeletion deletion, CancellationToken cancellationToken);
}
