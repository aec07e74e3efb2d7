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

    /// <summary>The settings that chose the store, set by <c>AddOrderLib(configuration, ...)</c>; null when code chose it.</summary>
    internal OrderLibProviderContext? Configured { get; set; }

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
    /// One instance serves as <see cref="IJobStore"/>, <see cref="IDependencyStore"/>, <see cref="IRunStore"/>, <see cref="IRunQueueStore"/>,
    /// <see cref="IScheduleStore"/>, <see cref="IHistoryStore"/>, <see cref="IPipelineRunStore"/> and <see cref="IImportStore"/>.
    /// </summary>
    /// <param name="providerName">The adapter's name, for messages.</param>
    /// <param name="storeFactory">Builds the store once per service provider.</param>
    /// <param name="migratorFactory">Builds the schema migrator, or null for a store without a schema.</param>
    /// <param name="describeLocation">
    /// Says where the store keeps its data, for the line logged when the host starts (e.g. <c>file /var/lib/app/orderlib.db</c>);
    /// it must never include a password. Null when the store has nothing to say.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="providerName"/> or <paramref name="storeFactory"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public OrderLibBuilder UseStore<TStore>(
        string providerName,
        Func<IServiceProvider, TStore> storeFactory,
        Func<IServiceProvider, IOrderLibMigrator>? migratorFactory,
        Func<IServiceProvider, string>? describeLocation = null)
        where TStore : class, IJobStore, IDependencyStore, IRunStore, IRunQueueStore, IScheduleStore, IHistoryStore, IPipelineRunStore, IImportStore
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
        Services.TryAddSingleton<IHistoryStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IPipelineRunStore>(sp => sp.GetRequiredService<TStore>());
        Services.TryAddSingleton<IImportStore>(sp => sp.GetRequiredService<TStore>());
        if (migratorFactory is not null)
        {
            Services.TryAddSingleton(migratorFactory);
        }

        var chosenBy = Configured?.ChosenBy ?? $"chosen in code by {CodeCall(providerName)}";
        var databaseUrlIgnored = Configured?.DatabaseUrlIgnored ?? false;
        Services.TryAddSingleton(sp => new OrderLibStoreDescription(
            providerName,
            describeLocation?.Invoke(sp) ?? "no location given",
            chosenBy,
            databaseUrlIgnored));

        return this;
    }

    /// <summary>The builder call that picks OrderLib's own stores (<c>UseSqlite</c>, ...); <c>UseStore("name")</c> for any other.</summary>
    private static string CodeCall(string providerName) => providerName switch
    {
        DatabaseUrl.Sqlite or DatabaseUrl.Postgres or OrderLibProviderSelection.InMemory => "Use" + providerName,
        _ => $"UseStore(\"{providerName}\")",
    };
}

/// <summary>The chosen store as the start-up log line tells it: provider, where its data is, and which setting chose it.</summary>
/// <param name="ProviderName">The store's provider name.</param>
/// <param name="Location">Where the data is (never a password).</param>
/// <param name="ChosenBy">"chosen by DATABASE_URL", "chosen in code by UseSqlite", ...</param>
/// <param name="DatabaseUrlIgnored">True when DATABASE_URL is set but ConnectionStrings:OrderLib won.</param>
internal sealed record OrderLibStoreDescription(string ProviderName, string Location, string ChosenBy, bool DatabaseUrlIgnored);
