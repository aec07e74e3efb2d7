using System.Reflection;
using Microsoft.Extensions.Configuration;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>Turns <c>OrderLib:Provider</c>, <c>ConnectionStrings:OrderLib</c> and <c>DATABASE_URL</c> into a provider and a connection string.</summary>
internal sealed record OrderLibProviderSelection(IOrderLibProvider Provider, string ConnectionString)
{
    private const string ProviderKey = OrderLibOptions.SectionName + ":Provider";
    private const string ConnectionStringKey = "ConnectionStrings:OrderLib";
    private const string DatabaseUrlKey = "DATABASE_URL";

    /// <summary>The providers configuration can name, with the assembly that implements each.</summary>
    private static readonly Dictionary<string, string> AssemblyByProvider = new(StringComparer.OrdinalIgnoreCase)
    {
        [DatabaseUrl.Sqlite] = "OrderLib.Adapters.Sqlite",
        [DatabaseUrl.Postgres] = "OrderLib.Adapters.Postgres",
        ["InMemory"] = "OrderLib.Testing",
    };

    public static OrderLibProviderSelection FromConfiguration(IConfiguration configuration)
    {
        var providerName = NullIfBlank(configuration[ProviderKey]);
        var connectionString = NullIfBlank(configuration.GetConnectionString("OrderLib"));
        var databaseUrl = NullIfBlank(configuration[DatabaseUrlKey]);
        if (connectionString is null && databaseUrl is not null)
        {
            var parsed = DatabaseUrl.Parse(databaseUrl);
            if (providerName is not null && !string.Equals(providerName, parsed.Provider, StringComparison.OrdinalIgnoreCase))
            {
                throw new OrderLibConfigurationException($"{ProviderKey} is '{providerName}' but {DatabaseUrlKey} points to {parsed.Provider}; make them agree or remove {ProviderKey}.");
            }

            providerName = parsed.Provider;
            connectionString = parsed.ConnectionString;
        }

        if (providerName is null)
        {
            throw new OrderLibConfigurationException($"No OrderLib store configured: set {ProviderKey} to Sqlite, Postgres or InMemory (with {ConnectionStringKey}), or set {DatabaseUrlKey}.");
        }

        if (!AssemblyByProvider.TryGetValue(providerName, out var assemblyName))
        {
            throw new OrderLibConfigurationException($"{ProviderKey} is '{providerName}', which is not a known provider: set it to Sqlite, Postgres or InMemory.");
        }

        var isInMemory = assemblyName == "OrderLib.Testing";
        if (connectionString is null && !isInMemory)
        {
            throw new OrderLibConfigurationException($"{ProviderKey} is '{providerName}' but no connection string is set: set {ConnectionStringKey} or {DatabaseUrlKey}.");
        }

        return new OrderLibProviderSelection(LoadProvider(providerName, assemblyName), connectionString ?? "");
    }

    private static IOrderLibProvider LoadProvider(string providerName, string assemblyName)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new OrderLibConfigurationException($"{ProviderKey} is '{providerName}', but the assembly {assemblyName} is not available: add a reference to the {assemblyName} package.", exception);
        }

        var attribute = assembly.GetCustomAttribute<OrderLibProviderAttribute>()
            ?? throw new OrderLibConfigurationException($"The assembly {assemblyName} declares no [OrderLibProvider].");
        return (IOrderLibProvider)Activator.CreateInstance(attribute.ProviderType)!;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
