using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrderLib.Tests.Infrastructure;

/// <summary>Counts the measurements of OrderLib's <c>orderlib.store.transaction.retries</c> counter (meter <c>OrderLib</c>) while it lives, by reason.</summary>
internal sealed class TransactionRetryListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _byReason = new();

    public TransactionRetryListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "OrderLib" && instrument.Name == "orderlib.store.transaction.retries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    _byReason.AddOrUpdate(tag.Value as string ?? "", value, (_, sum) => sum + value);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>How many retries were counted with <paramref name="reason"/>.</summary>
    public long Count(string reason) => _byReason.GetValueOrDefault(reason);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
