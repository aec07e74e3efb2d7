namespace OrderLib;

/// <summary>What every history search has besides its filter: the page size, where the page starts, and whether to count.</summary>
public abstract record PagedSearch
{
    /// <summary>The default page size.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The page size, 1 to 1000. Default: <see cref="DefaultLimit"/>.</summary>
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="Page{T}.Next"/> of the previous page of the same search, or null for the first page.</summary>
    public PageCursor? Cursor { get; init; }

    /// <summary>True to count every match into <see cref="Page{T}.Total"/> (one more query).</summary>
    public bool IncludeTotal { get; init; }

    /// <summary>The text keys of the paging fields, which every search's text form accepts.</summary>
    private protected static readonly string[] PagingKeys = ["limit", "cursor", "includeTotal"];

    /// <summary>This search with the paging fields <paramref name="reader"/> holds.</summary>
    private protected PagedSearch WithPaging(SearchFields reader) => this with
    {
        Limit = reader.Int("limit") ?? DefaultLimit,
        Cursor = reader.Cursor("cursor"),
        IncludeTotal = reader.Bool("includeTotal") ?? false,
    };

    /// <summary>Writes the paging fields that differ from the defaults.</summary>
    private protected void WritePaging(SearchFieldWriter fields)
    {
        fields.Int("limit", Limit == DefaultLimit ? null : Limit);
        fields.Text("cursor", Cursor?.ToString());
        fields.Text("includeTotal", IncludeTotal ? "true" : null);
    }
}
