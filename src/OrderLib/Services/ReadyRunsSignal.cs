using System.Collections.Concurrent;

namespace OrderLib;

/// <summary>
/// Tells the hosted workers of this process that runs may have become ready (a run enqueued or triggered, an upstream
/// success or a retry recorded, a dependency removed), so that an idle worker claims at once instead of at its next poll.
/// One per service provider; the services raise it after their store call committed.
/// </summary>
internal sealed class ReadyRunsSignal
{
    private readonly ConcurrentDictionary<object, Action> _listeners = new();

    /// <summary>Calls <paramref name="wake"/> at every <see cref="Raise"/> until the returned handle is disposed.</summary>
    public IDisposable Listen(Action wake)
    {
        var key = new object();
        _listeners[key] = wake;
        return new Subscription(() => _listeners.TryRemove(key, out _));
    }

    /// <summary>Wakes every listener.</summary>
    public void Raise()
    {
        foreach (var wake in _listeners.Values)
        {
            wake();
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

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
