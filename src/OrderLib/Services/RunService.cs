using System.Diagnostics;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>Runs of one client's jobs. Obtain it from <see cref="IOrderLib.Runs"/>.</summary>
public sealed class RunService
{
    private readonly OrderLibContext _context;

    internal RunService(OrderLibContext context) => _context = context;

    /// <summary>
    /// Asks for a run of the job: creates a pending run, or returns the job's active (Pending or Running) run
    /// unchanged, so repeated or concurrent calls are harmless.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<EnqueueResult> EnqueueAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        EnqueueAsync(jobId, null, cancellationToken);

    /// <summary>
    /// Asks for a run of the job with <paramref name="input"/>, which its handler reads (<see cref="JobExecutionContext.Input"/>):
    /// creates a pending run carrying it, or returns the job's active (Pending or Running) run unchanged, with
    /// <see cref="EnqueueResult.Created"/> false and its own input kept: this <paramref name="input"/> is then not written.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="input">The run's input (checked JSON of at most <see cref="RunPayload.MaxBytes"/> bytes, see <see cref="RunPayload.Parse"/>), or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <remarks>
    /// The W3C trace context of <see cref="Activity.Current"/> (an <c>orderlib.enqueue</c> span when something listens to
    /// <see cref="OrderLibTelemetry.ActivitySourceName"/>) is stored with a created run: its execution joins that trace.
    /// </remarks>
    public Task<EnqueueResult> EnqueueAsync(JobId jobId, RunPayload? input, CancellationToken cancellationToken = default)
    {
        if (!Instrumentation.Source.HasListeners())
        {
            return _context.Ready.RaiseAfter(_context.RunStore.EnqueueRunAsync(_context.Client, jobId, input, RunTraceContext.Current(), _context.Now(), cancellationToken), enqueue => !enqueue.Created);
        }

        return EnqueueTracedAsync(jobId, input, cancellationToken);
    }

