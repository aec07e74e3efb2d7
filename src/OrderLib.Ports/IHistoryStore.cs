namespace OrderLib.Ports;

/// <summary>
/// Driven port: the read side of the history (searches and statistics, for APIs, a command line and a dashboard) and its
/// retention. Every method is scoped to one client: no filter reaches another client's jobs or runs, and a job id or
/// name of another client matches nothing. Filters and queries arrive validated (<see cref="RunFilter.Validate"/>,
/// <see cref="JobFilter.Validate"/>, <see cref="StatisticsQuery.Validate"/>, <see cref="PruneRequest.Validate"/>); the
/// services check them before calling. Shared semantics (the contract suite is their definition):
/// <list type="bullet">
/// <item>Timestamps compare as UTC instants; ranges include their start and exclude their end.</item>
/// <item>Durations (finished minus started) compare in whole microseconds, the precision timestamps are stored with
/// (<see cref="OrderLibClock.Truncate"/>): a <see cref="RunFilter.MinDuration"/> or <see cref="RunFilter.MaxDuration"/>
/// with a fraction of a microsecond acts as the next whole microsecond up, respectively down.</item>
/// <item><see cref="RunFilter.ErrorContains"/> and <see cref="JobFilter.NameContains"/> ignore the case of the ASCII
/// letters A–Z only, on every store (other letters compare exactly); name prefixes and names compare ordinally.</item>
/// <item>Reads see committed data; a page is one statement, so it is consistent in itself, and keyset positions make
/// consecutive pages neither skip nor repeat runs that existed when the first page was read, while others are added.</item>
/// </list>
/// The SQL adapters back each search shape with an index (client id and ordering timestamp on <c>job_runs</c>, a partial
/// index of the runs with an error text); the in-memory store scans.
/// </summary>
/// <remarks>
/// Database adapters raise, from any method, <see cref="OrderLibDatabaseUnavailableException"/> when the database cannot be
/// reached or cannot serve (the driver's error inside), <see cref="OrderLibSchemaVersionException"/> from their first
/// call when its schema does not match this library's migrations, and <see cref="OrderLibConcurrencyException"/> from a
/// write the database kept rolling back (deadlock, serialization failure) on every try.
/// </remarks>
public interface IHistoryStore
{
    /// <summary>
    /// The client's runs matching <paramref name="filter"/>, ordered by <paramref name="orderBy"/> in
    /// <paramref name="direction"/> (ties by run id in the same direction), strictly after <paramref name="after"/> in that
    /// order when given, at most <paramref name="limit"/>. Ordering by <see cref="RunTimestamp.Started"/> or
    /// <see cref="RunTimestamp.Finished"/> lists only the runs that have that timestamp.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many of the client's runs match <paramref name="filter"/> and have the <paramref name="orderBy"/> timestamp (the total of the search without paging).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken);

    /// <summary>The client's jobs matching <paramref name="filter"/>, each with its latest run, in job id order after <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many of the client's jobs match <paramref name="filter"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Statistics of the client's runs (of <see cref="StatisticsQuery.JobIds"/> when given) that finished in the query's
    /// window, overall, per job and as a timeline, and the queue depth at <paramref name="now"/>. A constant number of
    /// statements, whatever the window or the number of jobs.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes one batch of the client's runs that <paramref name="request"/> lets go: it looks at up to
    /// <see cref="PruneRequest.BatchSize"/> terminal runs that finished before <see cref="PruneRequest.OlderThan"/>, oldest
    /// finished first (then run id), strictly after <paramref name="after"/>, and deletes those that are neither among their
    /// job's <see cref="PruneRequest.KeepLatestPerJob"/> newest runs nor its latest run, in one short transaction that locks
    /// only the deleted rows (so claims and completions do not wait on it). Where rows are locked (PostgreSQL), a candidate
    /// another transaction holds at that moment is skipped, left for a later prune, rather than waited for.
    /// </summary>
    /// <returns>The runs deleted and where the next batch starts (null: nothing is left to look at).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken);

    /// <summary>Every client that has at least one job, in ordinal order (for maintenance that serves every client).</summary>
    Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken);
}
