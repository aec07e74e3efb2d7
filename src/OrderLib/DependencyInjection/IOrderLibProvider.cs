using Microsoft.Extensions.Configuration;

namespace OrderLib;

/// <summary>
/// Lets configuration pick a store adapter by name. Each adapter assembly marks its implementation with
/// <see cref="OrderLibProviderAttribute"/>; <c>AddOrderLib(configuration)</c> loads the assembly by name, so the
/// core still never references an adapter.
/// </summary>
public interface IOrderLibProvider
{
    /// <summary>Registers the adapter's store on <paramref name="builder"/>.</summary>
    /// <param name="builder">The builder to register on.</param>
    /// <param name="connectionString">The connection string from configuration (empty for the in-memory store).</param>
    /// <param name="section">The <c>OrderLib</c> configuration section, for adapter settings such as <c>Schema</c>.</param>
    void Use(OrderLibBuilder builder, string connectionString, IConfigurationSection section);
}

/// <summary>Marks the adapter assembly's <see cref="IOrderLibProvider"/> implementation.</summary>
/// <param name="providerType">A public type with a parameterless constructor implementing <see cref="IOrderLibProvider"/>.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class OrderLibProviderAttribute(Type providerType) : Attribute
{
    /// <summary>The type implementing <see cref="IOrderLibProvider"/>.</summary>
    public Type ProviderType { get; } = providerType;
}
