using System.Collections.Concurrent;
using Npgsql;
using OrderLib.Ports;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// The store's one <c>LISTEN</c> connection (per store, so per data source and schema): opened from the store's data source
/// when the first subscriber comes, closed when the last one leaves or the store is disposed. Each notification on the
/// schema's channel goes to every subscriber with the client named by its payload (empty: any client). A broken
/// connection is reopened with a backoff doubling from 100 ms to 10 s; after every (re)connect the subscribers are told
/// that runs of any client may be ready, since notifications sent meanwhile are lost. While waiting it sends nothing,
/// except a <c>SELECT 1</c> after a minute without notifications, to find a connection that died silently.
/// </summary>
internal sealed class PostgresReadyListener : IReadyRunsNotifications, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Liveness = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly ConcurrentDictionary<object, IReadyRunsListener> _listeners = new();
    private readonly Lock _lock = new();
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public PostgresReadyListener(NpgsqlDataSource dataSource, string channel)
    {
        _dataSource = dataSource;
        _channel = channel;
    }

    /// <summary>The notification channel of <paramref name="schema"/>: <c>orderlib_&lt;schema&gt;</c>, cut to PostgreSQL's 63-character limit.</summary>
    public static string ChannelOf(string schema)
    {
        var channel = "orderlib_" + schema;
        return channel.Length <= 63 ? channel : channel[..63];
    }

    /// <inheritdoc />
    public IDisposable Subscribe(IReadyRunsListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var key = new object();
        lock (_lock)
        {
            _listeners[key] = listener;
            if (_stop is null)
            {
                _stop = new CancellationTokenSource();
                var stop = _stop;
                _loop = Task.Run(() => ListenAsync(stop));
            }
        }

        return new Subscription(this, key);
    }

    /// <summary>Stops listening and waits for the connection to close.</summary>
    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_lock)
        {
            _listeners.Clear();
            Stop();
            loop = _loop;
        }

        await loop.ConfigureAwait(false);
    }

    private void Unsubscribe(object key)
    {
        lock (_lock)
        {
            if (_listeners.TryRemove(key, out _) && _listeners.IsEmpty)
            {
                Stop();
            }
        }
    }

    // Called under _lock.
    private void Stop()
    {
        _stop?.Cancel();
        _stop = null;
    }

    private async Task ListenAsync(CancellationTokenSource stopSource)
    {
        var stop = stopSource.Token;
        var retry = FirstRetry;
        var reconnected = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                    connection.Notification += OnNotification;
                    await using (var listen = new NpgsqlCommand("LISTEN " + _channel, connection))
                    {
                        await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    retry = FirstRetry;
                    Tell(l => l.Listening(reconnected));
                    Tell(l => l.RunsMayBeReady(null)); // what was sent before the LISTEN took effect
                    reconnected = true;
                    try
                    {
                        while (true)
                        {
                            if (!await connection.WaitAsync(Liveness, stop).ConfigureAwait(false))
                            {
                                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                                await ping.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                            }
                        }
                    }
                    finally
                    {
                        await UnlistenAsync(connection).ConfigureAwait(false);
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception)
                {
                    Tell(l => l.ListeningFailed(exception, retry));
                    reconnected = true;
                    try
                    {
                        await Task.Delay(retry, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    retry = retry * 2 < MaxRetry ? retry * 2 : MaxRetry;
                }
            }
        }
        finally
        {
            stopSource.Dispose();
        }
    }

    // The connection goes back to the data source's pool, where no DISCARD ALL may run (No Reset On Close): stop
    // listening first, or its next user would keep receiving notifications it never reads. A broken connection fails
    // here and is not pooled again.
    private static async Task UnlistenAsync(NpgsqlConnection connection)
    {
        try
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
                await unlisten.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            // broken: the pool drops it
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        ClientId? client = null;
        if (e.Payload.Length > 0)
        {
            try
            {
                client = new ClientId(e.Payload);
            }
            catch (OrderLibValidationException)
            {
                // Not a client id (sent by someone else on our channel): wake everyone.
            }
        }

        Tell(l => l.RunsMayBeReady(client));
    }

    private void Tell(Action<IReadyRunsListener> report)
    {
        foreach (var listener in _listeners.Values)
        {
            report(listener);
        }
    }

    private sealed class Subscription(PostgresReadyListener owner, object key) : IDisposable
    {
        private PostgresReadyListener? _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Unsubscribe(key);
    }
}
