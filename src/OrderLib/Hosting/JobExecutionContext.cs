using OrderLib.Ports;

namespace OrderLib;

/// <summary>What a handler knows about the run it executes.</summary>
public sealed class JobExecutionContext
{
    /// <summary>Creates the context; the worker does this for each run, and host apps may do it to unit-test a handler.</summary>
    /// <param name="claimedRun">The run the worker claimed.</param>
    /// <param name="workerId">The id of the worker that holds the run.</param>
    /// <param name="services">The services of the DI scope created for this run.</param>
    /// <param name="workerStopping">Fires when the worker begins to shut down (before the handler's own token, which fires only when the grace period runs out).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public JobExecutionContext(ClaimedRun claimedRun, WorkerId workerId, IServiceProvider services, CancellationToken workerStopping = default)
    {
        ArgumentNullException.ThrowIfNull(claimedRun);
        ArgumentNullException.ThrowIfNull(services);
        ClaimedRun = claimedRun;
        WorkerId = workerId;
        Services = services;
        WorkerStopping = workerStopping;
    }

    /// <summary>The claimed run as the store returned it: the run, its client, its job's name and max attempts.</summary>
    public ClaimedRun ClaimedRun { get; }

    /// <summary>The run's id.</summary>
    public RunId RunId => ClaimedRun.Run.Id;

    /// <summary>The id of the run's job.</summary>
    public JobId JobId => ClaimedRun.Run.JobId;

    /// <summary>The job's name, which picked the handler.</summary>
    public string JobName => ClaimedRun.JobName;

    /// <summary>The client (tenant) the job belongs to; use <c>IOrderLib.ForClient</c> with it to work on that client's jobs.</summary>
    public ClientId ClientId => ClaimedRun.ClientId;

    /// <summary>The pipeline run that created the run (its retries keep it), or null for a run enqueued on its own.</summary>
    public PipelineRunId? PipelineRunId => ClaimedRun.Run.PipelineRunId;

    /// <summary>The attempt number: 1 for the first attempt, 2 for the first retry, and so on.</summary>
    public int Attempt => ClaimedRun.Run.Attempt;

    /// <summary>How many attempts the job gets in all.</summary>
    public int MaxAttempts => ClaimedRun.MaxAttempts;

    /// <summary>True when a failure of this attempt fails the run for good (no retry follows).</summary>
    public bool IsLastAttempt => Attempt >= MaxAttempts;

    /// <summary>The id of the worker that holds the run.</summary>
    public WorkerId WorkerId { get; }

    /// <summary>The services of the DI scope created for this run; disposed when the handler ends.</summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// Fires when the worker begins a graceful shutdown. The handler may finish its work (the worker waits up to
    /// <see cref="OrderLibWorkerOptions.ShutdownTimeout"/>) or use this to wrap up early; its own cancellation token fires
    /// only when the grace period runs out.
    /// </summary>
    public CancellationToken WorkerStopping { get; }
}
