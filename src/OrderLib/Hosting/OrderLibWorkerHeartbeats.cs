using System.Collections.Concurrent;

namespace OrderLib;

/// <summary>
/// When each hosted worker of this container last went round its claim loop: the worker records a beat on every pass
/// (claiming, or waking from an idle or busy wait, at least every idle poll maximum), from its start until it stops.
/// The health checks read it to tell a live worker from a stuck one. Registered by <c>AddOrderLib</c>.
/// </summary>
public sealed class OrderLibWorkerHeartbeats
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _beats = new(StringComparer.Ordinal);

    /// <summary>The running workers by id, each with its last beat.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Workers => new Dictionary<string, DateTimeOffset>(_beats, StringComparer.Ordinal);

    /// <summary>Records that the worker went round its loop at <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="workerId"/> is null.</exception>
    public void Beat(string workerId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(workerId);
        _beats[workerId] = now;
    }

    /// <summary>Forgets the worker (it stopped).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="workerId"/> is null.</exception>
    public void Stopped(string workerId)
    {
        ArgumentNullException.ThrowIfNull(workerId);
        _beats.TryRemove(workerId, out _);
    }
}
