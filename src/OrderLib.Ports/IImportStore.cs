namespace OrderLib.Ports;

/// <summary>
/// Driven port: writes a client's jobs, dependencies and finished runs brought over from another system (the Python
/// Order-lib) in one transaction. Idempotent by job name: a job the client has already is left as it is, and neither its
/// dependencies nor its runs of the batch are written.
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IImportStore
{
    /// <summary>
    /// Writes <paramref name="batch"/> for <paramref name="client"/> in one transaction, set-based (a constant number of round
    /// trips whatever its size): each job the client has no job of that name for is created, with its own creation and
    /// update times; each dependency whose two jobs are both created by this call is added (one touching a job the client
    /// had already is not); each run of a job created by this call is written as it is (terminal, with its timestamps,
    /// its job's priority and client), in the batch's order, so the last run of a job in the batch becomes its latest run
    /// (<c>latest_run_id</c>, <c>latest_status</c>). Graph changes of the client are serialised as for
    /// <see cref="IDependencyStore.DefineGraphAsync"/>. Refused as a whole, writing nothing.
    /// </summary>
    /// <returns>The jobs created, in the batch's order, the names the client had already, and the counts written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A schedule text is invalid.</exception>
    Task<ImportResult> ImportAsync(ClientId client, ImportBatch batch, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// What to import for one client. Built only when consistent on its own: job names unique, every dependency and run naming
/// a job of the batch, no dependency on itself, none twice, no cycle, every run terminal.
/// </summary>
public sealed class ImportBatch
{
    /// <summary>Creates the batch after checking it.</summary>
    /// <param name="jobs">The jobs, in the order to create them.</param>
    /// <param name="dependencies">"Job depends on job", by name; both ends jobs of <paramref name="jobs"/>.</param>
    /// <param name="runs">The runs, oldest first within each job; each of a job of <paramref name="jobs"/>.</param>
    /// <exception cref="ArgumentNullException">An argument or one of its items is null.</exception>
    /// <exception cref="ArgumentException">The batch is inconsistent (see the class).</exception>
    public ImportBatch(IEnumerable<ImportedJob> jobs, IEnumerable<GraphDependency> dependencies, IEnumerable<ImportedRun> runs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(runs);
        Jobs = jobs.ToArray();
        Dependencies = dependencies.ToArray();
        Runs = runs.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in Jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
            if (!names.Add(job.Definition.Name))
            {
                throw new ArgumentException($"Job '{job.Definition.Name}' is in the import batch twice.", nameof(jobs));
            }
        }

        var edges = new HashSet<(string, string)>();
        var upstream = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var dependency in Dependencies)
        {
            ArgumentNullException.ThrowIfNull(dependency, nameof(dependencies));
            if (!names.Contains(dependency.JobName) || !names.Contains(dependency.DependsOnName))
            {
                throw new ArgumentException($"Dependency '{dependency.JobName}' on '{dependency.DependsOnName}' names a job the import batch does not have.", nameof(dependencies));
            }

            if (dependency.JobName == dependency.DependsOnName || !edges.Add((dependency.JobName, dependency.DependsOnName)))
            {
                throw new ArgumentException($"Dependency '{dependency.JobName}' on '{dependency.DependsOnName}' is on itself or given twice.", nameof(dependencies));
            }

            if (!upstream.TryGetValue(dependency.JobName, out var list))
            {
                upstream.Add(dependency.JobName, list = []);
            }

            list.Add(dependency.DependsOnName);
        }

        var cycle = DependencyGraph.FirstCycleThrough(
            Dependencies.Select(d => (d.JobName, d.DependsOnName)),
            name => upstream.TryGetValue(name, out var list) ? list : []);
        if (cycle is not null)
        {
            throw new ArgumentException($"The import batch's dependencies have a cycle: {string.Join(" -> ", cycle)}.", nameof(dependencies));
        }

        foreach (var run in Runs)
        {
            ArgumentNullException.ThrowIfNull(run, nameof(runs));
            if (!names.Contains(run.JobName))
            {
                throw new ArgumentException($"A run names job '{run.JobName}', which the import batch does not have.", nameof(runs));
            }
        }
    }

    /// <summary>The jobs, in the order given.</summary>
    public IReadOnlyList<ImportedJob> Jobs { get; }

    /// <summary>The dependencies, in the order given.</summary>
    public IReadOnlyList<GraphDependency> Dependencies { get; }

    /// <summary>The runs, in the order given (oldest first within each job).</summary>
    public IReadOnlyList<ImportedRun> Runs { get; }
}

/// <summary>A job to import: its definition and, when known, when it was created and last changed.</summary>
/// <param name="Definition">The job's definition (name, description, priority, max attempts, schedule).</param>
/// <param name="CreatedAt">When the job was created in the source; null: the import's time.</param>
/// <param name="UpdatedAt">When it was last changed in the source; null: its creation time.</param>
public sealed record ImportedJob(JobDefinition Definition, DateTimeOffset? CreatedAt = null, DateTimeOffset? UpdatedAt = null);

/// <summary>A finished run to import, with its original timestamps. Terminal only: an import never creates an active run.</summary>
public sealed record ImportedRun
{
    /// <summary>Creates the run.</summary>
    /// <param name="jobName">Its job's name, a job of the batch.</param>
    /// <param name="status">Succeeded, Failed or Cancelled.</param>
    /// <param name="enqueuedAt">When it was created (also its availability).</param>
    /// <param name="startedAt">When it started, or null when it never did.</param>
    /// <param name="finishedAt">When it ended.</param>
    /// <param name="error">Why it failed or was cancelled, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="jobName"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="status"/> is not terminal.</exception>
    public ImportedRun(string jobName, RunStatus status, DateTimeOffset enqueuedAt, DateTimeOffset? startedAt, DateTimeOffset finishedAt, string? error)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        if (!status.IsTerminal())
        {
            throw new ArgumentException($"An imported run must be terminal; got {status}.", nameof(status));
        }

        JobName = jobName;
        Status = status;
        EnqueuedAt = enqueuedAt.ToUniversalTime();
        StartedAt = startedAt?.ToUniversalTime();
        FinishedAt = finishedAt.ToUniversalTime();
        Error = error;
    }

    /// <summary>Its job's name.</summary>
    public string JobName { get; }

    /// <summary>Succeeded, Failed or Cancelled.</summary>
    public RunStatus Status { get; }

    /// <summary>When it was created (UTC); also when it became available.</summary>
    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>When it started (UTC), or null.</summary>
    public DateTimeOffset? StartedAt { get; }

    /// <summary>When it ended (UTC).</summary>
    public DateTimeOffset FinishedAt { get; }

    /// <summary>Why it failed or was cancelled, or null.</summary>
    public string? Error { get; }
}

/// <summary>What an import wrote for one client.</summary>
/// <param name="JobsCreated">The jobs created, in the batch's order.</param>
/// <param name="JobsAlreadyPresent">The batch's job names the client had already (left as they were, their runs and dependencies not written).</param>
/// <param name="DependenciesAdded">How many dependencies were added.</param>
/// <param name="RunsAdded">How many runs were written.</param>
public sealed record ImportResult(IReadOnlyList<Job> JobsCreated, IReadOnlyList<string> JobsAlreadyPresent, int DependenciesAdded, int RunsAdded);
