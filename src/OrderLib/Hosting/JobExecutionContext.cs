using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>The input the run was enqueued with (<see cref="RunService.EnqueueAsync(JobId, RunPayload?, CancellationToken)"/>), or null.</summary>
    public RunPayload? Input => ClaimedRun.Input;

    /// <summary>The output the handler set (<see cref="SetOutput(RunPayload)"/>), or null; the worker records it when the handler returns.</summary>
    public RunPayload? Output { get; private set; }

    /// <summary>Deserializes <see cref="Input"/> (System.Text.Json, web defaults unless <paramref name="options"/> are given); default when there is none.</summary>
    /// <exception cref="JsonException">The input does not fit <typeparamref name="T"/>.</exception>
    public T? GetInput<T>(JsonSerializerOptions? options = null) => Input is { } input ? input.Deserialize<T>(options) : default;

    /// <summary>
    /// Sets the output to record with the run's success (a later call replaces it). It is written only if the handler
    /// then returns and the worker still holds the run; a handler that throws afterwards records none.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    public void SetOutput(RunPayload output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Output = output;
    }

    /// <summary>Serializes <paramref name="value"/> (System.Text.Json, web defaults unless <paramref name="options"/> are given) and sets it as the output, see <see cref="SetOutput(RunPayload)"/>.</summary>
    /// <exception cref="RunPayloadTooLargeException">The JSON is longer than <see cref="RunPayload.MaxBytes"/> bytes of UTF-8; the output is unchanged.</exception>
    /// <exception cref="NotSupportedException">The value's type cannot be serialized; the output is unchanged.</exception>
    public void SetOutput<T>(T value, JsonSerializerOptions? options = null) => SetOutput(RunPayload.From(value, options));

    /// <summary>
    /// The jobs this run's job depends on directly, ordered by name (ordinal), each with the output of its latest Succeeded
    /// run (null when it recorded none). Reads the store through the <see cref="IOrderLib"/> in <see cref="Services"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Services"/> has no <see cref="IOrderLib"/> (register OrderLib with <c>AddOrderLib</c>).</exception>
    /// <exception cref="JobNotFoundException">The job was deleted meanwhile.</exception>
    public Task<IReadOnlyList<UpstreamOutput>> GetUpstreamOutputsAsync(CancellationToken cancellationToken = default) =>
        Services.GetRequiredService<IOrderLib>().ForClient(ClientId).Runs.GetUpstreamOutputsAsync(JobId, cancellationToken);

    /// <summary>
    /// Fires when the worker begins a graceful shutdown. The handler may finish its work (the worker waits up to
    /// <see cref="OrderLibWorkerOptions.ShutdownTimeout"/>) or use this to wrap up early; its own cancellation token fires
    /// only when the grace period runs out.
    /// </summary>
    public CancellationToken WorkerStopping { get; }
}
