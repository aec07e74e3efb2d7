namespace OrderLib;

/// <summary>A listing of one client's pipeline runs, newest first: which ones (<see cref="Filter"/>), one page of how many, from where.</summary>
public sealed record PipelineRunSearch
{
    /// <summary>Which pipeline runs; the default matches every one.</summary>
    public PipelineRunFilter Filter { get; init; } = new();

    /// <summary>The page size, 1 to 1000. Default: 100.</summary>
    public int Limit { get; init; } = PagedSearch.DefaultLimit;

    /// <summary>The <see cref="Page{T}.Next"/> of the previous page of a pipeline run listing, or null for the first page.</summary>
    public PageCursor? Cursor { get; init; }

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

    /// <summary>The kind of this listing's cursors (see <see cref="PageCursor"/>).</summary>
    internal const string CursorKind = "pr1:";
}
