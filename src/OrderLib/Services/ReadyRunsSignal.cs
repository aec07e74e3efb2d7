using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Tells the hosted workers of this process that runs may have become ready (a run enqueued or triggered, an upstream
/// success or a retry recorded, a dependency removed), so that an idle worker claims at once instead of at its next poll.
/// One per service provider; the services raise it after their store call committed. When the store offers
/// <see cref="IReadyRunsNotifications"/> (PostgreSQL with notifications on), the signal subscribes to it while at least
/// one worker listens, so writes of other processes wake this process's workers too.
/// </summary>
internal sealed class ReadyRunsSignal : IReadyRunsListener
{
    private readonly ConcurrentDictionary<object, (Action Wake, Clients Clients)> _listeners = new();
    private readonly IReadyRunsNotifications? _notifications;
    private readonly ILogger _logger;
    private readonly Lock _subscribing = new();
    private IDisposable? _subscription;

    /// <summary>A signal for the writes of this process only.</summary>
    public ReadyRunsSignal()
        : this(null, NullLogger.Instance)
    {
    }

    /// <summary>A signal that also relays <paramref name="notifications"/> (null: none) while someone listens, logging their state to <paramref name="logger"/>.</summary>
    public ReadyRunsSignal(IReadyRunsNotifications? notifications, ILogger logger)
    {
        _notifications = notifications;
        _logger = logger;
    }

    /// <summary>True when writes of other processes wake the listeners too (the store pushes notifications).</summary>
    public bool CrossProcess => _notifications is not null;

    /// <summary>
    /// Calls <paramref name="wake"/> at every <see cref="Raise"/> for a client in <paramref name="clients"/> (or for any
    /// client) until the returned handle is disposed.
    /// </summary>
    public IDisposable Listen(Action wake, Clients clients)
    {
        var key = new object();
        _listeners[key] = (wake, clients);
        if (_notifications is not null)
        {
            lock (_subscribing)
            {
                _subscription ??= _notifications.Subscribe(this);
            }
        }

        return new Subscription(() =>
        {
            _listeners.TryRemove(key, out _);
            lock (_subscribing)
            {
                if (_listeners.IsEmpty)
                {
                    _subscription?.Dispose();
                    _subscription = null;
                }
            }
        });
    }

    /// <summary>Wakes every listener that serves <paramref name="client"/>; every listener when it is null.</summary>
    public void Raise(ClientId? client = null)
    {
        foreach (var (wake, clients) in _listeners.Values)
        {
            if (client is not { } id || clients.Contains(id))
            {
                wake();
            }
        }
    }

    /// <summary>Awaits <paramref name="write"/>, then raises the signal (the write committed: runs may be ready now) unless <paramref name="changedNothing"/> says its result made no run ready.</summary>
    public async Task<T> RaiseAfter<T>(Task<T> write, Func<T, bool>? changedNothing = null)
    {
        var result = await write.ConfigureAwait(false);
        if (changedNothing?.Invoke(result) != true)
        {
            Raise();
        }

        return result;
    }

    /// <summary>Awaits <paramref name="write"/>, then raises the signal.</summary>
    public async Task RaiseAfter(Task write)
    {
        await write.ConfigureAwait(false);
        Raise();
    }

    /// <inheritdoc />
    void IReadyRunsListener.RunsMayBeReady(ClientId? client) => Raise(client);

    /// <inheritdoc />
    void IReadyRunsListener.Listening(bool reconnected)
    {
        if (reconnected)
        {
            ReadyRunsLog.Reconnected(_logger);
        }
        else
        {
            ReadyRunsLog.Listening(_logger);
        }
    }

    /// <inheritdoc />
    void IReadyRunsListener.ListeningFailed(Exception exception, TimeSpan retryIn) => ReadyRunsLog.ListeningFailed(_logger, exception, retryIn);

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
