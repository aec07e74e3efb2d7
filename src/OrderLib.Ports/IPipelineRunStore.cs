namespace OrderLib.Ports;

/// <summary>
/// Driven port: the read side of pipeline runs (one record per trigger, created by
/// <see cref="IRunStore.TriggerPipelinesAsync"/> and by <see cref="IScheduleStore.EnqueueDueRunsAsync"/>) and their
/// cancellation as a whole. Every method is scoped to one client: another client's pipeline run ids behave as not existing.
/// A job's runs in a pipeline run are the chain of attempts it created or joined: that run and the retries that followed
/// it (a job's next attempt-1 run starts a new chain). A page costs a constant number of statements.
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IPipelineRunStore
{
    /// <summary>
    /// The client's pipeline runs matching <paramref name="filter"/> (validated by the caller), newest first (by id),
    /// strictly before <paramref name="before"/> when given, at most <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<PipelineRunSummary>> ListPipelineRunsAsync(ClientId client, PipelineRunFilter filter, PipelineRunId? before, int limit, CancellationToken cancellationToken);

    /// <summary>The pipeline run with its input and its jobs in topological order, each with its runs; null when the client has no such pipeline run.</summary>
    Task<PipelineRunDetail?> GetPipelineRunAsync(ClientId client, PipelineRunId id, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels, in one transaction, every active run the pipeline run created (its retries included) as
    /// <see cref="IRunStore.CancelRunAsync"/> would, one after the other in run id order: a Pending run at once, with
    /// <paramref name="reason"/>, and the pending runs of its transitive dependents with it (an upstream reason); a Running
    /// run only marked <see cref="JobRun.CancelRequested"/>. Runs it joined belong to another trigger and are not asked to
    /// stop. A pipeline run with no active run of its own changes nothing.
    /// </summary>
    /// <exception cref="PipelineRunNotFoundException">The client has no such pipeline run.</exception>
    Task<PipelineCancellation> CancelPipelineRunAsync(ClientId client, PipelineRunId id, string? reason, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>What a trigger records on its pipeline run besides its jobs.</summary>
/// <param name="Kind">Manual or Schedule.</param>
/// <param name="Label">The caller's label (checked with <see cref="TriggerOptions.RequireLabel"/>), or null.</param>
/// <param name="Input">The input of every run the trigger creates, or null.</param>
public sealed record PipelineTrigger(PipelineTriggerKind Kind, string? Label, RunPayload? Input)
{
    /// <summary>
    /// The W3C trace context of the triggering call, stored with every run the trigger creates (their retries keep it;
    /// their claims return it as <see cref="ClaimedRun.TraceContext"/>); null for none. The run service sets it from
    /// <see cref="System.Diagnostics.Activity.Current"/>.
    /// </summary>
    public RunTraceContext? TraceContext { get; init; }

    /// <summary>A manual trigger with the options' label and input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static PipelineTrigger Manual(TriggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new PipelineTrigger(PipelineTriggerKind.Manual, options.Label, options.Input);
    }
}

/// <summary>The result of a trigger: the pipeline run it created and, per job of the trigger's union, the run created or joined.</summary>
/// <param name="Id">The new pipeline run.</param>
/// <param name="Runs">One result per job, in topological order (<see cref="IRunStore.TriggerPipelinesAsync"/>).</param>
public sealed record TriggeredPipeline(PipelineRunId Id, IReadOnlyList<EnqueueResult> Runs)
{
    /// <summary>The runs this trigger created, in topological order.</summary>
    public IEnumerable<JobRun> Created => Runs.Where(r => r.Created).Select(r => r.Run);

    /// <summary>The active runs this trigger joined (the job had one already), in topological order.</summary>
    public IEnumerable<JobRun> Joined => Runs.Where(r => !r.Created).Select(r => r.Run);
}
