namespace OrderLib.Adapters.Sqlite;

/// <summary>How hard the SQLite store makes each commit durable (<c>PRAGMA synchronous</c>, set on every connection; the file is always in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// The default (<c>synchronous = FULL</c>): every commit is synced to disk before it returns, so a committed transaction
    /// survives an application crash, an OS crash and a power loss.
    /// </summary>
    Full,

    /// <summary>
    /// <c>synchronous = NORMAL</c>: commits are synced at WAL checkpoints only, which makes write transactions cheaper. An
    /// application crash still loses nothing; an OS crash or a power loss may lose the transactions committed since the
    /// last checkpoint (the database is never corrupted: it comes back as it was at an earlier commit). A run recorded as
    /// Succeeded may then come back as Running and be rescued and run again; a lost enqueue is lost.
    /// </summary>
    Normal,
}
