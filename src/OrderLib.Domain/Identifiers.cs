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

/// <summary>
/// The tenant a job belongs to. Every operation runs for one client and never sees another client's jobs.
/// Single-tenant hosts use <see cref="Default"/>.
/// </summary>
public readonly record struct ClientId
{
    /// <summary>The longest client id accepted.</summary>
    public const int MaxLength = 100;

    /// <summary>The client single-tenant hosts use: <c>default</c>.</summary>
    public static readonly ClientId Default = new("default");

    private readonly string? _value;

    /// <summary>Creates a client id from its trimmed text.</summary>
    /// <exception cref="OrderLibValidationException">The text is empty, blank or longer than <see cref="MaxLength"/>.</exception>
    public ClientId(string value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new OrderLibValidationException(nameof(value), "A client id must not be empty or blank.");
        }

        if (trimmed.Length > MaxLength)
        {
            throw new OrderLibValidationException(nameof(value), $"A client id must be at most {MaxLength} characters; got {trimmed.Length}.");
        }

        _value = trimmed;
    }

    /// <summary>The id's text; <c>default</c> for an uninitialised value.</summary>
    public string Value => _value ?? "default";

    /// <summary>Returns <see cref="Value"/>.</summary>
    public override string ToString() => Value;
}
