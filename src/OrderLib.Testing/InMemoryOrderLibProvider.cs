using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderLib;
using OrderLib.Testing;

[assembly: OrderLibProvider(typeof(InMemoryOrderLibProvider))]

namespace OrderLib.Testing;

/// <summary>Lets <c>AddOrderLib(configuration)</c> pick the in-memory store with <c>OrderLib:Provider=InMemory</c>.</summary>
public sealed class InMemoryOrderLibProvider : IOrderLibProvider
{
    /// <summary>Calls <c>UseInMemory()</c>; the connection string is not used.</summary>
    public void Use(OrderLibBuilder builder, string connectionString, IConfigurationSection section) =>
        builder.UseInMemory();
}
