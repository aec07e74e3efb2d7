namespace OrderLib;

/// <summary>
/// A listing of one client's pipeline runs, newest first: which ones (<see cref="Filter"/>), one page of how many, from where.
/// Bind it from text with <see cref="FromFields"/> (a command line, a URL's query) and back with <see cref="ToFields"/>.
/// </summary>
public sealed record PipelineRunSearch
{
    /// <summary>Which pipeline runs; the default matches every one.</summary>
    public PipelineRunFilter Filter { get; init; } = new();

    /// <summary>The page size, 1 to 1000. Default: 100.</summary>
    public int Limit { get; init; } = PagedSearch.DefaultLimit;

    /// <summary>The <see cref="Page{T}.Next"/> of the previous page of a pipeline run listing, or null for the first page.</summary>
    public PageCursor? Cursor { get; init; }

    /// <summary>
    /// Binds a listing from text fields (keys: <c>states</c>, <c>rootJobId</c>, <c>triggerKind</c>, <c>label</c>,
    /// <c>createdFrom</c>, <c>createdTo</c>, <c>limit</c>, <c>cursor</c>; formats as in <see cref="RunSearch.ToFields"/>,
    /// states and the trigger kind by name in any case). Unknown keys are refused.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">A key is unknown or given twice, a value cannot be read, or the listing it makes breaks a rule (as <see cref="PipelineService.ListAsync"/> checks it); the error names the key.</exception>
    public static PipelineRunSearch FromFields(IEnumerable<KeyValuePair<string, string?>> fields)
    {
        var reader = new SearchFields(fields, Keys);
        return new PipelineRunSearch
        {
            Filter = new PipelineRunFilter
            {
                States = reader.EnumSet<PipelineRunState>("states", "pipeline run states"),
                RootJobId = reader.Job("rootJobId"),
                TriggerKind = reader.Enum<PipelineTriggerKind>("triggerKind"),
                Label = reader.Text("label"),
                CreatedFrom = reader.Time("createdFrom"),
                CreatedTo = reader.Time("createdTo"),
            },
            Limit = reader.Int("limit") ?? PagedSearch.DefaultLimit,
            Cursor = reader.Cursor("cursor"),
        }.Validate();
    }

    /// <summary>The listing as text fields, only those that differ from the defaults, in a fixed order, so that <see cref="FromFields"/> gives the same listing back.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToFields()
    {
        var fields = new SearchFieldWriter();
        fields.EnumSet("states", Filter.States);
        fields.Job("rootJobId", Filter.RootJobId);
        fields.Text("triggerKind", Filter.TriggerKind?.ToString().ToLowerInvariant());
        fields.Text("label", Filter.Label);
        fields.Time("createdFrom", Filter.CreatedFrom);
        fields.Time("createdTo", Filter.CreatedTo);
        fields.Int("limit", Limit == PagedSearch.DefaultLimit ? null : Limit);
        fields.Text("cursor", Cursor?.ToString());
        return fields.Fields;
    }

    /// <summary>Checks the filter, the page size and the cursor.</summary>
    /// <exception cref="OrderLibValidationException">A rule is broken (the error names the property, camelCase), or the cursor comes from another listing.</exception>
    internal PipelineRunSearch Validate()
    {
        ArgumentNullException.ThrowIfNull(Filter, nameof(Filter));
        Filter.Validate();
        Paging.CheckLimit(Limit);
        _ = Before;
        return this;
    }

    /// <summary>The pipeline run the page starts before, or null without a cursor.</summary>
    /// <exception cref="OrderLibValidationException">The cursor comes from another listing.</exception>
    internal PipelineRunId? Before => Cursor is { } cursor ? new PipelineRunId(cursor.IdOf(CursorKind)) : null;

    /// <summary>The cursor after <paramref name="last"/>.</summary>
    internal static PageCursor CursorAfter(PipelineRunSummary last) => PageCursor.OfId(CursorKind, last.Id.Value);

    private static readonly string[] Keys = ["states", "rootJobId", "triggerKind", "label", "createdFrom", "createdTo", "limit", "cursor"];

    /// <summary>The kind of this listing's cursors (see <see cref="PageCursor"/>).</summary>
    internal const string CursorKind = "pr1:";
}
