using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrderLib.Tests.Observability;

/// <summary>Listens to OrderLib's ActivitySource and Meter (and the tests' own source) for one test, keeping what they report.</summary>
internal sealed class TelemetryCapture : IDisposable
{
    public const string TestSourceName = "OrderLib.Tests.Web";

    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name is OrderLibTelemetry.ActivitySourceName or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => Stopped.Add(activity),
        };
        ActivitySource.AddActivityListener(_activities);
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OrderLibTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measurements.Add(new Measurement(instrument.Name, instrument.Unit, value, ToDictionary(tags))));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measurements.Add(new Measurement(instrument.Name, instrument.Unit, value, ToDictionary(tags))));
        _meters.Start();
    }

    public ConcurrentBag<Activity> Stopped { get; } = [];

    public ConcurrentBag<Measurement> Measurements { get; } = [];

    public void ObserveGauges() => _meters.RecordObservableInstruments();

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    internal sealed record Measurement(string Name, string? Unit, double Value, Dictionary<string, object?> Tags)
    {
        public object? Tag(string key) => Tags.GetValueOrDefault(key);
    }
}
