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
/// store decides it from scratch each time it is asked: a pending run of job J is ready when it is available and,
/// for every job D that J depends on, D's most recent run (the one with the highest run id) has Succeeded.
/// Claims, heartbeats, completions and rescues take the same lock, so two workers never get the same run and a
/// completion is fenced on the run being Running and carrying the worker's id. Enqueueing due scheduled jobs takes
/// the same lock too, so each occurrence is consumed once however many schedulers call at once. Retry jitter comes from
/// <see cref="Random.Shared"/>. Timestamps are stored as given, converted to UTC. State lives as long as the instance and is not shared across
/// processes (<see cref="StoreCapabilities.SharedAcrossProcesses"/> is false).
/// </remarks>
public sealed class InMemoryOrderLibStore : IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore
{
    private static readonly StoreCapabilities InMemoryCapabilities = new("InMemory", HasSchema: false, SharedAcrossProcesses: false);

    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Job> _jobs = [];
    private readonly Dictionary<long, JobRun> _runs = [];

    // Run ids of each job, oldest first (ids only ever grow, so the last one is the job's most recent run).
    private readonly Dictionary<long, List<long>> _runsByJob = [];

    // Edges keyed (dependent job, upstream job), plus both adjacency directions in id order.
    private readonly Dictionary<(long JobId, long DependsOnJobId), JobDependency> _edges = [];
    private readonly Dictionary<long, SortedSet<long>> _upstream = [];
    private readonly Dictionary<long, SortedSet<long>> _downstream = [];

    private long _lastJobId;
    private long _lastRunId;

    /// <summary>Returns <c>InMemory</c>, without a schema and not shared across processes.</summary>
    public StoreCapabilities Capabilities => InMemoryCapabilities;

    // ---------------------------------------------------------------- jobs

    /// <summary>Creates a job with the next job id; a scheduled one is first due at its schedule's first occurrence after <paramref name="now"/>.</summary>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid.</exception>
    /// <exception cref="DuplicateJobNameException">The client has a job with that name already.</exception>
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

