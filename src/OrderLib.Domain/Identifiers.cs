namespace OrderLib;

/// <summary>Identifies a job. Ids are assigned by the store and never reused.</summary>
/// <param name="Value">The store-assigned number.</param>
public readonly record struct JobId(long Value)
{
    /// <summary>Returns the number as text.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Identifies one run (one attempt) of a job. Ids are assigned by the store and never reused.</summary>
/// <param name="Value">The store-assigned number.</param>
public readonly record struct RunId(long Value)
{
    /// <summary>Returns the number as text.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Identifies a pipeline run: what one trigger (a caller's or a schedule's) started. Ids are assigned by the store and never reused.</summary>
/// <param name="Value">The store-assigned number.</param>
public readonly record struct PipelineRunId(long Value)
{
    /// <summary>Returns the number as text.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The tenant a job belongs to. Every operation runs for one client and never sees another client's jobs.
/// Single-tenant hosts use <see cref="Default"/>.
/// </summary>
public readonly record struct ClientId
{
    /// <summary>The longest client id accepted, in characters (text elements, see <see cref="TextRules"/>).</summary>
    public const int MaxLength = 100;

    /// <summary>The client single-tenant hosts use: <c>default</c>.</summary>
    public static readonly ClientId Default = new("default");

    private readonly string? _value;

    /// <summary>Creates a client id from its trimmed text.</summary>
    /// <exception cref="OrderLibValidationException">The text is empty, blank, holds a NUL or a lone surrogate, or is longer than <see cref="MaxLength"/>; the error's ParamName is <c>clientId</c>.</exception>
    public ClientId(string value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new OrderLibValidationException("clientId", "A client id must not be empty or blank.");
        }

        TextRules.RequireWellFormed(trimmed, "clientId", "A client id");
        _value = TextRules.RequireMaxLength(trimmed, MaxLength, "clientId", "A client id");
    }

    /// <summary>The id's text; <c>default</c> for an uninitialised value.</summary>
    public string Value => _value ?? "default";

    /// <summary>Returns <see cref="Value"/>.</summary>
    public override string ToString() => Value;
}

/// <summary>
/// Identifies a worker: who holds a run while it is Running. Every heartbeat and outcome proves ownership with it
/// (fencing), so give each worker process (or each worker in one) its own id.
/// </summary>
public readonly record struct WorkerId
{
    /// <summary>The longest worker id accepted, in characters (text elements, see <see cref="TextRules"/>).</summary>
    public const int MaxLength = 200;

    private readonly string? _value;

    /// <summary>Creates a worker id from its trimmed text.</summary>
    /// <exception cref="OrderLibValidationException">The text is empty, blank, holds a NUL or a lone surrogate, or is longer than <see cref="MaxLength"/>; the error's ParamName is <c>workerId</c>.</exception>
    public WorkerId(string value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new OrderLibValidationException("workerId", $"A worker id must be 1 to {MaxLength} characters (text elements); got an empty or blank one.");
        }

        TextRules.RequireWellFormed(trimmed, "workerId", "A worker id");
        _value = TextRules.RequireMaxLength(trimmed, MaxLength, "workerId", "A worker id");
    }

    /// <summary>The id's text.</summary>
    /// <exception cref="InvalidOperationException">The value was never initialised (<c>default(WorkerId)</c>).</exception>
    public string Value => _value ?? throw new InvalidOperationException("default(WorkerId) holds no id; create it with new WorkerId(text).");

    /// <summary>Returns <see cref="Value"/>.</summary>
    public override string ToString() => Value;
}

/// <summary>
/// The clients (tenants) a worker or scheduler serves: <see cref="All"/>, or a non-empty set built with <see cref="Only"/>.
/// </summary>
public sealed class Clients
{
    private readonly HashSet<ClientId>? _ids;

    private Clients(HashSet<ClientId>? ids) => _ids = ids;

    /// <summary>Every client, present and future.</summary>
    public static Clients All { get; } = new(null);

    /// <summary>True for <see cref="All"/>.</summary>
    public bool IsAll => _ids is null;

    /// <summary>The served clients in text order, or null for <see cref="All"/>.</summary>
    public IReadOnlyList<ClientId>? Ids => _ids?.OrderBy(id => id.Value, StringComparer.Ordinal).ToList();

    /// <summary>The given clients only (duplicates collapse).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="clients"/> is null.</exception>
    /// <exception cref="OrderLibValidationException"><paramref name="clients"/> is empty: serve at least one client, or use <see cref="All"/>.</exception>
    public static Clients Only(params IEnumerable<ClientId> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var ids = clients.ToHashSet();
        if (ids.Count == 0)
        {
            throw new OrderLibValidationException(nameof(clients), "Serve at least one client, or use Clients.All to serve all.");
        }

        return new Clients(ids);
    }

    /// <summary>True when <paramref name="client"/> is served.</summary>
    public bool Contains(ClientId client) => _ids is null || _ids.Contains(client);

    /// <summary>"all", or the client ids separated by commas.</summary>
    public override string ToString() => Ids is { } ids ? string.Join(",", ids) : "all";
}
