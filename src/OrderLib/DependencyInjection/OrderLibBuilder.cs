using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Returned by <c>AddOrderLib</c>: each store adapter adds a <c>UseXxx</c> extension on it
/// (<c>UseSqlite</c>, <c>UsePostgres</c>, <c>UseInMemory</c>), so the core never references an adapter.
/// </summary>
public sealed class OrderLibBuilder
{
    internal OrderLibBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection OrderLib registers into.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The name of the store chosen so far (<c>Sqlite</c>, <c>Postgres</c>, <c>InMemory</c>), or null.</summary>
    public string? ProviderName { get; private set; }

    /// <summary>Changes <see cref="OrderLibOptions"/> (lease duration, default client, migrations at start-up).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is null.</exception>
    public OrderLibBuilder Configure(Action<OrderLibOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Registers the store every service uses; adapters call this from their <c>UseXxx</c> extension.
    /// One instance serves as <see cref="IJobStore"/>, <see cref="IDependencyStore"/>, <see cref="IRunStore"/>, <see cref="IRunQueueStore"/> and <see cref="IScheduleStore"/>.
    /// </summary>
    /// <param name="providerName">The adapter's name, for messages.</param>
    /// <param name="storeFactory">Builds the store once per service provider.</param>
    /// <param name="migratorFactory">Builds the schema migrator, or null for a store without a schema.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public OrderLibBuilder UseStore<TStore>(string providerName, Func<IServiceProvider, TStore> storeFactory, Func<IServiceProvider, IOrderLibMigrator>? migratorFactory)
        where TStore : class, IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore
    {
        ArgumentNullException.ThrowIfNull(providerName);
        ArgumentNullException.ThrowIfNull(storeFactory);
        if (ProviderName is not null)
        {
            throw new InvalidOperationException($"OrderLib already uses the {ProviderName} store; choose one store only.");
        }

        ProviderName = providerName;
        Services.TryAddSingleton(storeFactory);
        Services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IDependencyStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IRunStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IRunQueueStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IScheduleStore>(sp => sp.GetRequiredService<TStore>());
        if (migratorFactory is not null)
        {
            Services.TryAddSingleton(migratorFactory);
        }

        return this;
    }
}
