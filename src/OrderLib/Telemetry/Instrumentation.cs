using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// OrderLib's one <see cref="ActivitySource"/> and <see cref="Meter"/> and their instruments. Every call site checks
/// <see cref="ActivitySource.HasListeners"/> (and <c>StartActivity</c> returns null without a listener)
/// and <see cref="Instrument.Enabled"/> first, so with nothing listening instrumentation costs a field read per call.
/// </summary>
internal static class Instrumentation
{
    private static readonly string? Version = typeof(Instrumentation).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(OrderLibTelemetry.ActivitySourceName, Version);

    public static readonly Meter Meter = new(OrderLibTelemetry.MeterName, Version);

    public static readonly Counter<long> RunsClaimed = Meter.CreateCounter<long>(OrderLibTelemetry.Metrics.RunsClaimed, "{run}", "Runs claimed by the workers of this process.");

    public static readonly Counter<long> RunsCompleted = Meter.CreateCounter<long>(OrderLibTelemetry.Metrics.RunsCompleted, "{run}", "Run outcomes recorded by the hosted workers of this process.");

    public static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>(OrderLibTelemetry.Metrics.RunDuration, "s", "How long each run's handler executed.");

    public static readonly Histogram<double> ClaimDuration = Meter.CreateHistogram<double>(OrderLibTelemetry.Metrics.ClaimDuration, "s", "How long each claim call took.");

    public static readonly Counter<long> LeasesLost = Meter.CreateCounter<long>(OrderLibTelemetry.Metrics.LeasesLost, "{run}", "Runs whose lease a worker of this process lost.");

    public static readonly Counter<long> RunsRescued = Meter.CreateCounter<long>(OrderLibTelemetry.Metrics.RunsRescued, "{run}", "Runs with an expired lease ended by a rescue of this process.");

    static Instrumentation()
    {
        Meter.CreateObservableGauge(OrderLibTelemetry.Metrics.QueueReady, OrderLibQueueMetrics.ObserveReady, "{run}", "Ready runs per client (cached reads of the queue depth).");
        Meter.CreateObservableGauge(OrderLibTelemetry.Metrics.QueueOldestReadyAge, OrderLibQueueMetrics.ObserveOldestReadyAge, "s", "Age of the oldest ready run per client; 0 when none is ready (cached reads of the queue depth).");
    }

    /// <summary>Makes sure the instruments exist (the static constructor ran), so a listener started later sees the gauges too.</summary>
    public static void EnsureCreated()
    {
        // The static constructor does the work.
    }

    /// <summary>The outcome attribute value of a run status.</summary>
    public static string Outcome(RunStatus status) => status switch
    {
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        RunStatus.Running => "running",
        _ => "pending",
    };

    /// <summary>Sets the span's status to Error with the exception as an <c>exception</c> event and <c>error.type</c>.</summary>
    public static void RecordError(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.AddException(exception);
        activity.SetTag(OrderLibTelemetry.Attributes.ErrorType, exception.GetType().FullName);
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
    }

    /// <summary>The parent context stored with a claimed run, or default when it has none (or it does not parse).</summary>
    public static ActivityContext ParentOf(ClaimedRun claimed) =>
        claimed.TraceContext is { } trace && trace.TryParse(out var context) ? context : default;
}
