namespace OrderLib.Ports;

/// <summary>
/// Optional driven port: tells this process that writes of any process (this one included) may have made runs ready, so
/// that idle workers claim at once instead of at their next poll. A store offers it when its database can push such
/// news (PostgreSQL <c>LISTEN</c>/<c>NOTIFY</c>); without it, workers wake on writes of their own process and poll for
/// the rest. News may be late, repeated or (after a lost connection) missing: workers keep polling as a safety net.
/// </summary>
public interface IReadyRunsNotifications
{
    /// <summary>
    /// Starts listening, if this is the first subscription, and reports to <paramref name="listener"/> until the returned
    /// handle is disposed; the last disposed subscription stops the listening. Never throws for a database that is
    /// unreachable: the adapter retries in the background and tells the listener.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is null.</exception>
    IDisposable Subscribe(IReadyRunsListener listener);
}

/// <summary>What an <see cref="IReadyRunsNotifications"/> reports; called from the adapter's background loop, so it must return quickly and never throw.</summary>
public interface IReadyRunsListener
{
    /// <summary>Runs of <paramref name="client"/> (null: of any client) may be ready now.</summary>
    void RunsMayBeReady(ClientId? client);

    /// <summary>
    /// Listening (re)started; <paramref name="reconnected"/> is true after a lost connection, when news of the gap is lost
    /// (the adapter reports <see cref="RunsMayBeReady"/> for every client right after).
    /// </summary>
    void Listening(bool reconnected);

    /// <summary>Listening failed or its connection broke; the adapter tries again after <paramref name="retryIn"/>.</summary>
    void ListeningFailed(Exception exception, TimeSpan retryIn);
}
