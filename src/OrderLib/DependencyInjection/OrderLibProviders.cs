using Microsoft.Extensions.Configuration;

namespace OrderLib;

/// <summary>
/// The stores that <c>AddOrderLib(configuration, providers =&gt; ...)</c> may choose from by name
/// (<c>OrderLib:Provider</c> or <c>DATABASE_URL</c>). Each adapter adds itself with an extension method
/// (<c>AddSqlite()</c>, <c>AddPostgres()</c>, <c>AddInMemory()</c>), so the core references no adapter and nothing is
/// loaded by reflection.
/// </summary>
public sealed class OrderLibProviders
{
    private readonly Dictionary<string, Action<OrderLibBuilder, OrderLibProviderContext>> _providers = new(StringComparer.OrdinalIgnoreCase);

    internal OrderLibProviders()
    {
    }

    /// <summary>The registered provider names, in registration order.</summary>
    internal List<string> Names { get; } = [];

    /// <summary>Registers a store that configuration can pick as <paramref name="name"/> (compared case-insensitively).</summary>
    /// <param name="name">The value of <c>OrderLib:Provider</c> that picks this store, e.g. <c>Sqlite</c>.</param>
    /// <param name="use">Registers the store on the builder (typically by calling a <c>UseXxx</c> extension) from the configured connection string and section.</param>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="use"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank, or a provider of that name is registered already.</exception>
    public OrderLibProviders Add(string name, Action<OrderLibBuilder, OrderLibProviderContext> use)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(use);
        name = name.Trim();
        if (!_providers.TryAdd(name, use))
        {
            throw new ArgumentException($"An OrderLib provider named '{name}' is registered already.", nameof(name));
        }

        Names.Add(name);
        return this;
    }

    /// <summary>Returns the registration for <paramref name="name"/>, or null.</summary>
    internal Action<OrderLibBuilder, OrderLibProviderContext>? Find(string name) => _providers.GetValueOrDefault(name);
}

/// <summary>What configuration says about the chosen store, handed to the provider registered with <see cref="OrderLibProviders.Add"/>.</summary>
public sealed class OrderLibProviderContext
{
    internal OrderLibProviderContext(string providerName, string? connectionString, IConfigurationSection section)
    {
        ProviderName = providerName;
        ConnectionString = connectionString;
        Section = section;
    }

    /// <summary>The provider name as configured (<c>OrderLib:Provider</c>, or the one <c>DATABASE_URL</c> points to).</summary>
    public string ProviderName { get; }

    /// <summary>The connection string from <c>ConnectionStrings:OrderLib</c> or <c>DATABASE_URL</c>, or null when neither is set.</summary>
    public string? ConnectionString { get; }

    /// <summary>The <c>OrderLib</c> configuration section, for adapter settings such as <c>Schema</c>.</summary>
    public IConfigurationSection Section { get; }

    /// <summary>
    /// The key <see cref="ConnectionString"/> came from, <c>ConnectionStrings:OrderLib</c> or <c>DATABASE_URL</c>, for
    /// messages about it; null when no connection string is set.
    /// </summary>
    public string? ConnectionStringKey { get; internal init; }

    /// <summary>"chosen by OrderLib:Provider + ConnectionStrings:OrderLib", "chosen by DATABASE_URL", ...: the keys that chose the store.</summary>
    internal string ChosenBy { get; init; } = "chosen by configuration";

    /// <summary>True when <c>DATABASE_URL</c> is set but ignored because <c>ConnectionStrings:OrderLib</c> is set too.</summary>
    internal bool DatabaseUrlIgnored { get; init; }

    /// <summary>Returns <see cref="ConnectionString"/>, for stores that need one.</summary>
    /// <exception cref="OrderLibConfigurationException">No connection string is configured; the message names the keys to set.</exception>
    public string RequireConnectionString() => ConnectionString ?? throw new OrderLibConfigurationException(
        $"{OrderLibProviderSelection.ProviderKey} is '{ProviderName}' but no connection string is set: set {OrderLibProviderSelection.ConnectionStringKey} or {OrderLibProviderSelection.DatabaseUrlKey}.");
}
