using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// TEMPORARY STUB: replaced by the statistics implementation before this lands.
public abstract partial class RelationalOrderLibStore
{
    /// <inheritdoc />
    public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
