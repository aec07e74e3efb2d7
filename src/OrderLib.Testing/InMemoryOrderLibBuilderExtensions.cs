using OrderLib;
using OrderLib.Testing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-memory store, for host apps' unit tests.</summary>
public static class InMemoryOrderLibBuilderExtensions
{
    /// <summary>
    /// Uses one <see cref="InMemoryOrderLibStore"/> per service provider: same behaviour as the database stores,
    /// no schema, nothing shared across processes.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UseInMemory(this OrderLibBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseStore("InMemory", _ => new InMemoryOrderLibStore(), migratorFactory: null);
    }
}
