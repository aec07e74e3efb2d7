using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>The hosted retention service's log messages (event ids 1400 to 1499; the table is in the hosting README).</summary>
internal static partial class RetentionLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "OrderLib retention starting: every {Interval}, deleting runs finished more than {MaxAge} ago, keeping {KeepLatestPerJob} per job and the latest, batches of {BatchSize} with pauses of {Pause}, clients {Clients}")]
    public static partial void Starting(ILogger logger, TimeSpan interval, TimeSpan maxAge, int keepLatestPerJob, int batchSize, TimeSpan pause, Clients clients);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "OrderLib retention stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "OrderLib retention: client '{ClientId}': deleted {Deleted} run(s) ({Succeeded} succeeded, {Failed} failed, {Cancelled} cancelled) of {Jobs} job(s), finished before {OlderThan:O}, in {Batches} batch(es) taking {Duration}")]
    public static partial void Pruned(ILogger logger, ClientId clientId, long deleted, long succeeded, long failed, long cancelled, int jobs, DateTimeOffset olderThan, int batches, TimeSpan duration);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "OrderLib retention: client '{ClientId}': nothing finished before {OlderThan:O} to delete ({Batches} batch(es) taking {Duration})")]
    public static partial void NothingPruned(ILogger logger, ClientId clientId, DateTimeOffset olderThan, int batches, TimeSpan duration);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "OrderLib retention: the database is unavailable ({Reason}); the pass stops, the next starts in {Delay}")]
    public static partial void StoreUnavailable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Error, Message = "OrderLib retention: the pass failed; the next starts in {Delay}")]
    public static partial void PassFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Error, Message = "OrderLib retention: client '{ClientId}': pruning failed; the pass goes on with the other clients")]
    public static partial void ClientFailed(ILogger logger, Exception exception, ClientId clientId);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Trace, Message = "OrderLib retention: sleeping {Sleep}")]
    public static partial void Sleeping(ILogger logger, TimeSpan sleep);
}
