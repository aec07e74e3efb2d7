using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OrderLib;
using OrderLib.Adapters.Postgres;
using OrderLib.Ports;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL store on the builder that <c>AddOrderLib</c> returns, or as a provider configuration can pick.</summary>
public static class PostgresOrderLibBuilderExtensions
{
    /// <summary>The key, in the <c>OrderLib</c> section, of the schema <see cref="AddPostgres"/> uses.</summary>
    private const string SchemaKey = "Schema";

    /// <summary>The key, in the <c>OrderLib</c> section, of the <see cref="PostgresNotifications"/> <see cref="AddPostgres"/> uses.</summary>
    private const string NotificationsKey = "Notifications";

    /// <summary>
    /// Uses a PostgreSQL database, e.g. <c>UsePostgres("Host=db;Database=app;Username=app;Password=...")</c>, with
    /// OrderLib's tables in <paramref name="schema"/>. Migrations come from <see cref="PostgresOrderLibMigrations.Create"/>.
    /// The store owns its connection pool and closes it when the service provider is disposed. With
    /// <paramref name="notifications"/> <see cref="PostgresNotifications.Listen"/> (the default) writes that make runs ready
    /// wake idle hosted workers of every process through <c>LISTEN</c>/<c>NOTIFY</c>; use
    /// <see cref="PostgresNotifications.PollOnly"/> behind PgBouncer in transaction mode.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="schema"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or blank.</exception>
    /// <exception cref="OrderLibConfigurationException"><paramref name="schema"/> is not a plain lower-case identifier (<c>[a-z_][a-z0-9_]*</c>, at most 63 characters).</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, string connectionString, string schema = "public", PostgresNotifications notifications = PostgresNotifications.Listen)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(schema);
        return builder.UsePostgresSchema(connectionString, schema, "The schema argument of UsePostgres", notifications);
    }

    /// <summary>
    /// Uses the host's own <paramref name="dataSource"/>; OrderLib neither owns nor disposes it. OrderLib's tables are
    /// in the first schema of the data source's <c>SearchPath</c>, or <c>public</c> when it sets none. Notifications as in
    /// <see cref="UsePostgres(OrderLibBuilder, string, string, PostgresNotifications)"/>; the listener takes one connection
    /// of the data source.
    /// </summary>
    /// <remarks>
    /// The migrator connects with <see cref="NpgsqlDataSource.ConnectionString"/>, from which Npgsql omits the password
    /// unless the connection string sets <c>Persist Security Info=true</c>. A host whose data source gets its password
    /// another way (a password provider, a pgpass file the migrator cannot use, ...) migrates with
    /// <see cref="PostgresOrderLibMigrations.Create"/> instead of <c>ApplyMigrationsAtStartup</c> or the registered migrator.
    /// OrderLib cannot change a host's data source: unless its connection string sets <c>No Reset On Close=true</c>, every
    /// return of a connection to the pool costs a <c>DISCARD ALL</c> round trip (OrderLib itself leaves no session state).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSource"/> is null.</exception>
    /// <exception cref="OrderLibConfigurationException">The first <c>SearchPath</c> entry is not a plain lower-case identifier.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, NpgsqlDataSource dataSource, PostgresNotifications notifications = PostgresNotifications.Listen)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        _ = PostgresHostDataSource.Of(dataSource);
        return builder.UsePostgres(_ => dataSource, notifications);
    }

    /// <summary>
    /// Uses the host's own data source, resolved once per service provider by <paramref name="dataSourceFactory"/>
    /// (e.g. <c>sp =&gt; sp.GetRequiredService&lt;NpgsqlDataSource&gt;()</c>); OrderLib neither owns nor disposes it.
    /// OrderLib's tables are in the first schema of the data source's <c>SearchPath</c>, or <c>public</c> when it sets none.
    /// Notifications as in <see cref="UsePostgres(OrderLibBuilder, string, string, PostgresNotifications)"/>.
    /// </summary>
    /// <remarks>
    /// The migrator connects with <see cref="NpgsqlDataSource.ConnectionString"/>, from which Npgsql omits the password
    /// unless the connection string sets <c>Persist Security Info=true</c>. A host whose data source gets its password
    /// another way migrates with <see cref="PostgresOrderLibMigrations.Create"/> instead of <c>ApplyMigrationsAtStartup</c>
    /// or the registered migrator. <c>No Reset On Close</c> is the host's to set (see
    /// <see cref="UsePostgres(OrderLibBuilder, NpgsqlDataSource, PostgresNotifications)"/>).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSourceFactory"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already; or, when the store is resolved, the factory returned null.</exception>
    /// <exception cref="OrderLibConfigurationException">When the host starts (or the store is first resolved): the data source's first <c>SearchPath</c> entry is not a plain lower-case identifier.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSourceFactory, PostgresNotifications notifications = PostgresNotifications.Listen)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSourceFactory);
        builder.UseStore(
            DatabaseUrl.Postgres,
            sp => new PostgresOrderLibStore(sp.GetRequiredService<PostgresHostDataSource>().DataSource, notifications),
            sp =>
            {
                var dataSource = sp.GetRequiredService<PostgresHostDataSource>().DataSource;
                return PostgresOrderLibMigrations.Create(dataSource.ConnectionString, PostgresHostDataSource.SchemaOf(dataSource));
            },
            sp =>
            {
                var dataSource = sp.GetRequiredService<PostgresHostDataSource>().DataSource;
                return PostgresSettings.Describe(dataSource.ConnectionString, PostgresHostDataSource.SchemaOf(dataSource));
            });
        builder.Services.TryAddSingleton(sp => PostgresHostDataSource.Of(
            dataSourceFactory(sp) ?? throw new InvalidOperationException("The data source factory given to UsePostgres returned null.")));
        return builder.AddNotifications(notifications);
    }

    /// <summary>
    /// Lets <c>AddOrderLib(configuration, providers =&gt; providers.AddPostgres())</c> pick PostgreSQL with
    /// <c>OrderLib:Provider=Postgres</c> or a <c>postgresql://</c> <c>DATABASE_URL</c>; the store is then
    /// <c>UsePostgres(connectionString, schema, notifications)</c> with the schema from <c>OrderLib:Schema</c> (<c>public</c>
    /// unless set) and the notifications from <c>OrderLib:Notifications</c> (<c>Listen</c> or <c>PollOnly</c>, any case;
    /// <c>Listen</c> unless set).
    /// </summary>
    /// <returns><paramref name="providers"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="providers"/> is null.</exception>
    /// <exception cref="ArgumentException">A provider named <c>Postgres</c> is registered already.</exception>
    /// <remarks>When configuration picks PostgreSQL, a <c>OrderLib:Schema</c> that is not a plain lower-case identifier, or an <c>OrderLib:Notifications</c> that is neither <c>Listen</c> nor <c>PollOnly</c>, is refused then with an <see cref="OrderLibConfigurationException"/> naming the key.</remarks>
    public static OrderLibProviders AddPostgres(this OrderLibProviders providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return providers.Add(
            DatabaseUrl.Postgres,
            static (builder, context) => builder.UsePostgresSchema(
                context.RequireConnectionString(),
                context.Section[SchemaKey] is { } schema && !string.IsNullOrWhiteSpace(schema) ? schema.Trim() : "public",
                OrderLibOptions.SectionName + ":" + SchemaKey,
                PostgresSettings.ParseNotifications(context.Section[NotificationsKey], OrderLibOptions.SectionName + ":" + NotificationsKey)));
    }

    /// <summary>Registers the store over <paramref name="connectionString"/> once <paramref name="schema"/>, named <paramref name="schemaSetting"/> in messages, is known to be usable.</summary>
    private static OrderLibBuilder UsePostgresSchema(this OrderLibBuilder builder, string connectionString, string schema, string schemaSetting, PostgresNotifications notifications)
    {
        PostgresSettings.RequireSchema(schema, schemaSetting);
        return builder.UseStore(
                DatabaseUrl.Postgres,
                _ => new PostgresOrderLibStore(connectionString, schema, notifications),
                _ => PostgresOrderLibMigrations.Create(connectionString, schema),
                _ => PostgresSettings.Describe(connectionString, schema))
            .AddNotifications(notifications);
    }

    /// <summary>With <see cref="PostgresNotifications.Listen"/>, offers the store's notifications to the hosted workers.</summary>
    private static OrderLibBuilder AddNotifications(this OrderLibBuilder builder, PostgresNotifications notifications)
    {
        if (notifications == PostgresNotifications.Listen)
        {
            builder.Services.TryAddSingleton<IReadyRunsNotifications>(sp => sp.GetRequiredService<PostgresOrderLibStore>().Notifications!);
        }

        return builder;
    }
}
