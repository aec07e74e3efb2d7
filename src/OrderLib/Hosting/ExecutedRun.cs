using OrderLib.Ports;

namespace OrderLib;

/// <summary>How a run's handler ended, as an executor hands it to the completer: Succeeded, Failed (with its error) or Cancelled.</summary>
internal sealed record ExecutedRun(ClaimedRun Claimed, RunStatus Status, string? Error);
