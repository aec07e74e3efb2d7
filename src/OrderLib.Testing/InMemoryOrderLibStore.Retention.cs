using OrderLib.Ports;

namespace OrderLib.Testing;

// TEMPORARY STUB: replaced by the retention implementation before this lands.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
