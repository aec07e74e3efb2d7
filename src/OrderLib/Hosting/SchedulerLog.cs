using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>The hosted scheduler's log messages (event ids 1100 to 1199; the table is in the hosting README).</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "OrderLib scheduler starting: batch {BatchSize}, sleeps {MinSleep} to {MaxSleep}, clients {Clients}")]
    public static partial void Starting(ILogger logger, int batchSize, TimeSpan minSleep, TimeSpan maxSleep, Clients clients);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "OrderLib scheduler stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "OrderLib scheduler: enqueuing due runs failed; trying again in {Delay}")]
    public static partial void PassFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "OrderLib scheduler: the database is unavailable ({Reason}); trying again in {Delay}")]
    public static partial void StoreUnavailable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Trace, Message = "OrderLib scheduler: sleeping {Sleep}")]
    public static partial void Sleeping(ILogger logger, TimeSpan sleep);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "OrderLib scheduler: enqueued {Created} run(s) for {Consumed} due occurrence(s)")]
    public static partial void Enqueued(ILogger logger, int created, int consumed);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "OrderLib scheduler: {Consumed} due occurrence(s), each kept by its job's active run")]
    public static partial void AllKept(ILogger logger, int consumed);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Debug, Message = "OrderLib scheduler: job '{JobName}' ({JobId}) of client '{ClientId}' due at {DueAt:O}: {Outcome} run {RunId}; next due {NextDueAt}")]
    public static partial void Occurrence(ILogger logger, string jobName, JobId jobId, ClientId clientId, DateTimeOffset dueAt, string outcome, RunId runId, string nextDueAt);
}
