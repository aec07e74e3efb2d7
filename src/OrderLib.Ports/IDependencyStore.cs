
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

    /// <summary>Removes the dependency; a pending run of the dependent job stops waiting for the upstream job.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="DependencyNotFoundException">The jobs exist but the dependency does not.</exception>
    Task RemoveDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken);

    /// <summary>The jobs <paramref name="jobId"/> depends on directly, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);

    /// <summary>The jobs that depend directly on <paramref name="jobId"/>, in id order.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken);
}
