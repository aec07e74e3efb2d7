using System.Data.Common;

namespace OrderLib.Adapters.Relational;

/// <summary>
/// What differs between the relational databases OrderLib runs on. Everything else — every query — is shared SQL in
/// <see cref="RelationalOrderLibStore"/> (its partial files by area); a provider overrides only these few members
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

    /// <summary>
    /// A statement that tells other processes, when the transaction commits, that runs of the client in the text parameter
    /// <c>@readyClient</c> (empty: of any client) may be ready (PostgreSQL <c>NOTIFY</c>); null by default, for databases
    /// that cannot, or a store configured not to. A SELECT of its own, so a condition may follow it (<c>WHERE ...</c>).
    /// </summary>
    public virtual string? NotifyRunsReady => null;

    /// <summary>
    /// True when a write of one statement needs an explicit transaction (SQLite: its immediate transaction takes the write
    /// lock before the statement reads the clock); false where the statement is atomic on its own (PostgreSQL), which
    /// saves the BEGIN and COMMIT round trips.
    /// </summary>
    public virtual bool OneStatementNeedsTransaction => true;

    /// <summary>The clause that appended to a SELECT locks the selected rows of <paramref name="alias"/> for update; empty by default.</summary>
    public virtual string ForUpdateOf(string alias) => string.Empty;

    /// <summary>The clause that appended to a SELECT share-locks the selected rows of <paramref name="alias"/>; empty by default.</summary>
    public virtual string ForShareOf(string alias) => string.Empty;

    /// <summary>
    /// The clause that, appended after a row-lock clause, makes the SELECT skip rows other transactions hold instead of
    /// waiting for them (<c>SKIP LOCKED</c>); empty by default, for databases that serialise writers.
    /// </summary>
    public virtual string SkipLocked => string.Empty;

    /// <summary>
    /// A condition that <paramref name="left"/> equals <paramref name="right"/>, two NULLs counting as equal:
    /// <c>IS NOT DISTINCT FROM</c> by default (SQL standard, PostgreSQL).
    /// </summary>
    public virtual string NullSafeEquals(string left, string right) => $"{left} IS NOT DISTINCT FROM {right}";

    /// <summary>
    /// A condition that <paramref name="expression"/> is one of the values of the list parameter <paramref name="parameter"/>
    /// (a .NET array, e.g. <c>long[]</c>): <c>expr = ANY(@p)</c> where the driver sends arrays; on SQLite the list travels
    /// as one JSON text (<see cref="Parameters"/>) read with <c>json_each</c>.
    /// </summary>
    public abstract string InList(string expression, string parameter);

    /// <summary>
    /// A condition that the indexed column <paramref name="column"/> is one of the values the query <paramref name="values"/>
    /// selects, written so that the rows are found through the column's index however many values the planner guesses:
    /// <c>column IN (values)</c> by default; PostgreSQL, which would otherwise scan a mid-sized table when it over-estimates
    /// the values (a JSON batch counts as 100 rows, each job as two edges), takes them as one array.
    /// </summary>
    public virtual string IndexedIn(string column, string values) => $"{column} IN ({values})";

    /// <summary>
    /// <paramref name="expression"/> (a column) written so that the planner does not reach rows through an index on it, for
    /// a query that should reach them through another index although it cannot tell which is better; by default the
    /// expression as it is, for planners that choose from statistics (PostgreSQL). SQLite, which plans without statistics
    /// unless ANALYZE was run, writes <c>+expression</c>.
    /// </summary>
    public virtual string NotThroughIndex(string expression) => expression;

    /// <summary>
    /// The clause that, after a table in FROM, makes the planner read it through the index <paramref name="index"/>, for a
    /// query the planner could not cost right without statistics; empty by default, for planners that choose from
    /// statistics (PostgreSQL). SQLite writes <c>INDEXED BY index</c> (its planner then must use it).
    /// </summary>
    public virtual string ThroughIndex(string index) => "";

    /// <summary>
    /// True when a search for a text in error texts first gathers the matching failed and cancelled runs, then sorts them
    /// (SQLite, which has no index on the texts); false where an index of the texts lets the planner choose between that
    /// and walking the search's order (PostgreSQL with <c>ix_job_runs_client_error_trgm</c>, from its statistics).
    /// </summary>
    public virtual bool GathersTextMatchesFirst => true;

    /// <summary>
    /// A condition that the text <paramref name="text"/> contains the text parameter <paramref name="needle"/>, the ASCII
    /// letters A–Z of <paramref name="text"/> folded to a–z and nothing else changed (the caller folds the needle with
    /// <see cref="TextRules.FoldAsciiCase"/>); false when <paramref name="text"/> is NULL.
    /// </summary>
    public abstract string ContainsFoldingAsciiCase(string text, string needle);

    /// <summary>
    /// The parameters of a command as this database takes them; by default <paramref name="param"/> as it is. A dialect
    /// whose <see cref="InList"/> reads a list differently (SQLite: one JSON text) converts the list values here.
    /// </summary>
    public virtual object Parameters(object param) => param;

    /// <summary>
    /// A table expression, usable in FROM and aliased <paramref name="alias"/>, over the JSON array of objects sent as the text
    /// parameter <paramref name="parameter"/>: one row per element, one column per entry of <paramref name="columns"/>
    /// ("name sqltype", the name being the JSON property). Batches of rows go to the database this way in one parameter.
    /// Timestamps travel as <see cref="JsonTimestamp"/> text.
    /// </summary>
    public abstract string JsonRows(string parameter, string alias, params string[] columns);

    /// <summary>A timestamp as it travels inside <see cref="JsonRows"/>: the ISO-8601 round-trip text of the UTC value.</summary>
    public static string JsonTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

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
    /// An expression of the start of the UTC <paramref name="bucket"/> (minute, hour or day) that the timestamp column
    /// <paramref name="column"/> falls in, a timestamp read back with <see cref="FromDb"/>.
    /// </summary>
    public abstract string BucketStart(string column, TimelineBucket bucket);

    /// <summary>
    /// An integer expression of <paramref name="finished"/> minus <paramref name="started"/> (timestamp columns) in whole
    /// microseconds, exact (timestamps are stored truncated to microseconds); null when either is null.
    /// </summary>
    public abstract string MicrosecondsBetween(string started, string finished);

    /// <summary>
    /// True when <paramref name="exception"/> (or an exception it wraps) says the database cannot be reached or cannot
    /// serve requests right now (connection refused or broken, timeout, shutdown, failover), as opposed to a refused
    /// statement; the store then throws <see cref="OrderLibDatabaseUnavailableException"/>.
    /// </summary>
    public abstract bool IsUnavailable(Exception exception);

    /// <summary>
    /// The reason, as the metric tag <c>reason</c>, when <paramref name="exception"/> rolled back a write transaction that
    /// is safe to run again as a whole (a deadlock or serialization failure); null otherwise. The default: none.
    /// </summary>
    public virtual string? TransientConflict(Exception exception) => null;

    /// <summary>A query of one boolean: does the table named by the text parameter <c>@table</c> exist where the store's statements look.</summary>
    public abstract string TableExists { get; }

    /// <summary>
    /// True when <paramref name="exception"/> is a violation of the unique index or constraint <paramref name="indexName"/>
    /// on <paramref name="table"/>.
    /// </summary>
    public abstract bool IsUniqueViolation(Exception exception, string indexName, string table);
}

/// <summary>
/// The schema a store expects to find: the migration versions this library knows, and the table (with its version column)
/// where the migrator records the applied ones.
/// </summary>
internal sealed record ExpectedSchema(IReadOnlyCollection<long> KnownVersions, string VersionTable, string VersionColumn);
