using Microsoft.Extensions.DependencyInjection;

namespace OrderLib;

/// <summary>The check the hosted services' factories make before they resolve the services a store backs.</summary>
internal static class HostedServiceStore
{
    /// <summary>Throws unless a store was chosen on <c>AddOrderLib</c>, naming <paramref name="feature"/> (<c>AddWorker</c>, <c>AddScheduler</c>).</summary>
    /// <exception cref="OrderLibConfigurationException">No store provides <typeparamref name="TPort"/>.</exception>
    public static void Require<TPort>(IServiceProvider services, string feature)
        where TPort : class
    {
        if (services.GetService<TPort>() is null)
        {
            throw new OrderLibConfigurationException($"{feature} needs a store: call UseSqlite, UsePostgres or UseInMemory on AddOrderLib().");
        }
    }
}
