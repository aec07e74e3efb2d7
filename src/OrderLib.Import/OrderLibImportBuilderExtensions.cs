using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderLib.Import;

namespace OrderLib;

/// <summary>Registers <see cref="OrderLibImporter"/> beside OrderLib's services.</summary>
public static class OrderLibImportBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="OrderLibImporter"/> (a singleton) over the store chosen on <paramref name="builder"/>, e.g.
    /// <c>services.AddOrderLib(o =&gt; o.UseSqlite(connectionString)).AddImport()</c>.
    /// </summary>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static OrderLibBuilder AddImport(this OrderLibBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<OrderLibImporter>();
        return builder;
    }
}
