using System.Globalization;

namespace OrderLib;

/// <summary>
/// A search of one client's runs across jobs: which runs (<see cref="Filter"/>), in which order, one page of how many,
/// from where. Bind it from text with <see cref="FromFields"/> (a command line, a URL's query) and back with
/// <see cref="ToFields"/>.
/// </summary>
public sealed record RunSearch : PagedSearch
{
    /// <summary>Which runs; the default matches every run.</summary>
    public RunFilter Filter { get; init; } = new();

    /// <summary>The timestamp runs are ordered by; ordering by Started or Finished lists only runs that have it. Default: Enqueued.</summary>
    public RunTimestamp OrderBy { get; init; } = RunTimestamp.Enqueued;

    /// <summary>Newest or oldest first. Default: newest first.</summary>
    public SortDirection Direction { get; init; } = SortDirection.NewestFirst;

    /// <summary>
    /// Binds a search from text fields, as a command line or a URL gives them (the keys are the camelCase property names of
    /// this record and of <see cref="RunFilter"/>; see <see cref="ToFields"/> for the formats). Unknown keys are refused.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A key is unknown or given twice, a value cannot be read, or the search it makes breaks a rule (as the services check it); the error names the key.</exception>
    public static RunSearch FromFields(IEnumerable<KeyValuePair<string, string?>> fields)
    {
        var reader = new SearchFields(fields, RunKeys);
        var search = new RunSearch
        {
            Filter = new RunFilter
            {
                Statuses = reader.Statuses("statuses"),
                JobIds = reader.JobIds("jobIds"),
                JobName = reader.Text("jobName"),
                JobNamePrefix = reader.Text("jobNamePrefix"),
                WorkerId = reader.Text("workerId"),
                MinAttempt = reader.Int("minAttempt"),
                MaxAttempt = reader.Int("maxAttempt"),
                EnqueuedFrom = reader.Time("enqueuedFrom"),
                EnqueuedTo = reader.Time("enqueuedTo"),
                StartedFrom = reader.Time("startedFrom"),
                StartedTo = reader.Time("startedTo"),
                FinishedFrom = reader.Time("finishedFrom"),
                FinishedTo = reader.Time("finishedTo"),
                MinDuration = reader.Duration("minDuration"),
                MaxDuration = reader.Duration("maxDuration"),
                ErrorContains = reader.Text("errorContains"),
            },
            OrderBy = reader.Enum<RunTimestamp>("orderBy") ?? RunTimestamp.Enqueued,
            Direction = reader.Direction("direction") ?? SortDirection.NewestFirst,
        };
        return ((RunSearch)search.WithPaging(reader)).Validate();
    }

    /// <summary>
    /// The search as text fields, only those that differ from the defaults, in a fixed order, so that
    /// <see cref="FromFields"/> gives the same search back: statuses and job ids comma-separated, times in ISO 8601 UTC
    /// (<c>2026-12-06T10:00:00.0000000Z</c>), durations in seconds (<c>90.5</c>), orderings and booleans in lower case
    /// (<c>finished</c>, <c>oldest</c>, <c>true</c>).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToFields()
    {
        var fields = new SearchFieldWriter();
        fields.EnumSet("statuses", Filter.Statuses);
        fields.JobIds("jobIds", Filter.JobIds);
        fields.Text("jobName", Filter.JobName);
        fields.Text("jobNamePrefix", Filter.JobNamePrefix);
        fields.Text("workerId", Filter.WorkerId);
        fields.Int("minAttempt", Filter.MinAttempt);
        fields.Int("maxAttempt", Filter.MaxAttempt);
        fields.Time("enqueuedFrom", Filter.EnqueuedFrom);
        fields.Time("enqueuedTo", Filter.EnqueuedTo);
        fields.Time("startedFrom", Filter.StartedFrom);
        fields.Time("startedTo", Filter.StartedTo);
        fields.Time("finishedFrom", Filter.FinishedFrom);
        fields.Time("finishedTo", Filter.FinishedTo);
        fields.Duration("minDuration", Filter.MinDuration);
        fields.Duration("maxDuration", Filter.MaxDuration);
        fields.Text("errorContains", Filter.ErrorContains);
        fields.Text("orderBy", OrderBy == RunTimestamp.Enqueued ? null : OrderBy.ToString().ToLowerInvariant());
        fields.Text("direction", Direction == SortDirection.NewestFirst ? null : "oldest");
        WritePaging(fields);
        return fields.Fields;
    }

    /// <summary>Checks everything but the cursor's ordering: the filter and the page size.</summary>
    /// <exception cref="OrderLibValidationException">A rule is broken; the error names the property (camelCase).</exception>
    internal RunSearch Validate()
    {
        ArgumentNullException.ThrowIfNull(Filter, nameof(Filter));
        Filter.Validate();
        if (!System.Enum.IsDefined(OrderBy))
        {
            throw new OrderLibValidationException("orderBy", $"{(int)OrderBy} is not a run timestamp; use Enqueued, Started or Finished.");
        }

        if (!System.Enum.IsDefined(Direction))
        {
            throw new OrderLibValidationException("direction", $"{(int)Direction} is not a direction; use NewestFirst or OldestFirst.");
        }

        Paging.CheckLimit(Limit);
        _ = Position;
        return this;
    }

    /// <summary>Where the cursor says the page starts, or null without a cursor.</summary>
    /// <exception cref="OrderLibValidationException">The cursor comes from another listing or another ordering.</exception>
    internal RunPosition? Position => Cursor is { } cursor ? ReadPosition(cursor.Payload) : null;

    /// <summary>The cursor after <paramref name="last"/> in this search's ordering.</summary>
    internal PageCursor CursorAfter(RunWithJobName last)
    {
        var position = PositionOf(last.Run, OrderBy);
        return PageCursor.Of(string.Create(CultureInfo.InvariantCulture, $"{CursorKind}{position.At.UtcTicks}:{position.RunId.Value}"));
    }

    /// <summary>Where <paramref name="run"/> stands in an ordering by <paramref name="orderBy"/>.</summary>
    /// <exception cref="InvalidOperationException">The run lacks that timestamp (a store listed it against the contract).</exception>
    internal static RunPosition PositionOf(JobRun run, RunTimestamp orderBy) =>
        RunPosition.Of(run, orderBy) ?? throw new InvalidOperationException($"Run {run.Id} has no {orderBy} time but was listed in that order.");

    private static readonly string[] RunKeys =
    [
        "statuses", "jobIds", "jobName", "jobNamePrefix", "workerId", "minAttempt", "maxAttempt", "enqueuedFrom", "enqueuedTo",
        "startedFrom", "startedTo", "finishedFrom", "finishedTo", "minDuration", "maxDuration", "errorContains",
        "orderBy", "direction", .. PagingKeys,
    ];

    // "rs1:<orderBy>:<direction>:", then the position's UTC ticks and run id.
    private string CursorKind => string.Create(CultureInfo.InvariantCulture, $"rs1:{(int)OrderBy}:{(int)Direction}:");

    private RunPosition ReadPosition(string payload)
    {
        var kind = CursorKind;
        if (!payload.StartsWith(kind, StringComparison.Ordinal))
        {
            throw PageCursor.ForeignCursor();
        }

        var parts = payload[kind.Length..].Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var runId))
        {
            throw PageCursor.ForeignCursor();
        }

        return new RunPosition(new DateTimeOffset(ticks, TimeSpan.Zero), new RunId(runId));
    }
}
