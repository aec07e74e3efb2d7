namespace OrderLib.Dashboard.Rendering;

/// <summary>How a search field is entered in a filter form.</summary>
internal enum SearchInput
{
    /// <summary>Free text, taken as given.</summary>
    Text,

    /// <summary>A whole number (a text input with a numeric keyboard, so a refused value stays visible to correct).</summary>
    Number,

    /// <summary>A time in ISO 8601 (UTC when it has no offset).</summary>
    Time,

    /// <summary>One checkbox per choice (<see cref="SearchField.Choices"/>); the checked ones are joined with commas.</summary>
    Checkboxes,

    /// <summary>One of a few values (<see cref="SearchField.Choices"/>).</summary>
    Choice,
}

/// <summary>One field of a filter form, named exactly as the search's text form names it.</summary>
/// <param name="Key">The search field's key, e.g. <c>jobNamePrefix</c>; also the input's name.</param>
/// <param name="Label">What the form calls it.</param>
/// <param name="Input">How it is entered.</param>
/// <param name="Placeholder">An example value, or null.</param>
/// <param name="Choices">For <see cref="SearchInput.Choice"/> and <see cref="SearchInput.Checkboxes"/>: the values and their labels (a choice's first usually the default, an empty value).</param>
internal sealed record SearchField(string Key, string Label, SearchInput Input, string? Placeholder = null, IReadOnlyList<KeyValuePair<string, string>>? Choices = null)
{
    /// <summary>The choices of a yes/no filter: any, yes (<c>true</c>), no (<c>false</c>).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> YesNo = [new("", "any"), new("true", "yes"), new("false", "no")];

    /// <summary>The values of an enum as the search fields write them (lower-case names), each labelled by itself.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Names<TEnum>()
        where TEnum : struct, Enum =>
        [.. Enum.GetNames<TEnum>().Select(name => name.ToLowerInvariant()).Select(name => KeyValuePair.Create(name, name))];

    /// <summary>The paging fields every search form ends with: the page size, and whether to count every match (one more query).</summary>
    public static readonly IReadOnlyList<SearchField> Paging =
    [
        new("limit", "Page size", SearchInput.Number, "100"),
        new("includeTotal", "Count matches", SearchInput.Choice, null, [new("", "no"), new("true", "yes")]),
    ];
}

/// <summary>
/// The filter forms of the search pages (runs, jobs, a job's runs): a GET form whose inputs are named as the search's text
/// fields, so submitting it gives the URL the page binds with <c>FromFields</c>, and the page fills it back with
/// <c>ToFields</c>; the query read back into fields; and the pager whose "Next page" link carries the cursor.
/// </summary>
internal static class SearchForm
{
    /// <summary>
    /// The request's query as search fields: the values of a list field (<paramref name="listKeys"/>, e.g. checked statuses)
    /// joined with commas, every other value as given (so a field given twice is still refused by <c>FromFields</c>).
    /// </summary>
    public static List<KeyValuePair<string, string?>> Fields(DashboardContext dashboard, params string[] listKeys)
    {
        var fields = new List<KeyValuePair<string, string?>>();
        foreach (var group in dashboard.PageQuery().GroupBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (listKeys.Contains(group.Key))
            {
                fields.Add(new(group.Key, string.Join(",", group.Select(pair => pair.Value).Where(value => !string.IsNullOrWhiteSpace(value)))));
            }
            else
            {
                fields.AddRange(group);
            }
        }

        return fields;
    }

