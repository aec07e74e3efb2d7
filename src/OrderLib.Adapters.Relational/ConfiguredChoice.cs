namespace OrderLib.Adapters.Relational;

/// <summary>Reads an adapter setting that names one value of an enum, for the adapters' <c>AddXxx</c> provider registrations.</summary>
internal static class ConfiguredChoice
{
    /// <summary>
    /// The member of <typeparamref name="T"/> that <paramref name="value"/> names (any case, surrounding blanks ignored),
    /// or <paramref name="fallback"/> when it is null or blank.
    /// </summary>
    /// <param name="value">The configured text.</param>
    /// <param name="fallback">The value when nothing is configured.</param>
    /// <param name="setting">The key the text came from, for the message (<c>OrderLib:Notifications</c>, ...).</param>
    /// <param name="choices">What the allowed values mean, for the message.</param>
    /// <exception cref="OrderLibConfigurationException">The text names no member (numbers are refused too); the message names <paramref name="setting"/>.</exception>
    public static T Parse<T>(string? value, T fallback, string setting, string choices)
        where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        var name = value.Trim();
        foreach (var member in Enum.GetValues<T>())
        {
            if (string.Equals(member.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                return member;
            }
        }

        throw new OrderLibConfigurationException($"{setting} is '{value}', which is not {choices}.");
    }
}
