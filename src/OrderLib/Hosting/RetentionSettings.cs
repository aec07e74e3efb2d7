namespace OrderLib;

/// <summary>The checked, frozen settings of a retention service, taken from <see cref="OrderLibRetentionOptions"/> when it starts.</summary>
/// <param name="Clients">The clients pruned.</param>
/// <param name="Interval">The time from the start of one pass to the start of the next.</param>
/// <param name="MaxAge">How long ago a run must have finished to go.</param>
/// <param name="Request">The prune request of every pass but its <see cref="PruneRequest.OlderThan"/>, validated.</param>
internal sealed record RetentionSettings(Clients Clients, TimeSpan Interval, TimeSpan MaxAge, PruneRequest Request)
{
    private const string Prefix = "OrderLib retention option ";
    private static readonly TimeSpan LongestInterval = TimeSpan.FromDays(7);

    // A longer age would take the cutoff below DateTimeOffset.MinValue (year 1) on some clocks.
    private static readonly TimeSpan LongestMaxAge = TimeSpan.FromDays(36_500);

    /// <exception cref="OrderLibConfigurationException">A value is out of range; the message names it.</exception>
    public static RetentionSettings From(OrderLibRetentionOptions options)
    {
        if (options.Interval <= TimeSpan.Zero || options.Interval > LongestInterval)
        {
            throw Invalid(nameof(options.Interval), $"must be positive and at most {LongestInterval}; got {options.Interval}.");
        }

        if (options.MaxAge <= TimeSpan.Zero || options.MaxAge > LongestMaxAge)
        {
            throw Invalid(nameof(options.MaxAge), $"must be positive and at most {LongestMaxAge}; got {options.MaxAge}.");
        }

        var request = new PruneRequest(DateTimeOffset.MinValue, options.KeepLatestPerJob)
        {
            BatchSize = options.BatchSize,
            PauseBetweenBatches = options.PauseBetweenBatches,
        };
        try
        {
            request.Validate();
        }
        catch (OrderLibValidationException exception)
        {
            // The request names its properties in camelCase; the options are the same names in PascalCase.
            var option = char.ToUpperInvariant(exception.ParamName[0]) + exception.ParamName[1..];
            throw new OrderLibConfigurationException(Prefix + option + ": " + exception.Message, exception);
        }

        return new RetentionSettings(ClientsOption.Parse(Prefix + nameof(OrderLibRetentionOptions.Clients), options.Clients), options.Interval, options.MaxAge, request);
    }

    /// <summary>The request of a pass starting at <paramref name="now"/>: runs finished before <paramref name="now"/> minus <see cref="MaxAge"/>.</summary>
    public PruneRequest RequestAt(DateTimeOffset now) => Request with { OlderThan = now - MaxAge };

    private static OrderLibConfigurationException Invalid(string option, string problem) => new(Prefix + option + " " + problem);
}
