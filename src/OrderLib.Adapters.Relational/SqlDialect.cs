using System.Data.Common;
using OrderLib.Domain;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// What differs between the relational databases OrderLib runs on. Everything else — every query — is shared SQL in
/// <see cref="RelationalSql"/> and <see cref="RelationalOrderLibStore"/>; a provider overrides only these few members
/// (the same split as Quartz's <c>StdAdoDelegate</c> with its <c>PostgreSQLDelegate</c> and <c>SQLiteDelegate</c>).
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>Opens a connection ready for OrderLib's statements (session settings applied).</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins the transaction every multi-step write runs in.</summary>
    public abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Serialises changes to one client's dependency graph until the transaction ends. The default does nothing,
    /// for databases whose write transactions are serialised already.
    /// </summary>
    public virtual Task LockClientGraphAsync(DbConnection connection, DbTransaction transaction, ClientId client, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>The clause that appended to a SELECT locks the selected rows of <paramref name="alias"/> for update; empty by default.</summary>
    public virtual string ForUpdateOf(string alias) => string.Empty;

    /// <summary>The clause that appended to a SELECT share-locks the selected rows of <paramref name="alias"/>; empty by default.</summary>
    public virtual string ForShareOf(string alias) => string.Empty;

    /// <summary>The value to send for a timestamp parameter; the default sends the UTC <see cref="DateTimeOffset"/>.</summary>
    public virtual object ToDb(DateTimeOffset value) => value.ToUniversalTime();

    /// <summary>Reads a timestamp column's raw value back as a UTC <see cref="DateTimeOffset"/>.</summary>
    public virtual DateTimeOffset FromDb(object value) => value switch
    {
        DateTimeOffset offset => offset.ToUniversalTime(),
        DateTime { Kind: DateTimeKind.Local } local => new DateTimeOffset(local.ToUniversalTime()),
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        _ => throw new InvalidOperationException($"Cannot read a timestamp from a {value?.GetType().Name ?? "null"} value."),
    };

    /// <summary>
    /// True when <paramref name="exception"/> is a violation of the unique index or constraint <paramref name="indexName"/>
    /// on <paramref name="table"/>.
    /// </summary>
    public abstract bool IsUniqueViolation(Exception exception, string indexName, string table);
}
