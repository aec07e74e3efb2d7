using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>The hosted worker's log messages (event ids 1000 to 1099; the table is in the hosting README).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "OrderLib worker {WorkerId} starting: concurrency {Concurrency}, batch {BatchSize}, heartbeat every {HeartbeatInterval}, rescue every {RescueInterval}, clients {Clients}")]
    public static partial void Starting(ILogger logger, WorkerId workerId, int concurrency, int batchSize, TimeSpan heartbeatInterval, TimeSpan rescueInterval, Clients clients);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "OrderLib worker {WorkerId} stopped")]
    public static partial void Stopped(ILogger logger, string workerId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "OrderLib worker {WorkerId}: stopping; waiting up to {Timeout} for {Count} claimed run(s) to finish")]
    public static partial void Draining(ILogger logger, WorkerId workerId, TimeSpan timeout, int count);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: cancelling {Count} running handler(s) because {Why}; their runs will be rescued after their leases expire")]
    public static partial void Abandoning(ILogger logger, string workerId, int count, string why);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: {Count} claimed run(s) were not started because {Why}; they will be rescued after their leases expire")]
    public static partial void LeftUnstarted(ILogger logger, string workerId, int count, string why);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: claiming runs failed; retrying in {Delay}")]
    public static partial void ClaimFailed(ILogger logger, Exception exception, WorkerId workerId, TimeSpan delay);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' (attempt {Attempt}/{MaxAttempts}) failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, WorkerId workerId, RunId runId, string jobName, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "OrderLib worker {WorkerId}: cancellation requested for run {RunId}; stopping its handler")]
    public static partial void CancelRequested(ILogger logger, WorkerId workerId, RunId runId);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: lost run {RunId}: {Reason}; stopping its handler")]
    public static partial void LeaseLost(ILogger logger, WorkerId workerId, RunId runId, string reason);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: heartbeat of run {RunId} failed; trying again at the next one")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, WorkerId workerId, RunId runId);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' was lost (its lease ended); its outcome is not reported")]
    public static partial void OutcomeOfLostRunDropped(ILogger logger, WorkerId workerId, RunId runId, string jobName);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' was stopped by the shutdown; it is left to be rescued after its lease expires")]
    public static partial void StoppedByShutdown(ILogger logger, WorkerId workerId, RunId runId, string jobName);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Error, Message = "OrderLib worker {WorkerId}: unexpected error executing run {RunId}")]
    public static partial void ExecutionError(ILogger logger, Exception exception, WorkerId workerId, RunId runId);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Debug, Message = "OrderLib worker {WorkerId}: run {RunId} of job '{JobName}' ended {Status}{Retry}")]
    public static partial void Completed(ILogger logger, WorkerId workerId, RunId runId, string jobName, RunStatus status, string retry);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: reporting run {RunId} {Status} was refused: {Reason}")]
    public static partial void ReportRefused(ILogger logger, WorkerId workerId, RunId runId, RunStatus status, string reason);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: could not record {Count} outcome(s); keeping them and trying again in {Delay} (the earliest gives up at {Deadline}, when its lease ends)")]
    public static partial void ReportsPending(ILogger logger, Exception exception, WorkerId workerId, int count, TimeSpan delay, DateTimeOffset deadline);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Error, Message = "OrderLib worker {WorkerId}: gave up the {Status} outcome of run {RunId} of job '{JobName}' because {Why}; the run is rescued as 'worker lost' after its lease ends at {LeaseExpiresAt} and retried while attempts remain")]
    public static partial void OutcomeGivenUp(ILogger logger, WorkerId workerId, RunId runId, string jobName, RunStatus status, string why, DateTimeOffset leaseExpiresAt);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Information, Message = "OrderLib worker {WorkerId}: the store is reachable again; recorded {Count} outcome(s) kept for {Downtime}")]
    public static partial void ReportsRecovered(ILogger logger, WorkerId workerId, int count, TimeSpan downtime);

    [LoggerMessage(EventId = 1035, Level = LogLevel.Error, Message = "OrderLib worker {WorkerId}: the store refused a batch of {Count} outcome(s) as invalid; they are dropped and their runs rescued after their leases end")]
    public static partial void ReportsRefused(ILogger logger, Exception exception, WorkerId workerId, int count);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: rescued run {RunId} of worker '{LostWorker}', whose lease expired: {Status}{Retry}")]
    public static partial void Rescued(ILogger logger, WorkerId workerId, RunId runId, WorkerId? lostWorker, RunStatus status, string retry);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "OrderLib worker {WorkerId}: rescuing expired runs failed; trying again in {Delay}")]
    public static partial void RescueFailed(ILogger logger, Exception exception, WorkerId workerId, TimeSpan delay);
}
