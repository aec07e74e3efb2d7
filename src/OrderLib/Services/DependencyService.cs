
namespace OrderLib;

/// <summary>The dependency graph of one client. Obtain it from <see cref="IOrderLib.Dependencies"/>.</summary>
public sealed class DependencyService
{
    private readonly OrderLibContext _context;

    internal DependencyService(OrderLibContext context) => _context = context;

    /// <summary>Records that <paramref name="jobId"/> may run only after <paramref name="dependsOnJobId"/>'s latest run succeeded.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client (another client's job included).</exception>
    /// <exception cref="SelfDependencyException">Both ids are the same job.</exception>
    /// <exception cref="DuplicateDependencyException">The dependency exists already.</exception>
    /// <exception cref="DependencyCycleException">It would close a cycle; the error names the jobs on it.</exception>
    public Task<JobDependency> AddAsync(JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken = default) =>
        _context.DependencyStore.AddDependencyAsync(_context.Client, jobId, dependsOnJobId, _context.Now(), cancellationToken);

    /// <summary>Removes the dependency.</summary>
    /// <exception cref="JobNotFoundException">Either job does not exist for the client.</exception>
    /// <exception cref="DependencyNotFoundException">The dependency does not exist.</exception>
    public Task RemoveAsync(JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken = default) =>
        _context.Ready.RaiseAfter(_context.DependencyStore.RemoveDependencyAsync(_context.Client, jobId, dependsOnJobId, cancellationToken));

    /// <summary>The jobs <paramref name="jobId"/> depends on directly.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<Job>> ListUpstreamAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        _context.DependencyStore.ListUpstreamAsync(_context.Client, jobId, cancellationToken);

    /// <summary>The jobs that depend directly on <paramref name="jobId"/>.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public Task<IReadOnlyList<Job>> ListDownstreamAsync(JobId jobId, CancellationToken cancellationToken = default) =>
        _context.DependencyStore.ListDownstreamAsync(_context.Client, jobId, cancellationToken);

    /// <summary>
    /// Part of the client's graph ready to draw: the client's whole graph when <paramref name="selection"/> is null, or
    /// one job with everything upstream and downstream of it (<see cref="GraphSelection.Around"/>), or a set of jobs; each
    /// job with its latest run's status. Write it with <see cref="JobGraph.ToMermaid"/> or <see cref="JobGraph.ToDot"/>.
    /// </summary>
    /// <exception cref="JobNotFoundException">The selection is around a job the client does not have.</exception>
    public Task<JobGraph> GetGraphAsync(GraphSelection? selection = null, CancellationToken cancellationToken = default) =>
        _context.DependencyStore.ReadGraphAsync(_context.Client, selection ?? GraphSelection.All, cancellationToken);
}
