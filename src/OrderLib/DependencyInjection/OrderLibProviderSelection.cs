using Microsoft.Extensions.Configuration;

namespace OrderLib;

/// <summary>Turns <c>OrderLib:Provider</c>, <c>ConnectionStrings:OrderLib</c> and <c>DATABASE_URL</c> into a registered provider and its context.</summary>
internal static class OrderLibProviderSelection
{
    public const string ProviderKey = OrderLibOptions.SectionName + ":Provider";
    public const string ConnectionStringKey = "ConnectionStrings:OrderLib";
    public const string DatabaseUrlKey = "DATABASE_URL";
    public const string InMemory = "InMemory";

    /// <summary>The call that registers each of OrderLib's own providers, for the message when one is configured but not registered.</summary>
    private static readonly Dictionary<string, string> RegistrationByProvider = new(StringComparer.OrdinalIgnoreCase)
    {
        [DatabaseUrl.Sqlite] = "providers.AddSqlite() from OrderLib.Adapters.Sqlite",
        [DatabaseUrl.Postgres] = "providers.AddPostgres() from OrderLib.Adapters.Postgres",
        [InMemory] = "providers.AddInMemory() from OrderLib.Testing",
    };

    /// <summary>Picks the configured provider among <paramref name="providers"/>.</summary>
    /// <remarks>The context says which keys chose the store, for the start-up log line, and whether a <c>DATABASE_URL</c> lost to <c>ConnectionStrings:OrderLib</c>.</remarks>
    /// <exception cref="OrderLibConfigurationException">No provider is configured, or the configured one is not registered, or the provider and <c>DATABASE_URL</c> disagree, or <c>DATABASE_URL</c> is invalid.</exception>
    public static (Action<OrderLibBuilder, OrderLibProviderContext> Use, OrderLibProviderContext Context) Select(IConfiguration configuration, OrderLibProviders providers)
    {
        var providerName = NullIfBlank(configuration[ProviderKey]);
        var connectionString = NullIfBlank(configuration.GetConnectionString("OrderLib"));
        var databaseUrl = NullIfBlank(configuration[DatabaseUrlKey]);
        var connectionStringKey = connectionString is null ? null : ConnectionStringKey;
        var chosenBy = providerName is null ? null : ProviderKey;
        if (connectionString is null && databaseUrl is not null)
        {
            var parsed = DatabaseUrl.Parse(databaseUrl);
            if (providerName is not null && !string.Equals(providerName, parsed.Provider, StringComparison.OrdinalIgnoreCase))
            {
                throw new OrderLibConfigurationException($"{ProviderKey} is '{providerName}' but {DatabaseUrlKey} points to {parsed.Provider}; make them agree or remove {ProviderKey}.");
            }

            providerName = parsed.Provider;
            connectionString = parsed.ConnectionString;
            connectionStringKey = DatabaseUrlKey;
        }

        chosenBy = string.Join(" + ", new[] { chosenBy, connectionStringKey }.OfType<string>());

        if (providerName is null)
        {
            throw new OrderLibConfigurationException($"No OrderLib store configured: set {ProviderKey} to {Registered(providers)} (with {ConnectionStringKey}), or set {DatabaseUrlKey}.");
        }

        var use = providers.Find(providerName);
        if (use is null)
        {
            throw new OrderLibConfigurationException(RegistrationByProvider.TryGetValue(providerName, out var registration)
                ? $"{ProviderKey} is '{providerName}', but that provider is not registered: add {registration} to AddOrderLib(configuration, providers => ...)."
                : $"{ProviderKey} is '{providerName}', which is not a known provider: set it to {Registered(providers)}, or register it with providers.Add(\"{providerName}\", ...).");
        }

        var context = new OrderLibProviderContext(providerName, connectionString, configuration.GetSection(OrderLibOptions.SectionName))
        {
            ConnectionStringKey = connectionStringKey,
            ChosenBy = "chosen by " + chosenBy,
            DatabaseUrlIgnored = databaseUrl is not null && connectionStringKey == ConnectionStringKey,
        };
        return (use, context);
    }

    /// <summary>"Sqlite, Postgres or InMemory" for the registered names.</summary>
    private static string Registered(OrderLibProviders providers) => providers.Names switch
    {
        [] => "a registered provider (none is registered: add providers.AddSqlite(), providers.AddPostgres() or providers.AddInMemory())",
        [var only] => only,
        var names => string.Join(", ", names[..^1]) + " or " + names[^1],
    };

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
