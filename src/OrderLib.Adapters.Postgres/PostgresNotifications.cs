namespace OrderLib.Adapters.Postgres;

/// <summary>How the PostgreSQL store wakes idle workers of other processes when runs become ready.</summary>
public enum PostgresNotifications
{
    /// <summary>
    /// The default: every write transaction that makes runs ready sends a <c>NOTIFY</c> (delivered on commit), and a
    /// process with a hosted worker holds one <c>LISTEN</c> connection that wakes its idle workers; they then poll only as
    /// a safety net (<c>NotifiedIdlePollInterval</c>). Needs a session connection for the listener: not PgBouncer in
    /// transaction mode (a process without a worker never listens, so it may use one).
    /// </summary>
    Listen,

    /// <summary>
    /// No <c>NOTIFY</c> and no <c>LISTEN</c>: workers wake on their own process's writes and poll for the rest
    /// (<c>IdlePollIntervalMax</c>). For PgBouncer in transaction mode, where <c>LISTEN</c> does not work.
    /// </summary>
    PollOnly,
}
