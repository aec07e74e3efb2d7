using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>What every part of a started worker shares: its checked settings, the service it reports through, its clock and its logger.</summary>
internal sealed record WorkerDependencies(WorkerSettings Settings, WorkerRunService Queue, TimeProvider Time, ILogger Logger);
