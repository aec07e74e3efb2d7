using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace OrderLib.Tests.Faults;

/// <summary>
/// Keeps the host's warnings and errors in memory, so a fault test can print what the worker said about the fault
/// (how often, and a few examples) instead of flooding the test log with one line per failed call.
/// </summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private const int SamplesPerKind = 3;
    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>One line per kind of message (category, level, event): how many, and the first few.</summary>
    public string Summary()
    {
        if (_kinds.IsEmpty)
        {
            return "no warnings or errors logged";
        }

        var text = new StringBuilder();
        foreach (var (key, kind) in _kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {key}: {kind.Count}×");
            foreach (var sample in kind.Samples)
            {
                text.Append("\n    e.g. ").Append(sample);
            }
        }

        return text.ToString();
    }

    private void Add(string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        var shortCategory = category[(category.LastIndexOf('.') + 1)..];
        var kind = _kinds.GetOrAdd($"{level} {shortCategory}/{eventId.Name ?? eventId.Id.ToString(CultureInfo.InvariantCulture)}", _ => new Kind());
        if (Interlocked.Increment(ref kind.Count) <= SamplesPerKind)
        {
            var reason = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}]";
            kind.Samples.Enqueue(message + reason);
        }
    }

    private sealed class Kind
    {
        public readonly ConcurrentQueue<string> Samples = new();
        public int Count;
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Add(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }
}
