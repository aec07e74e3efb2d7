using OrderLib;
using OrderLib.Testing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-memory store, for host apps' unit tests.</summary>
public static class InMemoryOrderLibBuilderExtensions
{
    /// <summary>The provider name configuration uses to pick the in-memory store: <c>InMemory</c>.</summary>
    private const string ProviderName = "InMemory";

    /// <summary>
    /// Uses one <see cref="InMemoryOrderLibStore"/> per service provider: same behaviour as the database stores,
    /// no schema, nothing shared across processes.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UseInMemory(this OrderLibBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore(ProviderName, _ => new InMemoryOrderLibStore(), migratorFactory: null, _ => "in this process's memory");
    }

    /// <summary>
    /// Lets <c>AddOrderLib(configuration, providers =&gt; providers.AddInMemory())</c> pick the in-memory store with
    /// <c>OrderLib:Provider=InMemory</c>; no connection string is needed (one that is set is ignored).
    /// </summary>
    /// <returns><paramref name="providers"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="providers"/> is null.</exception>
    /// <exception cref="ArgumentException">A provider named <c>InMemory</c> is registered already.</exception>
    public static OrderLibProviders AddInMemory(this OrderLibProviders providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return providers.Add(ProviderName, static (builder, _) => builder.UseInMemory());
    }
}
