using Microsoft.Extensions.Logging;

namespace OrderLib;

/// <summary>The log messages of the process's wake-ups from store notifications (event ids 1300 to 1399; the table is in the hosting README).</summary>
internal static partial class ReadyRunsLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "OrderLib: listening for ready runs from every process (store notifications); idle workers poll only as a safety net")]
    public static partial void Listening(ILogger logger);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "OrderLib: listening for ready runs failed or its connection broke; workers poll meanwhile, retrying in {RetryIn}")]
    public static partial void ListeningFailed(ILogger logger, Exception exception, TimeSpan retryIn);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "OrderLib: listening for ready runs again; waking the workers once for what the gap may have missed")]
    public static partial void Reconnected(ILogger logger);
}