    private async Task<EnqueueResult> EnqueueTracedAsync(JobId jobId, RunPayload? input, CancellationToken cancellationToken)
    {
        using var activity = StartActivity(OrderLibTelemetry.Spans.Enqueue);
        activity?.SetTag(OrderLibTelemetry.Attributes.JobId, jobId.Value);
        try
        {
            var enqueue = await _context.Ready.RaiseAfter(_context.RunStore.EnqueueRunAsync(_context.Client, jobId, input, RunTraceContext.Current(), _context.Now(), cancellationToken), e => !e.Created).ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag(OrderLibTelemetry.Attributes.RunId, enqueue.Run.Id.Value);
                activity.SetTag(OrderLibTelemetry.Attributes.RunsCreated, enqueue.Created ? 1 : 0);
                activity.SetTag(OrderLibTelemetry.Attributes.RunsJoined, enqueue.Created ? 0 : 1);
            }

            return enqueue;
        }
        catch (Exception exception)
        {
            Instrumentation.RecordError(activity, exception);
            throw;
        }
    }

    private Activity? StartActivity(string name)
    {
        var activity = Instrumentation.Source.StartActivity(name, ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingSystem, "orderlib");
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingOperationType, "send");
            activity.SetTag(OrderLibTelemetry.Attributes.Client, _context.Client.Value);
        }

        return activity;
    }

    /// <summary>Starts the pending run for <paramref name="workerId"/>, who then holds it for the configured lease duration.</summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    /// <exception cref="JobPausedException">Its job is paused (<see cref="JobService.PauseAsync"/>).</exception>
    /// <exception cref="RunNotAvailableException">The run may not start yet.</exception>
    /// <exception cref="DependenciesNotSatisfiedException">A job it depends on has no successful latest run; the error names each with its status.</exception>
    public Task<JobRun> StartAsync(RunId runId, WorkerId workerId, CancellationToken cancellationToken = default)
    {
        var now = _context.Now();
        return _context.RunStore.StartRunAsync(_context.Client, runId, workerId, now, OrderLibClock.LeaseEnd(now, _context.Options.LeaseDuration), cancellationToken);
    }

    /// <summary>
    /// Enqueues the job and every job that depends on it, directly or transitively, in one transaction, so the whole
    /// pipeline runs in dependency order; jobs with an active run keep it. The one-element case of
    /// <see cref="TriggerAsync(IReadOnlyCollection{JobId}, TriggerOptions?, CancellationToken)"/>, which records the pipeline run.
    /// </summary>
    /// <returns>The new pipeline run's id and one result per job: the triggered job first, then its dependents upstream before downstream, ties by job id.</returns>
    /// <exception cref="OrderLibValidationException">The options' label is invalid; nothing was enqueued.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<TriggeredPipeline> TriggerAsync(JobId jobId, TriggerOptions? options = null, CancellationToken cancellationToken = default) =>
        TriggerAsync([jobId], options, cancellationToken);

    /// <summary>
    /// Enqueues the jobs and every job that depends on one of them, directly or transitively, in one transaction: the
    /// union of their pipelines, each job once, runs in dependency order; jobs with an active run keep it (the trigger
    /// joins it). The same transaction records one pipeline run of kind <see cref="PipelineTriggerKind.Manual"/> with the
    /// options' label and input and every job of the union (read it through <see cref="IOrderLib.Pipelines"/>); every run it
    /// creates carries the pipeline run's id and the input (<see cref="JobRun.PipelineRunId"/>), and so do their retries.
    /// The roots may depend on each other.
    /// </summary>
    /// <returns>
    /// The new pipeline run's id and one result per job of the union, in topological order: upstream before downstream,
    /// ties by job id (new runs are created in that order, so equal priorities are claimed in it);
    /// <see cref="TriggeredPipeline.Created"/> and <see cref="TriggeredPipeline.Joined"/> tell the runs created from those joined.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="jobIds"/> is null.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="jobIds"/> is empty or names a job twice, or the options' label is empty, malformed or longer than <see cref="TriggerOptions.MaxLabelLength"/>; nothing was enqueued.</exception>
    /// <exception cref="JobNotFoundException">The client has no job with one of the ids (the first such in the given order); nothing was enqueued.</exception>
    public Task<TriggeredPipeline> TriggerAsync(IReadOnlyCollection<JobId> jobIds, TriggerOptions? options = null, CancellationToken cancellationToken = default)
    {
        PipelineRoots.Check(jobIds);
        var trigger = PipelineTrigger.Manual((options ?? new TriggerOptions()).Validate());
        if (!Instrumentation.Source.HasListeners())
        {
            return _context.Ready.RaiseAfter(
                _context.RunStore.TriggerPipelinesAsync(_context.Client, jobIds, trigger with { TraceContext = RunTraceContext.Current() }, _context.Now(), cancellationToken),
                triggered => !triggered.Runs.Any(e => e.Created));
        }

        return TriggerTracedAsync(jobIds, trigger, cancellationToken);
    }

    // The trigger inside an orderlib.trigger span, whose context the created runs carry.
    private async Task<TriggeredPipeline> TriggerTracedAsync(IReadOnlyCollection<JobId> jobIds, PipelineTrigger trigger, CancellationToken cancellationToken)
    {
        using var activity = StartActivity(OrderLibTelemetry.Spans.Trigger);
        activity?.SetTag(OrderLibTelemetry.Attributes.TriggerRoots, jobIds.Count);
        try
        {
            var triggered = await _context.Ready.RaiseAfter(
                _context.RunStore.TriggerPipelinesAsync(_context.Client, jobIds, trigger with { TraceContext = RunTraceContext.Current() }, _context.Now(), cancellationToken),
                t => !t.Runs.Any(e => e.Created)).ConfigureAwait(false);
            if (activity is not null)
            {
                var created = triggered.Runs.Count(e => e.Created);
                activity.SetTag(OrderLibTelemetry.Attributes.PipelineRunId, triggered.Id.Value);
                activity.SetTag(OrderLibTelemetry.Attributes.RunsCreated, created);
                activity.SetTag(OrderLibTelemetry.Attributes.RunsJoined, triggered.Runs.Count - created);
            }

            return triggered;
        }
        catch (Exception exception)
        {
            Instrumentation.RecordError(activity, exception);
            throw;
        }
    }

    /// <summary>
    /// An operator's override: marks the running run Succeeded, whichever worker holds it (its worker's own later report is
    /// then refused). Workers report their runs through <see cref="WorkerRunService.ReportSucceededAsync(RunId, WorkerId, RunPayload?, CancellationToken)"/> instead.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running.</exception>
    public Task<RunCompletion> MarkSucceededAsync(RunId runId, CancellationToken cancellationToken = default) =>
        MarkSucceededAsync(runId, null, cancellationToken);

    /// <summary>
    /// An operator's override: marks the running run Succeeded with <paramref name="output"/>, whichever worker holds it
    /// (see <see cref="MarkSucceededAsync(RunId, CancellationToken)"/>). The output is written only when the run ends here.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="output">What the run produced, read by its dependents' handlers and by <see cref="GetPayloadsAsync"/>; null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running; nothing was written.</exception>
    public Task<RunCompletion> MarkSucceededAsync(RunId runId, RunPayload? output, CancellationToken cancellationToken = default) =>
        _context.Ready.RaiseAfter(_context.RunStore.FinishRunAsync(_context.Client, runId, RunStatus.Succeeded, null, output, _context.Now(), _context.Options.RetryPolicy, cancellationToken));

    /// <summary>
    /// An operator's override: marks the running run Failed with <paramref name="errorText"/>, whichever worker holds it. With attempts left
    /// the next attempt is enqueued after a backoff; otherwise the pending runs of its dependents are cancelled.
    /// The error text is checked before the run is looked up and stored capped at <see cref="TextRules.MaxReportLength"/>
    /// (8,000) characters (text elements): a longer one keeps its head and ends in <c>… [truncated: N characters in all]</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="errorText"/> is null.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="errorText"/> holds a NUL or a lone surrogate.</exception>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running.</exception>
    public Task<RunCompletion> MarkFailedAsync(RunId runId, string errorText, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(errorText);
        var stored = TextRules.CapReport(errorText, nameof(errorText), "An error text");
        return _context.Ready.RaiseAfter(_context.RunStore.FinishRunAsync(_context.Client, runId, RunStatus.Failed, stored, null, _context.Now(), _context.Options.RetryPolicy, cancellationToken));
    }

    /// <summary>
    /// Cancels the run: a Pending run at once (and the pending runs of its dependents with it); a Running run is marked so
    /// that its worker learns it at the next heartbeat, stops and reports it Cancelled. The reason is checked before the run
    /// is looked up and stored capped at <see cref="TextRules.MaxReportLength"/> (8,000) characters (text elements), like an error text.
    /// </summary>
    /// <returns>The run as it is now: Cancelled, or Running with <see cref="JobRun.CancelRequested"/> set.</returns>
    /// <exception cref="OrderLibValidationException"><paramref name="reason"/> holds a NUL or a lone surrogate.</exception>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run has already ended.</exception>
    public Task<JobRun> CancelAsync(RunId runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        var stored = TextRules.CapReport(reason, nameof(reason), "A cancel reason");
        return _context.RunStore.CancelRunAsync(_context.Client, runId, stored, _context.Now(), cancellationToken);
    }

    /// <summary>
    /// Retries a run by hand: enqueues a new run (attempt 1) of its job with the same input, when the run is Failed or
    /// Cancelled and its job has no active run. A run enqueued meanwhile is not joined: the retry is refused naming it.
    /// </summary>
    /// <returns>The new pending run.</returns>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="RunNotRetryableException">The run is not Failed or Cancelled, or its job already has a Pending or Running run (named in the error); nothing was written.</exception>
    /// <exception cref="JobNotFoundException">The job was deleted between the reads.</exception>
    public async Task<JobRun> RetryAsync(RunId runId, CancellationToken cancellationToken = default)
    {
        var run = await GetAsync(runId, cancellationToken).ConfigureAwait(false);
        if (run.Status is not (RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new RunNotRetryableException(run.Id, run.Status);
        }

        var payloads = await GetPayloadsAsync(runId, cancellationToken).ConfigureAwait(false);
        var enqueue = await EnqueueAsync(run.JobId, payloads.Input, cancellationToken).ConfigureAwait(false);
        return enqueue.Created
            ? enqueue.Run
            : throw new RunNotRetryableException(run.Id, run.Status, enqueue.Run.Id, enqueue.Run.Status);
    }

    /// <summary>Returns the run.</summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    public async Task<JobRun> GetAsync(RunId runId, CancellationToken cancellationToken = default) =>
        await _context.RunStore.GetRunAsync(_context.Client, runId, cancellationToken) ?? throw new RunNotFoundException(runId);

    /// <summary>Returns the run's input (given when it was enqueued) and output (recorded with its success); either may be null.</summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    public async Task<RunPayloads> GetPayloadsAsync(RunId runId, CancellationToken cancellationToken = default) =>
        await _context.RunStore.GetRunPayloadsAsync(_context.Client, runId, cancellationToken) ?? throw new RunNotFoundException(runId);

    /// <summary>
    /// The jobs <paramref name="jobId"/> depends on directly, ordered by name (ordinal), each with its latest Succeeded run
    /// and that run's output (null when it never succeeded, or succeeded without an output). What a handler reads through
    /// <see cref="JobExecutionContext.GetUpstreamOutputsAsync"/>.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<UpstreamOutput>> GetUpstreamOutputsAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        _context.RunStore.GetUpstreamOutputsAsync(_context.Client, jobId, cancellationToken);

    /// <summary>
    /// Explains why the run is where it is now ("why isn't it running?"): every upstream job it waits for with its latest
    /// status, its job's pause, a retry's backoff, or that it is ready and waits for a worker; for a running run, its worker
    /// and lease; for an ended run, how it ended. <see cref="RunExplanation.ToString"/> words it in one sentence, the
    /// message of the error a start would be refused with, extended. One read of the store.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    public async Task<RunExplanation> ExplainAsync(RunId runId, CancellationToken cancellationToken = default) =>
        RunExplanation.Of(await _context.RunStore.GetRunFactsAsync(_context.Client, runId, cancellationToken), _context.Now());

    /// <summary>Lists the job's runs, newest first, one page at a time.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page, or null for the newest runs.</param>
    /// <param name="limit">The page size, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range.</exception>
    public async Task<Page<JobRun>> ListForJobAsync(JobId jobId, PageCursor? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        Paging.CheckLimit(limit);
        var runs = await _context.RunStore.ListRunsAsync(_context.Client, jobId, cursor is { } next ? new RunId(next.Key) : null, limit + 1, cancellationToken);
        return Paging.ToPage(runs, limit, run => run.Id.Value);
    }

    /// <summary>Lists the client's jobs in id order, each with its most recent run (null if it never ran).</summary>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page, or null for the first page.</param>
    /// <param name="limit">The page size, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range.</exception>
    public async Task<Page<JobWithLatestRun>> ListLatestAsync(PageCursor? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        Paging.CheckLimit(limit);
        var rows = await _context.RunStore.ListLatestRunsAsync(_context.Client, cursor is { } next ? new JobId(next.Key) : null, limit + 1, cancellationToken);
        return Paging.ToPage(rows, limit, row => row.Job.Id.Value);
    }

    /// <summary>
    /// The pending runs that may start now (available, and every job they depend on has a successful latest run),
    /// highest job priority first, then oldest. Reading them reserves nothing.
    /// </summary>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range (1 to 1000).</exception>
    public Task<IReadOnlyList<JobRun>> ListReadyAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        _context.RunStore.ListReadyRunsAsync(_context.Client, _context.Now(), Paging.CheckLimit(limit), cancellationToken);

}
