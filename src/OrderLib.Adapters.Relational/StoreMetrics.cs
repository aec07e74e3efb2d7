using System.Diagnostics.Metrics;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// The relational store's metrics, on the <see cref="Meter"/> named <c>OrderLib</c> (listen with a <see cref="MeterListener"/>
/// or OpenTelemetry's <c>AddMeter("OrderLib")</c>).
/// </summary>
internal static class StoreMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "OrderLib";

    /// <summary>The counter of write transactions run again, tagged <c>provider</c> and <c>reason</c>.</summary>
    public const string TransactionRetriesName = "orderlib.store.transaction.retries";

    /// <summary>The <c>reason</c> of a retry because the transaction's inputs changed under it.</summary>
    public const string InputsChanged = "inputs_changed";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        TransactionRetriesName,
        unit: "{retry}",
        description: "Write transactions OrderLib's store ran again after a deadlock, a serialization failure or inputs that changed under it.");

    /// <summary>Counts one retry of a write transaction for <paramref name="reason"/> (<c>deadlock</c>, <c>serialization_failure</c>, <c>inputs_changed</c>).</summary>
    public static void TransactionRetried(string provider, string reason) =>
        Retries.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("reason", reason));
}
