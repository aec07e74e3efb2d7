using OrderLib.Ports;

namespace OrderLib;

/// <summary>Job definitions of one client. Obtain it from <see cref="IOrderLib.Jobs"/>.</summary>
public sealed class JobService
{
    private readonly OrderLibContext _context;

    internal JobService(OrderLibContext context) => _context = context;

    /// <summary>Creates a job. A job with a schedule is first due at the schedule's next occurrence.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The schedule is neither valid cron nor a valid interval (see <see cref="JobScheduleParser"/>), or it has no occurrence after now.</exception>
    /// <exception cref="DuplicateJobNameException">The client has a job with that name already.</exception>
    public Task<Job> CreateAsync(JobDefinition definition, CancellationToken cancellationToken = default)
    {
        var now = _context.Now();
        CheckSchedule(definition, now);
        return _context.JobStore.CreateJobAsync(_context.Client, definition, now, cancellationToken);
    }

    /// <summary>Returns the job with that id.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public async Task<Job> GetAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        await _context.JobStore.GetJobAsync(_context.Client, jobId, cancellationToken) ?? throw new JobNotFoundException(jobId);

    /// <summary>Returns the job with that name (compared after trimming).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The name holds a NUL or a lone surrogate (see <see cref="TextRules"/>).</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public async Task<Job> GetByNameAsync(string name, CancellationToken cancellationToken = default) =>
        await FindByNameAsync(name, cancellationToken) ?? throw new JobNotFoundException(name.Trim());

    /// <summary>Returns the job with that name (compared after trimming), or null when there is none.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The name holds a NUL or a lone surrogate (see <see cref="TextRules"/>).</exception>
    public Task<Job?> FindByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        TextRules.RequireWellFormed(name, nameof(name), "A job name");
        return _context.JobStore.GetJobByNameAsync(_context.Client, name.Trim(), cancellationToken);
    }

    /// <summary>Lists the client's jobs in creation (id) order, one page at a time.</summary>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page, or null for the first page.</param>
    /// <param name="limit">The page size, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="OrderLibValidationException"><paramref name="limit"/> is out of range.</exception>
    public async Task<Page<Job>> ListAsync(PageCursor? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        Paging.CheckLimit(limit);
        var jobs = await _context.JobStore.ListJobsAsync(_context.Client, cursor is { } next ? new JobId(next.Key) : null, limit + 1, cancellationToken);
        return Paging.ToPage(jobs, limit, job => job.Id.Value);
    }

    /// <summary>
    /// Replaces the job's definition (name, description, priority, max attempts, schedule). A changed schedule is next due
    /// at its next occurrence from now; an unchanged one keeps its due time. The definition is checked before the job is
    /// looked up, so an invalid one is refused the same way whether or not the job exists.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The schedule is neither valid cron nor a valid interval, or it has no occurrence after now.</exception>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="DuplicateJobNameException">Another job of the client has the new name.</exception>
    public Task<Job> UpdateAsync(JobId jobId, JobDefinition definition, CancellationToken cancellationToken = default)
    {
        var now = _context.Now();
        CheckSchedule(definition, now);
        return _context.JobStore.UpdateJobAsync(_context.Client, jobId, definition, now, cancellationToken);
    }

    /// <summary>
    /// Defines many jobs and the dependencies between them in one call and one transaction: each job is created, or updated
    /// like <see cref="UpdateAsync"/> when the client has a job of that name (left as it is when it matches the definition);
    /// each dependency is added unless it exists (none is removed), so defining the same graph twice changes nothing. A
    /// dependency may name a job of the graph or one the client has already. The whole batch is refused, writing nothing,
    /// with an error naming the first problem. A pending run of a job that gets a new dependency waits for it, as after
    /// <see cref="DependencyService.AddAsync"/>.
    /// </summary>
    /// <returns>The graph's jobs in its order, each created, updated or unchanged, and the number of dependencies added.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A job's schedule is neither valid cron nor a valid interval, or it has no occurrence after now.</exception>
    /// <exception cref="UnknownJobInGraphException">A dependency names a job that neither the graph nor the client has.</exception>
    /// <exception cref="GraphCycleException">The new dependencies would close a cycle; the error names the jobs on it.</exception>
    public Task<GraphDefinitionResult> DefineGraphAsync(GraphDefinition graph, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var now = _context.Now();
        foreach (var definition in graph.Jobs)
        {
            CheckSchedule(definition, now);
        }

        return _context.DependencyStore.DefineGraphAsync(_context.Client, graph, now, cancellationToken);
    }

    /// <summary>
    /// Pauses the job: its runs are no longer claimed or started (<see cref="RunService.StartAsync"/> refuses them with
    /// <see cref="JobPausedException"/>) and its schedule enqueues nothing. A run already Running finishes normally (a
    /// failure's retry is created, and held); enqueues and triggers still create the job's pending run, held until
    /// <see cref="ResumeAsync"/>. Pausing a paused job changes nothing: it keeps the time it was first paused at.
    /// </summary>
    /// <returns>The job, with <see cref="Job.PausedAt"/> set.</returns>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<Job> PauseAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        _context.JobStore.PauseJobAsync(_context.Client, jobId, _context.Now(), cancellationToken);

    /// <summary>
    /// Resumes a paused job: its pending run may be claimed again once nothing else holds it, and if its schedule came due
    /// while it was paused, the scheduler enqueues it once at its next pass (missed occurrences collapse into one run, as after
    /// downtime). Resuming a job that is not paused changes nothing.
    /// </summary>
    /// <returns>The job, with <see cref="Job.PausedAt"/> null.</returns>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<Job> ResumeAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        _context.Ready.RaiseAfter(_context.JobStore.ResumeJobAsync(_context.Client, jobId, cancellationToken));

    /// <summary>
    /// Deletes the job with its runs and dependencies. A job that others depend on is refused unless
    /// <paramref name="deletion"/> has <see cref="JobDeletion.RemoveDependencies"/>, which also removes their dependencies
    /// on it; a job whose run is Pending or Running is refused unless it has <see cref="JobDeletion.CancelActiveRun"/>,
    /// which ends the run with the job (its worker's report then comes back as lost). Nothing is written when refused.
    /// </summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    /// <exception cref="JobHasDependentsException">Other jobs depend on it and <paramref name="deletion"/> lacks <see cref="JobDeletion.RemoveDependencies"/>.</exception>
    /// <exception cref="JobHasActiveRunException">It has an active run and <paramref name="deletion"/> lacks <see cref="JobDeletion.CancelActiveRun"/>.</exception>
    public Task DeleteAsync(JobId jobId, JobDeletion deletion = JobDeletion.None, CancellationToken cancellationToken = default) =>
        _context.Ready.RaiseAfter(_context.JobStore.DeleteJobAsync(_context.Client, jobId, deletion, cancellationToken));

    private static void CheckSchedule(JobDefinition definition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Schedule is { } schedule)
        {
            JobScheduleParser.ParseUpcoming(schedule, now);
        }
    }
}
