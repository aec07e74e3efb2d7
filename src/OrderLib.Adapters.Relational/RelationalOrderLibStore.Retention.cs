using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// TEMPORARY STUB: replaced by the retention implementation before this lands.
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <inheritdoc />
    public Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
