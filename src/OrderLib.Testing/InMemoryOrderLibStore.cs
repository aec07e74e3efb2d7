using OrderLib.Ports;

namespace OrderLib.Testing;

/// <summary>
/// The reference implementation of OrderLib's driven ports, kept in process memory. Host applications use it to
/// unit-test code that depends on <see cref="IJobStore"/>, <see cref="IDependencyStore"/>, <see cref="IRunStore"/>,
/// <see cref="IRunQueueStore"/> and <see cref="IScheduleStore"/> without a database; the contract suite runs the same tests against it and the SQL
/// adapters so they cannot drift.
/// </summary>
/// <remarks>
/// One lock guards all state, so every method is atomic, and every refusal is decided before anything changes,
/// so a method that throws has written nothing. Unlike the SQL adapters, which keep readiness incrementally, this
/// store decides it from scratch each time it is asked: a pending run of job J is ready when it is available, J is not
/// paused and, for every job D that J depends on, D's most recent run (the one with the highest run id) has Succeeded.
/// Claims, heartbeats, completions and rescues take the same lock, so two workers never get the same run and a
/// completion is fenced on the run being Running and carrying the worker's id. Enqueueing due scheduled jobs takes
/// the same lock too, so each occurrence is consumed once however many schedulers call at once. Retry jitter comes from
/// <see cref="Random.Shared"/>. Timestamps are stored as given, converted to UTC. State lives as long as the instance and is not shared across
/// processes (<see cref="StoreCapabilities.SharedAcrossProcesses"/> is false).
/// </remarks>
public sealed partial class InMemoryOrderLibStore : IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore, IHistoryStore, IPipelineRunStore
{
    private static readonly StoreCapabilities InMemoryCapabilities = new("InMemory", HasSchema: false, SharedAcrossProcesses: false);

    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Job> _jobs = [];
    private readonly Dictionary<long, JobRun> _runs = [];

    // The input and output of the runs that have either, by run id (JobRun carries neither).
    private readonly Dictionary<long, RunPayloads> _payloads = [];

    // The trace context each run was enqueued or triggered with (retries copy it), by run id.
    private readonly Dictionary<long, RunTraceContext> _traces = [];

    // Run ids of each job, oldest first (ids only ever grow, so the last one is the job's most recent run).
    private readonly Dictionary<long, List<long>> _runsByJob = [];

    // Edges keyed (dependent job, upstream job), plus both adjacency directions in id order.
    private readonly Dictionary<(long JobId, long DependsOnJobId), JobDependency> _edges = [];
    private readonly Dictionary<long, SortedSet<long>> _upstream = [];
    private readonly Dictionary<long, SortedSet<long>> _downstream = [];

    private long _lastJobId;
    private long _lastRunId;

    /// <inheritdoc />
    /// <remarks>Provider <c>InMemory</c>, without a schema and not shared across processes.</remarks>
    public StoreCapabilities Capabilities => InMemoryCapabilities;

    // ---------------------------------------------------------------- jobs

