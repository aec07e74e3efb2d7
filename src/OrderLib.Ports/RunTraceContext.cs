using System.Diagnostics;

namespace OrderLib.Ports;

/// <summary>
/// The W3C trace context (<c>traceparent</c>, <c>tracestate</c>) of whoever enqueued or triggered a run, stored with the run
/// (its retries keep it) and handed back with its claim, so the run's execution joins the caller's trace.
/// </summary>
/// <param name="TraceParent">The W3C <c>traceparent</c> header value, e.g. <c>00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01</c>.</param>
/// <param name="TraceState">The W3C <c>tracestate</c> header value, or null.</param>
public sealed record RunTraceContext(string TraceParent, string? TraceState)
{
    /// <summary>The longest <c>traceparent</c> or <c>tracestate</c> kept (longer ones are not stored: the run gets no trace context).</summary>
    public const int MaxLength = 1024;

    /// <summary>The trace context of <see cref="Activity.Current"/>, or null when there is none (or it is not a W3C activity).</summary>
    public static RunTraceContext? Current() => From(Activity.Current);

    /// <summary>The trace context of <paramref name="activity"/>, or null when it is null, not a W3C activity, or too long to keep.</summary>
    public static RunTraceContext? From(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id || id.Length > MaxLength)
        {
            return null;
        }

        var state = activity.TraceStateString;
        return new RunTraceContext(id, state is { Length: > 0 and <= MaxLength } ? state : null);
    }

    /// <summary>Reads the stored columns: null when <paramref name="traceParent"/> is null or empty.</summary>
    public static RunTraceContext? FromStored(string? traceParent, string? traceState) =>
        string.IsNullOrEmpty(traceParent) ? null : new RunTraceContext(traceParent, traceState);

    /// <summary>Parses the context for use as a parent; false when the stored text is not a valid <c>traceparent</c>.</summary>
    public bool TryParse(out ActivityContext context) =>
        ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out context);
}
