using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers OrderLib in a host app's service collection.</summary>
public static class OrderLibServiceCollectionExtensions
{
    /// <summary>
    /// Registers OrderLib's services (<see cref="IOrderLib"/>, <see cref="WorkerRunService"/>, <see cref="ScheduleService"/>) and lets <paramref name="configure"/> pick a store,
    /// e.g. <c>services.AddOrderLib(o =&gt; o.UseSqlite("Data Source=app.db"))</c>. <see cref="OrderLibOptions"/> are validated when the host
    /// starts (or when first read), failing with an <see cref="OptionsValidationException"/> whose message names the key to fix.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Picks the store and options; when given, it must choose a store.</param>
    /// <returns>The builder, for further <c>UseXxx</c> or <c>Configure</c> calls.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="OrderLibConfigurationException"><paramref name="configure"/> chose no store.</exception>
    public static OrderLibBuilder AddOrderLib(this IServiceCollection services, Action<OrderLibBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new OrderLibBuilder(services);
        services.AddOptions<OrderLibOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderLibOptions>, OrderLibOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IOrderLib>(CreateOrderLib);
        services.TryAddSingleton(sp => new ReadyRunsSignal(
            sp.GetService<IReadyRunsNotifications>(),
            sp.GetService<ILogger<ReadyRunsSignal>>() ?? (ILogger)NullLogger.Instance));
        services.TryAddSingleton(sp => new WorkerRunService(
            sp.GetRequiredService<IRunQueueStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<OrderLibOptions>>().Value,
            sp.GetRequiredService<ReadyRunsSignal>()));
        services.TryAddSingleton(sp => new OrderLibQueueMetrics(
            sp.GetRequiredService<IHistoryStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<OrderLibOptions>>().Value.QueueMetricsRefreshInterval));
        services.TryAddSingleton<OrderLibWorkerHeartbeats>();
        services.TryAddSingleton(sp => new ScheduleService(sp.GetRequiredService<IScheduleStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ReadyRunsSignal>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OrderLibStartupLogHostedService>(sp => new OrderLibStartupLogHostedService(
            sp.GetService<OrderLibStoreDescription>(),
            sp.GetService<ILogger<OrderLibStartupLogHostedService>>() ?? NullLogger<OrderLibStartupLogHostedService>.Instance)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OrderLibMigrationHostedService>(sp => new OrderLibMigrationHostedService(
            sp.GetService<IOrderLibMigrator>(),
            sp.GetRequiredService<IOptions<OrderLibOptions>>(),
            sp.GetService<ILogger<OrderLibMigrationHostedService>>() ?? NullLogger<OrderLibMigrationHostedService>.Instance)));
        if (configure is not null)
        {
            configure(builder);
            if (builder.ProviderName is null)
            {
                throw new OrderLibConfigurationException("AddOrderLib chose no store: call UseSqlite, UsePostgres or UseInMemory on the builder.");
            }
        }

        return builder;
    }

    /// <summary>
    /// Registers OrderLib with the store named by configuration, among the ones <paramref name="providers"/> registers,
    /// e.g. <c>services.AddOrderLib(configuration, providers =&gt; providers.AddSqlite().AddPostgres())</c>:
    /// <c>OrderLib:Provider</c> (<c>Sqlite</c> | <c>Postgres</c> | <c>InMemory</c> | a name given to <see cref="OrderLibProviders.Add"/>)
    /// and <c>ConnectionStrings:OrderLib</c>, or a <c>DATABASE_URL</c> in URL form
    /// (<c>postgresql://user:pass@host:5432/db</c>, <c>sqlite:///relative.db</c>, <c>sqlite:////absolute.db</c>).
    /// The store is chosen now; options bind from the <c>OrderLib</c> section and are validated when the host starts
    /// (or when first read), failing with an <see cref="OptionsValidationException"/> whose message names the key to fix.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The host's configuration root.</param>
    /// <param name="providers">Registers the stores configuration may pick, e.g. <c>providers =&gt; providers.AddSqlite()</c>.</param>
    /// <returns>The builder, for further <c>Configure</c> calls.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OrderLibConfigurationException">No provider is configured, the configured provider is not registered, the connection string is missing, or <c>DATABASE_URL</c> is invalid or disagrees with <c>OrderLib:Provider</c>; the message names the key to set or the provider to add.</exception>
    public static OrderLibBuilder AddOrderLib(this IServiceCollection services, IConfiguration configuration, Action<OrderLibProviders> providers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(providers);
        var registry = new OrderLibProviders();
        providers(registry);
        var (use, context) = OrderLibProviderSelection.Select(configuration, registry);

        var builder = services.AddOrderLib();
        services.AddOptions<OrderLibOptions>().Bind(context.Section);
        builder.Configured = context;
        use(builder, context);
        if (builder.ProviderName is null)
        {
            throw new OrderLibConfigurationException($"The provider registered as '{context.ProviderName}' chose no store: it must call UseSqlite, UsePostgres, UseInMemory or UseStore on the builder.");
        }

        return builder;
    }

    private static IOrderLib CreateOrderLib(IServiceProvider services)
    {
        var jobStore = services.GetService<IJobStore>() ?? throw new OrderLibConfigurationException(
            "OrderLib has no store: call UseSqlite, UsePostgres or UseInMemory on AddOrderLib(), or use AddOrderLib(configuration, providers => ...).");
        var options = services.GetRequiredService<IOptions<OrderLibOptions>>().Value;
        var context = new OrderLibContext(
            jobStore,
            services.GetRequiredService<IDependencyStore>(),
            services.GetRequiredService<IRunStore>(),
            services.GetRequiredService<IHistoryStore>(),
            services.GetRequiredService<IPipelineRunStore>(),
            services.GetRequiredService<TimeProvider>(),
            options,
            new ClientId(options.DefaultClientId),
            services.GetRequiredService<ReadyRunsSignal>());
        return new OrderLibServices(context);
    }
}
