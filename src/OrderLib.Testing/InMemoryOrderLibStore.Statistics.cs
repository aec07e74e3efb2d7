using OrderLib.Ports;

namespace OrderLib.Testing;

// TEMPORARY STUB: replaced by the statistics implementation before this lands.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
