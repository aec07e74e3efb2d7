using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>What every part of a started worker shares: its checked settings, the service it reports through, its clock and its logger.</summary>
internal sealed record WorkerDependencies(WorkerSettings Settings, WorkerRunService Queue, TimeProvider Time, ILogger Logger, OrderLibWorkerHeartbeats? Heartbeats = null)
{
    /// <summary>Records a pass of the claim loop for the health checks.</summary>
    public void Beat() => Heartbeats?.Beat(Settings.WorkerId.Value, Time.GetUtcNow());
}