    /// <inheritdoc />
    /// <remarks>Job ids come from a counter of the instance, starting at 1.</remarks>
    public Task<Job> CreateJobAsync(ClientId client, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (FindByName(client, definition.Name) is not null)
            {
                throw new DuplicateJobNameException(client, definition.Name);
            }

            return Task.FromResult(AddJob(client, definition, Utc(now)));
        }
    }

    /// <inheritdoc />
    public Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindJob(client, jobId));
        }
    }

    /// <inheritdoc />
    public Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindByName(client, name.Trim()));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListJobsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<Job> jobs = ClientJobsAfter(client, after).Take(limit).ToArray();
            return Task.FromResult(jobs);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Schedule texts are compared ordinally. An unchanged text keeps the job's due time as it is, null included: this store
    /// has no jobs from before due times existed. Claim order reads the job's current priority, so the active run is not
    /// touched.
    /// </remarks>
    public Task<Job> UpdateJobAsync(ClientId client, JobId jobId, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var job = RequireJob(client, jobId);
            if (FindByName(client, definition.Name) is { } holder && holder.Id != jobId)
            {
                throw new DuplicateJobNameException(client, definition.Name);
            }

            var updated = job.Redefined(definition, Utc(now));
            _jobs[jobId.Value] = updated;
            return Task.FromResult(updated);
        }
    }

    /// <inheritdoc />
    public Task<Job> PauseJobAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var job = RequireJob(client, jobId);
            if (job.IsPaused)
            {
                return Task.FromResult(job);
            }

            var paused = job with { PausedAt = Utc(now) };
            _jobs[jobId.Value] = paused;
            return Task.FromResult(paused);
        }
    }

    /// <inheritdoc />
    public Task<Job> ResumeJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var resumed = RequireJob(client, jobId) with { PausedAt = null };
            _jobs[jobId.Value] = resumed;
            return Task.FromResult(resumed);
        }
    }

    /// <inheritdoc />
    public Task DeleteJobAsync(ClientId client, JobId jobId, JobDeletion deletion, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            var id = jobId.Value;
            var dependents = _downstream[id].ToArray();
            if (dependents.Length > 0 && !deletion.HasFlag(JobDeletion.RemoveDependencies))
            {
                throw new JobHasDependentsException(jobId, dependents.Select(d => _jobs[d].Name).ToArray());
            }

            if (LatestRun(id) is { } latest && latest.Status.IsActive() && !deletion.HasFlag(JobDeletion.CancelActiveRun))
            {
                throw new JobHasActiveRunException(jobId, latest.Id, latest.Status);
            }

            foreach (var dependent in dependents)
            {
                _edges.Remove((dependent, id));
                _upstream[dependent].Remove(id);
            }

            foreach (var upstream in _upstream[id])
            {
                _edges.Remove((id, upstream));
                _downstream[upstream].Remove(id);
            }

            foreach (var runId in _runsByJob[id])
            {
                _runs.Remove(runId);
                _payloads.Remove(runId);
                _traces.Remove(runId);
            }

            _runsByJob.Remove(id);
            _upstream.Remove(id);
            _downstream.Remove(id);
            _jobs.Remove(id);
            return Task.CompletedTask;
        }
    }

    // ---------------------------------------------------------------- dependencies

    /// <inheritdoc />
    public Task<JobDependency> AddDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var job = RequireJob(client, jobId);
            var dependsOn = RequireJob(client, dependsOnJobId);
            var dependency = JobDependency.Create(job, dependsOn, Utc(now));
            if (_edges.ContainsKey((jobId.Value, dependsOnJobId.Value)))
            {
                throw new DuplicateDependencyException(jobId, dependsOnJobId);
            }

            var cycle = DependencyGraph.CycleClosedBy(jobId, dependsOnJobId, UpstreamOf);
            if (cycle is not null)
            {
                throw new DependencyCycleException(jobId, dependsOnJobId, cycle);
            }

            AddEdge(dependency);
            return Task.FromResult(dependency);
        }
    }

    /// <inheritdoc />
    public Task RemoveDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            RequireJob(client, dependsOnJobId);
            if (!_edges.Remove((jobId.Value, dependsOnJobId.Value)))
            {
                throw new DependencyNotFoundException(jobId, dependsOnJobId);
            }

            _upstream[jobId.Value].Remove(dependsOnJobId.Value);
            _downstream[dependsOnJobId.Value].Remove(jobId.Value);
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            IReadOnlyList<Job> jobs = _upstream[jobId.Value].Select(id => _jobs[id]).ToArray();
            return Task.FromResult(jobs);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            IReadOnlyList<Job> jobs = _downstream[jobId.Value].Select(id => _jobs[id]).ToArray();
            return Task.FromResult(jobs);
        }
    }

    // ---------------------------------------------------------------- runs

    /// <inheritdoc />
    public Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, RunPayload? input, RunTraceContext? traceContext, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            return Task.FromResult(EnqueueLocked(jobId, Utc(now), null, input, traceContext));
        }
    }

    /// <inheritdoc />
    public Task<JobRun> StartRunAsync(ClientId client, RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireRun(client, runId);
            now = Utc(now);
            FactsOf(run).EnsureStartable(now);
            var started = Started(run, workerId, now, Utc(leaseExpiresAt));
            _runs[runId.Value] = started;
            return Task.FromResult(started);
        }
    }

    /// <inheritdoc />
    public Task<RunCompletion> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A run finishes as Succeeded or Failed.");
        }

        RunOutcome.CheckOutput(runId, outcome, output, nameof(output));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireRun(client, runId);
            now = Utc(now);
            return Task.FromResult(EndWithOutput(Ended(run, outcome, errorText, now), output, now, retryPolicy));
        }
    }

    /// <inheritdoc />
    public Task<JobRun> CancelRunAsync(ClientId client, RunId runId, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireRun(client, runId);
            RunTransitions.Ensure(runId, run.Status, RunStatus.Cancelled);
            if (run.Status == RunStatus.Running)
            {
                var marked = run with { CancelRequested = true };
                _runs[runId.Value] = marked;
                return Task.FromResult(marked);
            }

            now = Utc(now);
            return Task.FromResult(End(Ended(run, RunStatus.Cancelled, reason, now), now, RetryPolicy.Default).Run);
        }
    }

    /// <inheritdoc />
    public Task<TriggeredPipeline> TriggerPipelinesAsync(ClientId client, IReadOnlyCollection<JobId> jobIds, PipelineTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        PipelineRoots.Check(jobIds, trigger);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            foreach (var jobId in jobIds)
            {
                RequireJob(client, jobId);
            }

            now = Utc(now);
            var pipelineRunId = new PipelineRunId(++_lastPipelineRunId);
            var results = TopologicalOrder(jobIds.Select(j => j.Value))
                .Select(id => EnqueueLocked(new JobId(id), now, pipelineRunId, trigger.Input, trigger.TraceContext))
                .ToArray();
            AddPipelineRun(pipelineRunId, client, trigger, now, results, jobIds.ToHashSet());
            return Task.FromResult(new TriggeredPipeline(pipelineRunId, results));
        }
    }

    /// <inheritdoc />
    public Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindRun(client, runId));
        }
    }

    /// <inheritdoc />
    public Task<RunPayloads?> GetRunPayloadsAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindRun(client, runId) is null ? null : PayloadsOf(runId.Value));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UpstreamOutput>> GetUpstreamOutputsAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            IReadOnlyList<UpstreamOutput> outputs = _upstream[jobId.Value]
                .Select(upstreamId =>
                {
                    var succeeded = Enumerable.Reverse(_runsByJob[upstreamId]).Select(id => _runs[id]).FirstOrDefault(run => run.Status == RunStatus.Succeeded);
                    return new UpstreamOutput(new JobId(upstreamId), _jobs[upstreamId].Name, succeeded?.Id, succeeded is null ? null : PayloadsOf(succeeded.Id.Value).Output);
                })
                .OrderBy(upstream => upstream.JobName, StringComparer.Ordinal)
                .ToArray();
            return Task.FromResult(outputs);
        }
    }

    /// <inheritdoc />
    public Task<RunFacts> GetRunFactsAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FactsOf(RequireRun(client, runId)));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<JobRun>> ListRunsAsync(ClientId client, JobId jobId, RunId? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            IReadOnlyList<JobRun> runs = Enumerable.Reverse(_runsByJob[jobId.Value])
                .Where(id => before is not { } b || id < b.Value)
                .Take(limit)
                .Select(id => _runs[id])
                .ToArray();
            return Task.FromResult(runs);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<JobWithLatestRun>> ListLatestRunsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<JobWithLatestRun> rows = ClientJobsAfter(client, after)
                .Take(limit)
                .Select(job => new JobWithLatestRun(job, LatestRun(job.Id.Value)))
                .ToArray();
            return Task.FromResult(rows);
        }
    }

    /// <inheritdoc />
    /// <remarks>Readiness is decided from the graph on each call (see the class remarks).</remarks>
    public Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            IReadOnlyList<JobRun> ready = _jobs.Values
                .Where(job => job.ClientId == client && !job.IsPaused)
                .Select(job => (job, run: LatestRun(job.Id.Value)))
                .Where(x => x.run is { Status: RunStatus.Pending } run
                    && run.AvailableAt <= now
                    && UnsatisfiedDependencies(x.job.Id.Value).Count == 0)
                .OrderByDescending(x => x.job.Priority)
                .ThenBy(x => x.run!.Id.Value)
                .Take(limit)
                .Select(x => x.run!)
                .ToArray();
            return Task.FromResult(ready);
        }
    }

    // ---------------------------------------------------------------- queue (workers)

    /// <inheritdoc />
    /// <remarks>The claim's time is read from <see cref="ClaimRequest.Clock"/> under the store's lock.</remarks>
    public Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Limit, nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var now = OrderLibClock.Now(request.Clock);
            var lease = OrderLibClock.LeaseEnd(now, request.LeaseDuration);
            var ready = _jobs.Values
                .Where(job => request.Clients.Contains(job.ClientId) && !job.IsPaused)
                .Select(job => (job, run: LatestRun(job.Id.Value)))
                .Where(x => x.run is { Status: RunStatus.Pending } run
                    && run.AvailableAt <= now
                    && UnsatisfiedDependencies(x.job.Id.Value).Count == 0)
                .OrderByDescending(x => x.job.Priority)
                .ThenBy(x => x.run!.Id.Value)
                .Take(request.Limit)
                .ToArray();

            var claimed = new List<ClaimedRun>(ready.Length);
            foreach (var (job, run) in ready)
            {
                var started = Started(run!, request.WorkerId, now, lease);
                _runs[started.Id.Value] = started;
                claimed.Add(new ClaimedRun(started, job.ClientId, job.Name, job.MaxAttempts, PayloadsOf(started.Id.Value).Input, _traces.GetValueOrDefault(started.Id.Value)));
            }

            return Task.FromResult<IReadOnlyList<ClaimedRun>>(claimed);
        }
    }

    /// <inheritdoc />
    public Task<HeartbeatResult> HeartbeatAsync(RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireHeldRun(runId, workerId);
            var extended = run with { LeaseExpiresAt = Utc(leaseExpiresAt) };
            _runs[runId.Value] = extended;
            return Task.FromResult(new HeartbeatResult(extended, extended.CancelRequested));
        }
    }

    /// <inheritdoc />
    public Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A worker completes a run as Succeeded, Failed or Cancelled.");
        }

        RunOutcome.CheckOutput(runId, outcome, output, nameof(output));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireHeldRun(runId, workerId);
            now = Utc(now);
            return Task.FromResult(EndWithOutput(Ended(run, outcome, errorText, now), output, now, retryPolicy));
        }
    }

    /// <inheritdoc />
    /// <remarks>Applies the outcomes one by one in list order under the store's lock, which is what the database stores' set-based batch is defined to match.</remarks>
    public Task<IReadOnlyList<OutcomeResult>> CompleteRunsAsync(IReadOnlyList<RunOutcome> outcomes, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        RunOutcome.CheckBatch(outcomes);
        ArgumentNullException.ThrowIfNull(retryPolicy);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            var results = new List<OutcomeResult>(outcomes.Count);
            foreach (var outcome in outcomes)
            {
                if (!_runs.TryGetValue(outcome.RunId.Value, out var run))
                {
                    results.Add(new OutcomeResult(outcome, null, new LostRun(null, null)));
                }
                else if (run.Status != RunStatus.Running || run.WorkerId != outcome.WorkerId)
                {
                    results.Add(new OutcomeResult(outcome, null, new LostRun(run.Status, run.Status == RunStatus.Running ? run.WorkerId : null)));
                }
                else
                {
                    results.Add(new OutcomeResult(outcome, EndWithOutput(Ended(run, outcome.Status, outcome.Error, now), outcome.Output, now, retryPolicy), null));
                }
            }

            return Task.FromResult<IReadOnlyList<OutcomeResult>>(results);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunCompletion>> RescueExpiredRunsAsync(DateTimeOffset now, RetryPolicy retryPolicy, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            var expired = _runs.Values
                .Where(run => run is { Status: RunStatus.Running, LeaseExpiresAt: { } lease } && lease < now)
                .OrderBy(run => run.LeaseExpiresAt)
                .ThenBy(run => run.Id.Value)
                .Take(limit)
                .ToArray();

            IReadOnlyList<RunCompletion> completions = expired
                .Select(run => End(
                    Ended(run, RunEnding.RescueStatus(run.CancelRequested), RunEnding.RescueError(run.CancelRequested), now),
                    now,
                    retryPolicy))
                .ToArray();
            return Task.FromResult(completions);
        }
    }

    // ---------------------------------------------------------------- schedules

    /// <inheritdoc />
    public Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueRunsAsync(DateTimeOffset now, Clients clients, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            var due = _jobs.Values
                .Where(job => job.NextDueAt is { } dueAt && dueAt <= now && !job.IsPaused && clients.Contains(job.ClientId))
                .OrderBy(job => job.NextDueAt)
                .ThenBy(job => job.Id.Value)
                .Take(limit)
                .ToArray();

            var handled = new List<ScheduledEnqueue>(due.Length);
            foreach (var job in due)
            {
                // An occurrence that creates a run creates its pipeline run; one an active run absorbs creates none.
                var pipelineRunId = LatestRun(job.Id.Value) is { } latest && latest.Status.IsActive() ? (PipelineRunId?)null : new PipelineRunId(++_lastPipelineRunId);
                var enqueue = EnqueueLocked(job.Id, now, pipelineRunId);
                if (pipelineRunId is { } created)
                {
                    AddPipelineRun(created, job.ClientId, new PipelineTrigger(PipelineTriggerKind.Schedule, null, null), now, [enqueue], [job.Id]);
                }

                var advanced = job with { NextDueAt = JobSchedules.NextDueAtOrEnd(job.Schedule, now) };
                _jobs[job.Id.Value] = advanced;
                handled.Add(new ScheduledEnqueue(job.ClientId, job.Id, job.Name, job.NextDueAt!.Value, advanced.NextDueAt, enqueue));
            }

            return Task.FromResult<IReadOnlyList<ScheduledEnqueue>>(handled);
        }
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients clients, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var earliest = _jobs.Values
                .Where(job => job.NextDueAt is not null && !job.IsPaused && clients.Contains(job.ClientId))
                .Min(job => job.NextDueAt);
            return Task.FromResult(earliest);
        }
    }

    // ---------------------------------------------------------------- helpers (call with the lock held)

    private static DateTimeOffset Utc(DateTimeOffset value) => value.ToUniversalTime();

    // Creates the job, first due at its schedule's next occurrence after now (UTC).
    private Job AddJob(ClientId client, JobDefinition definition, DateTimeOffset now)
    {
        var job = Job.Create(new JobId(++_lastJobId), client, definition, now) with { NextDueAt = JobSchedules.NextDueAt(definition.Schedule, now) };
        _jobs.Add(job.Id.Value, job);
        _runsByJob.Add(job.Id.Value, []);
        _upstream.Add(job.Id.Value, []);
        _downstream.Add(job.Id.Value, []);
        return job;
    }

    private void AddEdge(JobDependency dependency)
    {
        _edges.Add((dependency.JobId.Value, dependency.DependsOnJobId.Value), dependency);
        _upstream[dependency.JobId.Value].Add(dependency.DependsOnJobId.Value);
        _downstream[dependency.DependsOnJobId.Value].Add(dependency.JobId.Value);
    }

    private Job? FindJob(ClientId client, JobId jobId) =>
        _jobs.TryGetValue(jobId.Value, out var job) && job.ClientId == client ? job : null;

    private Job RequireJob(ClientId client, JobId jobId) =>
        FindJob(client, jobId) ?? throw new JobNotFoundException(jobId);

    private Job? FindByName(ClientId client, string name) =>
        _jobs.Values.FirstOrDefault(job => job.ClientId == client && string.Equals(job.Name, name, StringComparison.Ordinal));

    private IEnumerable<Job> ClientJobsAfter(ClientId client, JobId? after) =>
        _jobs.Values.Where(job => job.ClientId == client && (after is not { } a || job.Id.Value > a.Value));

    private JobRun? FindRun(ClientId client, RunId runId) =>
        _runs.TryGetValue(runId.Value, out var run) && _jobs[run.JobId.Value].ClientId == client ? run : null;

    private JobRun RequireRun(ClientId client, RunId runId) =>
        FindRun(client, runId) ?? throw new RunNotFoundException(runId);

    private JobRun? LatestRun(long jobId) =>
        _runsByJob[jobId] is { Count: > 0 } ids ? _runs[ids[^1]] : null;

    private IEnumerable<JobId> UpstreamOf(JobId jobId) =>
        _upstream.TryGetValue(jobId.Value, out var ids) ? ids.Select(id => new JobId(id)) : [];

    private JobRun RequireAnyRun(RunId runId) =>
        _runs.TryGetValue(runId.Value, out var run) ? run : throw new RunNotFoundException(runId);

    // The run, when it is Running and carries the worker's id; otherwise the worker lost it.
    private JobRun RequireHeldRun(RunId runId, WorkerId workerId)
    {
        var run = RequireAnyRun(runId);
        if (run.Status != RunStatus.Running || run.WorkerId != workerId)
        {
            throw new LeaseLostException(runId, workerId, run.Status, run.Status == RunStatus.Running ? run.WorkerId : null);
        }

        return run;
    }

    // The job's active run (its own pipeline run and input kept), or a new pending first attempt of the pipeline run, with the input, when given.
    private EnqueueResult EnqueueLocked(JobId jobId, DateTimeOffset now, PipelineRunId? pipelineRunId = null, RunPayload? input = null, RunTraceContext? traceContext = null)
    {
        if (LatestRun(jobId.Value) is { } latest && latest.Status.IsActive())
        {
            return new EnqueueResult(latest, Created: false);
        }

        var run = JobRun.CreatePending(new RunId(++_lastRunId), jobId, attempt: 1, now) with { PipelineRunId = pipelineRunId };
        if (traceContext is not null)
        {
            _traces[run.Id.Value] = traceContext;
        }

        return new EnqueueResult(AddRun(run, input), Created: true);
    }

    // The run's input and output (nulls when it has neither).
    private RunPayloads PayloadsOf(long runId) => _payloads.GetValueOrDefault(runId) ?? new RunPayloads(null, null);

    private JobRun AddRun(JobRun run, RunPayload? input)
    {
        _runs.Add(run.Id.Value, run);
        _runsByJob[run.JobId.Value].Add(run.Id.Value);
        if (input is not null)
        {
            _payloads.Add(run.Id.Value, new RunPayloads(input, null));
        }

        return run;
    }

    // The run started by the worker, held until the lease expires; refused unless it is Pending.
    private static JobRun Started(JobRun run, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt)
    {
        RunTransitions.Ensure(run.Id, run.Status, RunStatus.Running);
        return run with { Status = RunStatus.Running, StartedAt = now, WorkerId = workerId, LeaseExpiresAt = leaseExpiresAt };
    }

    // The run ended as `status` with the error text it keeps (RunEnding.ErrorOf), its lease cleared; refused unless its
    // status allows that transition.
    private static JobRun Ended(JobRun run, RunStatus status, string? error, DateTimeOffset now)
    {
        RunTransitions.Ensure(run.Id, run.Status, status);
        return run with { Status = status, FinishedAt = now, LeaseExpiresAt = null, Error = RunEnding.ErrorOf(status, error) };
    }

    // End, keeping the output a success recorded (RunOutcome.CheckOutput let an output through only with Succeeded).
    private RunCompletion EndWithOutput(JobRun ended, RunPayload? output, DateTimeOffset now, RetryPolicy retryPolicy)
    {
        if (output is not null)
        {
            _payloads[ended.Id.Value] = PayloadsOf(ended.Id.Value) with { Output = output };
        }

        return End(ended, now, retryPolicy);
    }

    // Stores a run that just reached a terminal state, then does what RunEnding decides: retries it (a failure with
    // attempts left; the retry keeps the run's pipeline run and input) or cancels the pending runs of every transitive dependent (a failure for good, a cancellation).
    private RunCompletion End(JobRun ended, DateTimeOffset now, RetryPolicy retryPolicy)
    {
        _runs[ended.Id.Value] = ended;
        var job = _jobs[ended.JobId.Value];
        var ending = RunEnding.Of(ended.Status, ended.Attempt, job.MaxAttempts, job.Name);
        if (ending.Retries)
        {
            var next = ending.Retry(retryPolicy, now, Random.Shared.NextDouble());
            var retry = AddRun(
                JobRun.CreatePending(new RunId(++_lastRunId), job.Id, next.Attempt, now) with { AvailableAt = next.AvailableAt, PipelineRunId = ended.PipelineRunId },
                PayloadsOf(ended.Id.Value).Input);
            if (_traces.TryGetValue(ended.Id.Value, out var trace))
            {
                _traces[retry.Id.Value] = trace;
            }

            return new RunCompletion(ended, retry, []);
        }

        return new RunCompletion(ended, null, ending.CascadeReason is { } reason ? CancelDependents(job, reason, now) : []);
    }

    // Cancels the pending run of every job that depends on the job, directly or transitively; returns their ids in order.
    private List<RunId> CancelDependents(Job job, string reason, DateTimeOffset now)
    {
        var cancelled = new List<RunId>();
        foreach (var dependent in Descendants(job.Id.Value))
        {
            if (LatestRun(dependent) is { Status: RunStatus.Pending } pending)
            {
                _runs[pending.Id.Value] = Ended(pending, RunStatus.Cancelled, reason, now);
                cancelled.Add(pending.Id);
            }
        }

        cancelled.Sort((a, b) => a.Value.CompareTo(b.Value));
        return cancelled;
    }

    // Every job that depends on the job, directly or transitively (not the job itself).
    private HashSet<long> Descendants(long jobId) => Reachable(jobId, _downstream);

    // The jobs reached from jobId through the adjacency (upstream or downstream), directly or transitively.
    private static HashSet<long> Reachable(long jobId, Dictionary<long, SortedSet<long>> adjacency)
    {
        var seen = new HashSet<long>();
        var stack = new Stack<long>(adjacency[jobId]);
        while (stack.TryPop(out var id))
        {
            if (seen.Add(id))
            {
                foreach (var next in adjacency[id])
                {
                    stack.Push(next);
                }
            }
        }

        return seen;
    }

    // The jobs and their transitive dependents, each after all of its upstream jobs in that set, ties by job id.
    private List<long> TopologicalOrder(IEnumerable<long> jobIds)
    {
        var members = new HashSet<long>();
        foreach (var jobId in jobIds)
        {
            members.Add(jobId);
            members.UnionWith(Descendants(jobId));
        }

        var edges = members.SelectMany(id => _upstream[id].Select(upstream => (new JobId(id), new JobId(upstream))));
        return [.. DependencyGraph.TopologicalOrder(members.Select(id => new JobId(id)).ToHashSet(), edges).Select(id => id.Value)];
    }

    // What decides whether the run may start: the run, its job and the job's unsatisfied upstream jobs.
    private RunFacts FactsOf(JobRun run) => new(run, _jobs[run.JobId.Value], UnsatisfiedDependencies(run.JobId.Value));

    // Every job the given job depends on whose most recent run has not succeeded, in upstream job id order.
    private List<UnsatisfiedDependency> UnsatisfiedDependencies(long jobId)
    {
        var unsatisfied = new List<UnsatisfiedDependency>();
        foreach (var upstreamId in _upstream[jobId])
        {
            var latest = LatestRun(upstreamId);
            if (latest is not { Status: RunStatus.Succeeded })
            {
                unsatisfied.Add(new UnsatisfiedDependency(new JobId(upstreamId), _jobs[upstreamId].Name, latest?.Status));
            }
        }

        return unsatisfied;
    }
}