    /// <summary>Field values by key, the last one winning: what the form shows.</summary>
    public static Dictionary<string, string> Values<TValue>(IEnumerable<KeyValuePair<string, TValue>> fields)
        where TValue : class?
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            values[key] = value as string ?? "";
        }

        return values;
    }

    /// <summary>
    /// The filter form: one input per field, filled with <paramref name="values"/>, the field the library refused
    /// (<paramref name="invalidKey"/>) marked; a Search button and a link that clears the filters.
    /// </summary>
    public static Html Render(DashboardContext dashboard, string path, IEnumerable<SearchField> fields, IReadOnlyDictionary<string, string> values, string? invalidKey)
    {
        var inputs = fields.Select(field => Input(field, values.GetValueOrDefault(field.Key) ?? "", field.Key == invalidKey));
        var client = dashboard.VisibleClients.Count > 1
            ? Html.Of($"<input type=\"hidden\" name=\"{DashboardContext.ClientParameter}\" value=\"{dashboard.Client.Value}\">")
            : Html.Empty;
        return Html.Of($"""
            <form class="filters" method="get" action="{dashboard.BasePath}/{path}">
            {client}
            {Html.Join(inputs)}
            <div class="actions"><button type="submit">Search</button> <a class="button secondary" href="{dashboard.Url(path)}">Clear</a></div>
            </form>
            """);
    }

    /// <summary>The refusal of an invalid search, naming the field, in the library's words.</summary>
    public static Html Refusal(OrderLibValidationException exception) =>
        Html.Of($"<div class=\"notice error\" role=\"alert\"><strong>Invalid search field <code>{exception.ParamName}</code>.</strong> {exception.Message}</div>");

    /// <summary>
    /// The pager: "First page" when this page came from a cursor, "Next page" (<c>rel="next"</c>) when there is more, both
    /// keeping <paramref name="fields"/> (the search's fields without its cursor).
    /// </summary>
    public static Html Pager(DashboardContext dashboard, string path, IReadOnlyList<KeyValuePair<string, string>> fields, PageCursor? current, PageCursor? next)
    {
        var first = Html.If(current is not null, Html.Of($"<a href=\"{dashboard.Url(path, fields)}\">First page</a>"));
        var following = next is { } cursor
            ? Html.Of($"<a rel=\"next\" href=\"{dashboard.Url(path, [.. fields, new("cursor", cursor.ToString())])}\">Next page</a>")
            : Html.Empty;
        return Html.If(current is not null || next is not null, Html.Of($"<nav class=\"pager\" aria-label=\"Pages\">{first}{following}</nav>"));
    }

    private static Html Input(SearchField field, string value, bool invalid)
    {
        var flag = invalid ? Html.Of($" aria-invalid=\"true\"") : Html.Empty;
        return field.Input switch
        {
            SearchInput.Checkboxes => Checkboxes(field, value, flag),
            SearchInput.Choice => Html.Of($"""<label>{field.Label}<select name="{field.Key}"{flag}>{Html.Join((field.Choices ?? []).Select(choice => Option(choice, value)))}</select></label>"""),
            SearchInput.Number => Html.Of($"""<label>{field.Label}<input type="text" inputmode="numeric" name="{field.Key}" value="{value}" placeholder="{field.Placeholder}"{flag}></label>"""),
            _ => Html.Of($"""<label>{field.Label}<input type="text" name="{field.Key}" value="{value}" placeholder="{field.Placeholder}"{flag}></label>"""),
        };
    }

    private static Html Option(KeyValuePair<string, string> choice, string value) => string.Equals(choice.Key, value, StringComparison.OrdinalIgnoreCase)
        ? Html.Of($"<option value=\"{choice.Key}\" selected>{choice.Value}</option>")
        : Html.Of($"<option value=\"{choice.Key}\">{choice.Value}</option>");

    private static Html Checkboxes(SearchField field, string value, Html flag)
    {
        var chosen = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var boxes = (field.Choices ?? []).Select(choice => chosen.Contains(choice.Key, StringComparer.OrdinalIgnoreCase)
            ? Html.Of($"<label class=\"check\"><input type=\"checkbox\" name=\"{field.Key}\" value=\"{choice.Key}\" checked>{choice.Value}</label>")
            : Html.Of($"<label class=\"check\"><input type=\"checkbox\" name=\"{field.Key}\" value=\"{choice.Key}\">{choice.Value}</label>"));
        return Html.Of($"<fieldset class=\"statuses\"{flag}><legend>{field.Label}</legend>{Html.Join(boxes)}</fieldset>");
    }
}
