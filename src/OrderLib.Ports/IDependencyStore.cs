
namespace OrderLib.Ports;

/// <summary>
/// Driven port: the dependency graph of one client. Adding an edge is one atomic check-and-insert that stays
/// correct under concurrency: when two callers add X→Y and Y→X at once, exactly one succeeds
/// (PostgreSQL serialises graph changes per client with a transaction-scoped advisory lock; SQLite with an
/// immediate write transaction; the in-memory store with a lock).
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IDependencyStore
{
    /// <summary>
    /// Records that <paramref name="jobId"/> depends on <paramref name="dependsOnJobId"/>. If the dependent job has
    /// a pending run and the upstream job's latest run has not succeeded, that run now waits for it.
    /// </summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client (a job of another client included); checked before the other rules.</exception>
    /// <exception cref="SelfDependencyException">Both ids are the same job.</exception>
    /// <exception cref="DuplicateDependencyException">The dependency exists already.</exception>
    /// <exception cref="DependencyCycleException">The upstream job already depends, directly or through other jobs, on the dependent one; the cycle the error names starts and ends at <paramref name="jobId"/>.</exception>
    Task<JobDependency> AddDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Defines many jobs and dependencies in one transaction: each job of <paramref name="graph"/> is created, or updated
    /// (as <see cref="IJobStore.UpdateJobAsync"/> would, its active run taking the new priority) when the client has a job
    /// of that name and the definition differs (<see cref="Job.IsDefinedBy"/>); each dependency is added unless it exists,
    /// and none is removed, so defining the same graph again changes nothing. A dependent job's pending run then waits for
    /// each new upstream job whose latest run has not succeeded, as after <see cref="AddDependencyAsync"/>; no run becomes
    /// ready. Graph changes of the client are serialised as for <see cref="AddDependencyAsync"/>; the cycle check covers
    /// the client's whole graph in memory. Refused as a whole, writing nothing.
    /// </summary>
    /// <remarks>Here rather than on <see cref="IJobStore"/>: what it must keep right is the graph, under the graph's lock.</remarks>
    /// <returns>The batch's jobs in its order, each with what happened to it, and the number of dependencies added.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A schedule text is invalid.</exception>
    /// <exception cref="UnknownJobInGraphException">A dependency names a job neither the graph nor the client has (the first such).</exception>
    /// <exception cref="GraphCycleException">The new dependencies close a cycle with each other or with existing ones; the error names its jobs.</exception>
    Task<GraphDefinitionResult> DefineGraphAsync(ClientId client, GraphDefinition graph, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Removes the dependency; a pending run of the dependent job stops waiting for the upstream job.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="DependencyNotFoundException">The jobs exist but the dependency does not.</exception>
    Task RemoveDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken);

    /// <summary>The jobs <paramref name="jobId"/> depends on directly, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);

    /// <summary>
    /// The jobs <paramref name="selection"/> picks, each with its latest run's status and whether it is paused, and every
    /// dependency among them, read in one statement batch. A set of ids keeps only the jobs the client has.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="selection"/> is null.</exception>
    /// <exception cref="JobNotFoundException">The selection is around a job the client does not have.</exception>
    Task<JobGraph> ReadGraphAsync(ClientId client, GraphSelection selection, CancellationToken cancellationToken);

    /// <summary>The jobs that depend directly on <paramref name="jobId"/>, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);
}
