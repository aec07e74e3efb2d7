using OrderLib.Domain;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// The relational store shared by the SQLite and PostgreSQL adapters: one set of queries, with the few
/// dialect differences supplied by the provider assembly.
/// </summary>
public abstract class RelationalOrderLibStore : IJobStore, IDependencyStore, IRunStore
{
    internal RelationalOrderLibStore(SqlDialect dialect, StoreCapabilities capabilities)
    {
        Dialect = dialect;
        Capabilities = capabilities;
    }

    internal SqlDialect Dialect { get; }

    /// <inheritdoc />
    public StoreCapabilities Capabilities { get; }

    /// <inheritdoc />
    public Task<Job> CreateJobAsync(ClientId client, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListJobsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<Job> UpdateJobAsync(ClientId client, JobId jobId, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task DeleteJobAsync(ClientId client, JobId jobId, bool cascade, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<JobDependency> AddDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task RemoveDependencyAsync(ClientId client, JobId jobId, JobId dependsOnJobId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListUpstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<Job>> ListDownstreamAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<EnqueueResult> EnqueueRunAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<JobRun> StartRunAsync(ClientId client, RunId runId, string workerId, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<JobRun> FinishRunAsync(ClientId client, RunId runId, RunStatus outcome, string? errorText, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<JobRun> CancelRunAsync(ClientId client, RunId runId, string? reason, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<JobRun?> GetRunAsync(ClientId client, RunId runId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<JobRun>> ListRunsAsync(ClientId client, JobId jobId, RunId? before, int limit, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<JobWithLatestRun>> ListLatestRunsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<JobRun>> ListReadyRunsAsync(ClientId client, DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotImplementedException();
}
