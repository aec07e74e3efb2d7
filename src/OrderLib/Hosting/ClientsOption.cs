namespace OrderLib;

/// <summary>Reads the <c>Clients</c> option of a worker or scheduler (client id texts, or null for every client).</summary>
internal static class ClientsOption
{
    /// <summary>The clients the option names; <see cref="Clients.All"/> when it is null.</summary>
    /// <param name="option">The option's name with its prefix, for messages.</param>
    /// <param name="clients">The option's value.</param>
    /// <exception cref="OrderLibConfigurationException">The list is empty or holds an invalid client id; the message names the option.</exception>
    public static Clients Parse(string option, IReadOnlyCollection<string>? clients)
    {
        if (clients is null)
        {
            return Clients.All;
        }

        if (clients.Count == 0)
        {
            throw new OrderLibConfigurationException(option + " must name at least one client, or be null to serve every client.");
        }

        try
        {
            return Clients.Only(clients.Select(client => new ClientId(client)));
        }
        catch (OrderLibValidationException exception)
        {
            throw new OrderLibConfigurationException(option + ": " + exception.Message, exception);
        }
    }
}