            now = Utc(now);
            var nextDueAt = JobSchedules.NextDueAt(definition.Schedule, now);
            var job = Job.Create(new JobId(++_lastJobId), client, definition, now) with { NextDueAt = nextDueAt };
            _jobs.Add(job.Id.Value, job);
            _runsByJob.Add(job.Id.Value, []);
            _upstream.Add(job.Id.Value, []);
            _downstream.Add(job.Id.Value, []);
            return Task.FromResult(job);
        }
    }

    /// <summary>Returns the client's job with that id, or null.</summary>
    public Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindJob(client, jobId));
        }
    }

    /// <summary>Returns the client's job with exactly that name (compared ordinally after trimming), or null.</summary>
    public Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindByName(client, name.Trim()));
        }
    }

    /// <summary>Lists the client's jobs in id order, at most <paramref name="limit"/>, after id <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
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

    /// <summary>
    /// Replaces the job's definition; the active run's claim order follows the new priority. A changed schedule text
    /// (compared ordinally) is next due at its first occurrence after <paramref name="now"/>; an unchanged one keeps its
    /// due time; no schedule clears it.
    /// </summary>
    /// <exception cref="OrderLibValidationException">The new schedule text is invalid.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="DuplicateJobNameException">Another job of the client has the new name.</exception>
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

            // Ready runs are ordered by the job's current priority, so updating the job is all it takes.
            now = Utc(now);
            var nextDueAt = string.Equals(job.Schedule, definition.Schedule, StringComparison.Ordinal)
                ? job.NextDueAt
                : JobSchedules.NextDueAt(definition.Schedule, now);
            var updated = job.Apply(definition, now) with { NextDueAt = nextDueAt };
            _jobs[jobId.Value] = updated;
            return Task.FromResult(updated);
        }
    }

    /// <summary>Deletes the job with its runs and its dependencies in both directions.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="JobHasDependentsException">Other jobs depend on it and <paramref name="cascade"/> is false.</exception>
    public Task DeleteJobAsync(ClientId client, JobId jobId, bool cascade, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            var id = jobId.Value;
            var dependents = _downstream[id].ToArray();
            if (dependents.Length > 0 && !cascade)
            {
                throw new JobHasDependentsException(jobId, dependents.Select(d => _jobs[d].Name).ToArray());
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
            }

            _runsByJob.Remove(id);
            _upstream.Remove(id);
            _downstream.Remove(id);
            _jobs.Remove(id);
            return Task.CompletedTask;
        }
    }

    // ---------------------------------------------------------------- dependencies

    /// <summary>Records that <paramref name="jobId"/> depends on <paramref name="dependsOnJobId"/> unless that breaks a graph rule.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client (checked before anything else).</exception>
    /// <exception cref="SelfDependencyException">Both ids are the same job.</exception>
    /// <exception cref="DuplicateDependencyException">The dependency exists already.</exception>
    /// <exception cref="DependencyCycleException">The upstream job already reaches the dependent one; the cycle starts and ends at <paramref name="jobId"/>.</exception>
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

            _edges.Add((jobId.Value, dependsOnJobId.Value), dependency);
            _upstream[jobId.Value].Add(dependsOnJobId.Value);
            _downstream[dependsOnJobId.Value].Add(jobId.Value);
            return Task.FromResult(dependency);
        }
    }

    /// <summary>Removes the dependency; a pending run of the dependent job stops waiting for the upstream job.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="DependencyNotFoundException">The jobs exist but the dependency does not.</exception>
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

    /// <summary>The jobs <paramref name="jobId"/> depends on directly, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
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

    /// <summary>The jobs that depend directly on <paramref name="jobId"/>, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
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

    /// <summary>Returns the job's active run (Created false), or creates a pending first attempt available at <paramref name="now"/>.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            return Task.FromResult(EnqueueLocked(jobId, Utc(now)));
        }
    }

    /// <summary>Starts the pending, available run whose dependencies all succeeded, for <paramref name="workerId"/>.</summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Pending.</exception>
    /// <exception cref="RunNotAvailableException">The run is available only after <paramref name="now"/>.</exception>
    /// <exception cref="DependenciesNotSatisfiedException">Some upstream job's latest run has not succeeded; each is named, in job id order.</exception>
    public Task<JobRun> StartRunAsync(ClientId client, RunId runId, WorkerId workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireRun(client, runId);
            RunTransitions.Ensure(runId, run.Status, RunStatus.Running);
            now = Utc(now);
            if (run.AvailableAt > now)
            {
                throw new RunNotAvailableException(runId, run.AvailableAt);
            }

            var unsatisfied = UnsatisfiedDependencies(run.JobId.Value);
            if (unsatisfied.Count > 0)
            {
                throw new DependenciesNotSatisfiedException(runId, unsatisfied);
            }

            var started = Started(run, workerId, now, Utc(leaseExpiresAt));
            _runs[runId.Value] = started;
            return Task.FromResult(started);
        }
    }

    /// <summary>
    /// Finishes the running run as Succeeded or Failed, whichever worker holds it; error text is kept only for a failure,
    /// and the lease is cleared. A failure with attempts left enqueues the next attempt; a failure for good cancels the
    /// pending runs of the job's transitive dependents.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is not Succeeded or Failed.</exception>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is not Running.</exception>
    public Task<RunCompletion> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A run finishes as Succeeded or Failed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireRun(client, runId);
            now = Utc(now);
            return Task.FromResult(End(Ended(run, outcome, errorText, now), now, retryPolicy));
        }
    }

    /// <summary>
    /// Cancels a pending run at once, storing <paramref name="reason"/> as its error text and cancelling the pending runs
    /// of the job's transitive dependents; marks a running run <see cref="JobRun.CancelRequested"/> (once; asking again
    /// changes nothing) and leaves it to its worker.
    /// </summary>
    /// <exception cref="RunNotFoundException">The client has no such run.</exception>
    /// <exception cref="IllegalRunTransitionException">The run is already terminal.</exception>
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

    /// <summary>
    /// Enqueues the job and each of its transitive dependents (a job with an active run keeps it), in topological order:
    /// a job comes after every upstream job of the sub-graph, ties broken by job id.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<EnqueueResult>> TriggerPipelineAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            RequireJob(client, jobId);
            now = Utc(now);
            IReadOnlyList<EnqueueResult> results = TopologicalOrder(jobId.Value)
                .Select(id => EnqueueLocked(new JobId(id), now))
                .ToArray();
            return Task.FromResult(results);
        }
    }

    /// <summary>Returns the client's run with that id, or null.</summary>
    public Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(FindRun(client, runId));
        }
    }

    /// <summary>The job's runs newest first, at most <paramref name="limit"/>, older than run <paramref name="before"/> when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
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

    /// <summary>The client's jobs in id order after <paramref name="after"/>, each with its newest run or null, at most <paramref name="limit"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
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

    /// <summary>
    /// The client's pending runs that are available at <paramref name="now"/> and whose dependencies all succeeded,
    /// by the job's current priority (highest first), then run id, at most <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            IReadOnlyList<JobRun> ready = _jobs.Values
                .Where(job => job.ClientId == client)
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

    /// <summary>
    /// Starts up to <see cref="ClaimRequest.Limit"/> ready runs (of the requested clients, or of all) for the worker, by
    /// the job's current priority (highest first), then run id, at the clock's time read under the store's lock, leased for <see cref="ClaimRequest.LeaseDuration"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentException">The worker id is null, empty or blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is less than 1.</exception>
    public Task<IReadOnlyList<ClaimedRun>> ClaimRunsAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Limit, nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var now = OrderLibClock.Now(request.Clock);
            var lease = now + request.LeaseDuration;
            var ready = _jobs.Values
                .Where(job => request.Clients.Contains(job.ClientId))
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
                claimed.Add(new ClaimedRun(started, job.ClientId, job.Name, job.MaxAttempts));
            }

            return Task.FromResult<IReadOnlyList<ClaimedRun>>(claimed);
        }
    }

    /// <summary>Moves the lease of the worker's running run to <paramref name="leaseExpiresAt"/>; the result carries the run's cancel request.</summary>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
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

    /// <summary>
    /// Ends the worker's running run as <paramref name="outcome"/> (error text kept for Failed and Cancelled), then retries
    /// a failure with attempts left, or cancels the pending runs of the job's transitive dependents after a failure for
    /// good or a cancellation.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outcome"/> is Pending or Running.</exception>
    /// <exception cref="RunNotFoundException">No run has that id.</exception>
    /// <exception cref="LeaseLostException">The run is not Running, or another worker holds it; nothing changed.</exception>
    public Task<RunCompletion> CompleteRunAsync(RunId runId, WorkerId workerId, RunStatus outcome, string? errorText, DateTimeOffset now, RetryPolicy retryPolicy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retryPolicy);
        if (outcome is not (RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A worker completes a run as Succeeded, Failed or Cancelled.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var run = RequireHeldRun(runId, workerId);
            now = Utc(now);
            return Task.FromResult(End(Ended(run, outcome, errorText, now), now, retryPolicy));
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
                    results.Add(new OutcomeResult(outcome, End(Ended(run, outcome.Status, outcome.Error, now), now, retryPolicy), null));
                }
            }

            return Task.FromResult<IReadOnlyList<OutcomeResult>>(results);
        }
    }

    /// <summary>
    /// Ends up to <paramref name="limit"/> running runs whose lease expired before <paramref name="now"/>, earliest lease
    /// first (then run id): Cancelled "cancelled; worker lost" when cancellation was requested, otherwise Failed
    /// "worker lost", each then retried or cascaded like any other ending.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="retryPolicy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
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

    /// <summary>
    /// For up to <paramref name="limit"/> scheduled jobs (of the given clients, or of all) due at or before
    /// <paramref name="now"/>, earliest due first, then job id: enqueues a run as <see cref="EnqueueRunAsync"/> does (a job
    /// with an active run keeps it) and moves the job's next due time to its schedule's first occurrence after
    /// <paramref name="now"/>, so missed occurrences collapse into one. The job's other fields, <see cref="Job.UpdatedAt"/>
    /// included, do not change. A schedule that can no longer be read ends with the occurrence it consumed
    /// (<see cref="JobSchedules.NextDueAtOrEnd"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    public Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueRunsAsync(DateTimeOffset now, Clients clients, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            var due = _jobs.Values
                .Where(job => job.NextDueAt is { } dueAt && dueAt <= now && clients.Contains(job.ClientId))
                .OrderBy(job => job.NextDueAt)
                .ThenBy(job => job.Id.Value)
                .Take(limit)
                .ToArray();

            var handled = new List<ScheduledEnqueue>(due.Length);
            foreach (var job in due)
            {
                var enqueue = EnqueueLocked(job.Id, now);
                var advanced = job with { NextDueAt = JobSchedules.NextDueAtOrEnd(job.Schedule, now) };
                _jobs[job.Id.Value] = advanced;
                handled.Add(new ScheduledEnqueue(job.ClientId, job.Id, job.Name, job.NextDueAt!.Value, advanced.NextDueAt, enqueue));
            }

            return Task.FromResult<IReadOnlyList<ScheduledEnqueue>>(handled);
        }
    }

    /// <summary>The earliest next due time among the scheduled jobs of the given clients, or null when none is scheduled.</summary>
    public Task<DateTimeOffset?> GetEarliestDueAtAsync(Clients clients, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var earliest = _jobs.Values
                .Where(job => job.NextDueAt is not null && clients.Contains(job.ClientId))
                .Min(job => job.NextDueAt);
            return Task.FromResult(earliest);
        }
    }

    // ---------------------------------------------------------------- helpers (call with the lock held)

    private static DateTimeOffset Utc(DateTimeOffset value) => value.ToUniversalTime();

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

    // The job's active run, or a new pending first attempt.
    private EnqueueResult EnqueueLocked(JobId jobId, DateTimeOffset now)
    {
        if (LatestRun(jobId.Value) is { } latest && latest.Status.IsActive())
        {
            return new EnqueueResult(latest, Created: false);
        }

        return new EnqueueResult(AddRun(JobRun.CreatePending(new RunId(++_lastRunId), jobId, attempt: 1, now)), Created: true);
    }

    private JobRun AddRun(JobRun run)
    {
        _runs.Add(run.Id.Value, run);
        _runsByJob[run.JobId.Value].Add(run.Id.Value);
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

    // Stores a run that just reached a terminal state, then does what RunEnding decides: retries it (a failure with
    // attempts left) or cancels the pending runs of every transitive dependent (a failure for good, a cancellation).
    private RunCompletion End(JobRun ended, DateTimeOffset now, RetryPolicy retryPolicy)
    {
        _runs[ended.Id.Value] = ended;
        var job = _jobs[ended.JobId.Value];
        var ending = RunEnding.Of(ended.Status, ended.Attempt, job.MaxAttempts, job.Name);
        if (ending.Retries)
        {
            var next = ending.Retry(retryPolicy, now, Random.Shared.NextDouble());
            var retry = AddRun(JobRun.CreatePending(new RunId(++_lastRunId), job.Id, next.Attempt, now) with { AvailableAt = next.AvailableAt });
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
    private HashSet<long> Descendants(long jobId)
    {
        var seen = new HashSet<long>();
        var stack = new Stack<long>(_downstream[jobId]);
        while (stack.TryPop(out var id))
        {
            if (seen.Add(id))
            {
                foreach (var next in _downstream[id])
                {
                    stack.Push(next);
                }
            }
        }

        return seen;
    }

    // The job and its transitive dependents, each after all of its upstream jobs in that set, ties by job id.
    private List<long> TopologicalOrder(long jobId)
    {
        var members = Descendants(jobId);
        members.Add(jobId);
        var edges = members.SelectMany(id => _upstream[id].Select(upstream => (new JobId(id), new JobId(upstream))));
        return [.. DependencyGraph.TopologicalOrder(members.Select(id => new JobId(id)).ToHashSet(), edges).Select(id => id.Value)];
    }

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
