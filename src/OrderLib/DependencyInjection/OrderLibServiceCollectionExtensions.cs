using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers OrderLib in a host app's service collection.</summary>
public static class OrderLibServiceCollectionExtensions
{
    /// <summary>
    /// Registers OrderLib's services (<see cref="IOrderLib"/>, <see cref="WorkerRunService"/>, <see cref="ScheduleService"/>) and lets <paramref name="configure"/> pick a store,
    /// e.g. <c>services.AddOrderLib(o =&gt; o.UseSqlite("Data Source=app.db"))</c>.
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
        services.AddOptions<OrderLibOptions>().Validate(options =>
        {
            options.Validate();
            return true;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IOrderLib>(CreateOrderLib);
        services.TryAddSingleton(sp => new WorkerRunService(
            sp.GetRequiredService<IRunQueueStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<OrderLibOptions>>().Value));
        services.TryAddSingleton(sp => new ScheduleService(sp.GetRequiredService<IScheduleStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OrderLibMigrationHostedService>());
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
    /// Registers OrderLib with the store named by configuration: <c>OrderLib:Provider</c> (<c>Sqlite</c> | <c>Postgres</c> |
    /// <c>InMemory</c>) and <c>ConnectionStrings:OrderLib</c>, or a <c>DATABASE_URL</c> in URL form
    /// (<c>postgresql://user:pass@host:5432/db</c>, <c>sqlite:///relative.db</c>, <c>sqlite:////absolute.db</c>).
    /// Options bind from the <c>OrderLib</c> section and are checked at once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The host's configuration root.</param>
    /// <returns>The builder, for further <c>Configure</c> calls.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OrderLibConfigurationException">The provider is unknown or missing, the connection string is missing, an option is invalid, or the provider's assembly is not referenced; the message names the key to set.</exception>
    public static OrderLibBuilder AddOrderLib(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(OrderLibOptions.SectionName);
        var options = new OrderLibOptions();
        section.Bind(options);
        options.Validate();

        var selection = OrderLibProviderSelection.FromConfiguration(configuration);
        var builder = services.AddOrderLib();
        services.Configure<OrderLibOptions>(section);
        selection.Provider.Use(builder, selection.ConnectionString, section);
        return builder;
    }

    private static IOrderLib CreateOrderLib(IServiceProvider services)
    {
        var jobStore = services.GetService<IJobStore>() ?? throw new OrderLibConfigurationException(
            "OrderLib has no store: call UseSqlite, UsePostgres or UseInMemory on AddOrderLib(), or use AddOrderLib(configuration).");
        var options = services.GetRequiredService<IOptions<OrderLibOptions>>().Value;
        var context = new OrderLibContext(
            jobStore,
            services.GetRequiredService<IDependencyStore>(),
            services.GetRequiredService<IRunStore>(),
            services.GetRequiredService<TimeProvider>(),
            options,
            new ClientId(options.DefaultClientId));
        return new OrderLibServices(context);
    }
}
