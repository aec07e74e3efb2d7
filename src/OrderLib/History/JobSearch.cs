using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// A search of one client's jobs, in job id order: which jobs (<see cref="Filter"/>), one page of how many, from where.
/// Bind it from text with <see cref="FromFields"/> and back with <see cref="ToFields"/>.
/// </summary>
public sealed record JobSearch : PagedSearch
{
    /// <summary>Which jobs; the default matches every job.</summary>
    public JobFilter Filter { get; init; } = new();

    /// <summary>
    /// Binds a search from text fields (keys: the camelCase property names of this record and of <see cref="JobFilter"/>;
    /// formats as in <see cref="RunSearch.ToFields"/>). Unknown keys are refused.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A key is unknown or given twice, a value cannot be read, or the search it makes breaks a rule (as the services check it); the error names the key.</exception>
    public static JobSearch FromFields(IEnumerable<KeyValuePair<string, string?>> fields)
    {
        var reader = new SearchFields(fields, JobKeys);
        var search = new JobSearch
        {
            Filter = new JobFilter
            {
                NameEquals = reader.Text("nameEquals"),
                NamePrefix = reader.Text("namePrefix"),
                NameContains = reader.Text("nameContains"),
                HasSchedule = reader.Bool("hasSchedule"),
                NextDueFrom = reader.Time("nextDueFrom"),
                NextDueTo = reader.Time("nextDueTo"),
                LatestStatuses = reader.Statuses("latestStatuses"),
                HasRuns = reader.Bool("hasRuns"),
                HasDependencies = reader.Bool("hasDependencies"),
                HasDependents = reader.Bool("hasDependents"),
                Paused = reader.Bool("paused"),
                MinPriority = reader.Int("minPriority"),
                MaxPriority = reader.Int("maxPriority"),
            },
        };
        return ((JobSearch)search.WithPaging(reader)).Validate();
    }

    /// <summary>The search as text fields, only those that differ from the defaults, in a fixed order (see <see cref="RunSearch.ToFields"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToFields()
    {
        var fields = new SearchFieldWriter();
        fields.Text("nameEquals", Filter.NameEquals);
        fields.Text("namePrefix", Filter.NamePrefix);
        fields.Text("nameContains", Filter.NameContains);
        fields.Bool("hasSchedule", Filter.HasSchedule);
        fields.Time("nextDueFrom", Filter.NextDueFrom);
        fields.Time("nextDueTo", Filter.NextDueTo);
        fields.EnumSet("latestStatuses", Filter.LatestStatuses);
        fields.Bool("hasRuns", Filter.HasRuns);
        fields.Bool("hasDependencies", Filter.HasDependencies);
        fields.Bool("hasDependents", Filter.HasDependents);
        fields.Bool("paused", Filter.Paused);
        fields.Int("minPriority", Filter.MinPriority);
        fields.Int("maxPriority", Filter.MaxPriority);
        WritePaging(fields);
        return fields.Fields;
    }

    /// <summary>Checks the filter, the page size and the cursor.</summary>
    /// <exception cref="OrderLibValidationException">A rule is broken; the error names the property (camelCase).</exception>
    internal JobSearch Validate()
    {
        ArgumentNullException.ThrowIfNull(Filter, nameof(Filter));
        Filter.Validate();
        Paging.CheckLimit(Limit);
        _ = After;
        return this;
    }

    /// <summary>The job the page starts after, or null without a cursor.</summary>
    /// <exception cref="OrderLibValidationException">The cursor comes from another listing.</exception>
    internal JobId? After => Cursor is { } cursor ? new JobId(cursor.IdOf(CursorKind)) : null;

    /// <summary>The cursor after <paramref name="last"/>.</summary>
    internal static PageCursor CursorAfter(JobWithLatestRun last) => PageCursor.OfId(CursorKind, last.Job.Id.Value);

    private const string CursorKind = "js1:";

    private static readonly string[] JobKeys =
    [
        "nameEquals", "namePrefix", "nameContains", "hasSchedule", "nextDueFrom", "nextDueTo", "latestStatuses", "hasRuns",
        "hasDependencies", "hasDependents", "paused", "minPriority", "maxPriority", .. PagingKeys,
    ];
}
