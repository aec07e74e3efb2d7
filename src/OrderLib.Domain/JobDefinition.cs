namespace OrderLib;

/// <summary>
/// What a caller says about a job when creating or updating it. Every property validates on assignment,
/// so an invalid definition cannot be built.
/// </summary>
public sealed record JobDefinition
{
    /// <summary>The longest job name accepted, after trimming, in characters (text elements, see <see cref="TextRules"/>).</summary>
    public const int MaxNameLength = 200;

    /// <summary>The longest description accepted, in characters (text elements).</summary>
    public const int MaxDescriptionLength = 4000;

    /// <summary>The longest schedule text accepted, after trimming, in characters (text elements).</summary>
    public const int MaxScheduleLength = 200;

    private readonly string _name = "";
    private readonly string? _description;
    private readonly int _maxAttempts = 1;
    private readonly string? _schedule;

    /// <summary>Creates a definition with the given name and defaults for everything else.</summary>
    /// <exception cref="OrderLibValidationException">The name is empty, blank, holds a NUL or a lone surrogate, or is longer than <see cref="MaxNameLength"/>.</exception>
    public JobDefinition(string name) => Name = name;

    /// <summary>The job's name, trimmed; unique within its client; 1 to 200 characters (text elements); no NUL, no lone surrogate.</summary>
    /// <exception cref="OrderLibValidationException">The name is empty, blank, holds a NUL or a lone surrogate, or is too long.</exception>
    public string Name
    {
        get => _name;
        init => _name = RequireName(value, nameof(Name));
    }

    // A job name as every input that names a job takes it: trimmed, not empty, well formed, at most MaxNameLength.
    internal static string RequireName(string? value, string paramName)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new OrderLibValidationException(paramName, "A job name must not be empty or blank.");
        }

        TextRules.RequireWellFormed(trimmed, paramName, "A job name");
        return TextRules.RequireMaxLength(trimmed, MaxNameLength, paramName, "A job name");
    }

    /// <summary>Free text for people; null or at most 4000 characters (text elements); no NUL, no lone surrogate.</summary>
    /// <exception cref="OrderLibValidationException">The description holds a NUL or a lone surrogate, or is too long.</exception>
    public string? Description
    {
        get => _description;
        init => _description = value is null
            ? null
            : TextRules.RequireMaxLength(TextRules.RequireWellFormed(value, nameof(Description), "A description"), MaxDescriptionLength, nameof(Description), "A description");
    }

    /// <summary>Higher runs first when several runs are ready. Any integer; default 0.</summary>
    public int Priority { get; init; }

    /// <summary>How many attempts a run of this job gets before it fails for good (the Python library's "retries"); at least 1.</summary>
    /// <exception cref="OrderLibValidationException">The value is less than 1.</exception>
    public int MaxAttempts
    {
        get => _maxAttempts;
        init
        {
            if (value < 1)
            {
                throw new OrderLibValidationException(nameof(MaxAttempts), $"Max attempts must be at least 1; got {value}.");
            }

            _maxAttempts = value;
        }
    }

    /// <summary>
    /// The job's schedule text, trimmed; null for none. The services accept cron (<c>0 3 * * *</c>, optionally <c>TZ=zone</c> first)
    /// or an interval (<c>every 15m</c>, <c>PT15M</c>); see OrderLib's <c>JobScheduleParser</c>.
    /// </summary>
    /// <exception cref="OrderLibValidationException">The schedule is blank, holds a NUL or a lone surrogate, or is longer than <see cref="MaxScheduleLength"/>.</exception>
    public string? Schedule
    {
        get => _schedule;
        init
        {
            if (value is null)
            {
                _schedule = null;
                return;
            }

            var trimmed = value.Trim();
            if (trimmed.Length == 0)
            {
                throw new OrderLibValidationException(nameof(Schedule), "A schedule must not be blank; use null for none.");
            }

            TextRules.RequireWellFormed(trimmed, nameof(Schedule), "A schedule");
            _schedule = TextRules.RequireMaxLength(trimmed, MaxScheduleLength, nameof(Schedule), "A schedule");
        }
    }
}
