using OrderLib.Ports;

namespace OrderLib;

/// <summary>How a run's handler ended, as an executor hands it to the completer: Succeeded, Failed (with its error) or Cancelled.</summary>
/// <param name="Claimed">The run as claimed.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Error">The error text of a failure.</param>
/// <param name="LeaseExpiresAt">Until when the worker holds the run, as the last claim or heartbeat set it: the completer may try to record the outcome until then.</param>
/// <param name="Output">The output the handler set, recorded with a success (null otherwise).</param>
/// <param name="Span">The run's execution span, linked from the completion span; default when nothing listened.</param>
internal sealed record ExecutedRun(ClaimedRun Claimed, RunStatus Status, string? Error, DateTimeOffset LeaseExpiresAt, RunPayload? Output = null, System.Diagnostics.ActivityContext Span = default);
