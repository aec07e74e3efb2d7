using OrderLib.Ports;

namespace OrderLib.Testing;

// TEMPORARY STUB: replaced by the search implementation before this lands.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <inheritdoc />
    public Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <inheritdoc />
    public Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
