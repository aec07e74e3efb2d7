using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OrderLib;
using OrderLib.Adapters.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL store on the builder that <c>AddOrderLib</c> returns, or as a provider configuration can pick.</summary>
public static class PostgresOrderLibBuilderExtensions
{
    /// <summary>
    /// Uses a PostgreSQL database, e.g. <c>UsePostgres("Host=db;Database=app;Username=app;Password=...")</c>, with
    /// OrderLib's tables in <paramref name="schema"/>. Migrations come from <see cref="PostgresOrderLibMigrations.Create"/>.
    /// The store owns its connection pool and closes it when the service provider is disposed.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> or <paramref name="schema"/> is null, empty or blank.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, string connectionString, string schema = "public")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        return builder.UseStore(
            DatabaseUrl.Postgres,
            _ => new PostgresOrderLibStore(connectionString, schema),
            _ => PostgresOrderLibMigrations.Create(connectionString, schema));
    }

    /// <summary>
    /// Uses the host's own <paramref name="dataSource"/>; OrderLib neither owns nor disposes it. OrderLib's tables are
    /// in the first schema of the data source's <c>SearchPath</c>, or <c>public</c> when it sets none.
    /// </summary>
    /// <remarks>
    /// The migrator connects with <see cref="NpgsqlDataSource.ConnectionString"/>, from which Npgsql omits the password
    /// unless the connection string sets <c>Persist Security Info=true</c>. A host whose data source gets its password
    /// another way (a password provider, a pgpass file the migrator cannot use, ...) migrates with
    /// <see cref="PostgresOrderLibMigrations.Create"/> instead of <c>ApplyMigrationsAtStartup</c> or the registered migrator.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSource"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgres(_ => dataSource);
    }

    /// <summary>
    /// Uses the host's own data source, resolved once per service provider by <paramref name="dataSourceFactory"/>
    /// (e.g. <c>sp =&gt; sp.GetRequiredService&lt;NpgsqlDataSource&gt;()</c>); OrderLib neither owns nor disposes it.
    /// OrderLib's tables are in the first schema of the data source's <c>SearchPath</c>, or <c>public</c> when it sets none.
    /// </summary>
    /// <remarks>
    /// The migrator connects with <see cref="NpgsqlDataSource.ConnectionString"/>, from which Npgsql omits the password
    /// unless the connection string sets <c>Persist Security Info=true</c>. A host whose data source gets its password
    /// another way migrates with <see cref="PostgresOrderLibMigrations.Create"/> instead of <c>ApplyMigrationsAtStartup</c>
    /// or the registered migrator.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSourceFactory"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A store was chosen already; or, when the store is resolved, the factory returned null.</exception>
    public static OrderLibBuilder UsePostgres(this OrderLibBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSourceFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSourceFactory);
        builder.UseStore(
            DatabaseUrl.Postgres,
            sp => new PostgresOrderLibStore(sp.GetRequiredService<PostgresHostDataSource>().DataSource),
            sp =>
            {
                var dataSource = sp.GetRequiredService<PostgresHostDataSource>().DataSource;
                return PostgresOrderLibMigrations.Create(dataSource.ConnectionString, PostgresHostDataSource.SchemaOf(dataSource));
            });
        builder.Services.TryAddSingleton(sp => new PostgresHostDataSource(
            dataSourceFactory(sp) ?? throw new InvalidOperationException("The data source factory given to UsePostgres returned null.")));
        return builder;
    }

    /// <summary>
    /// Lets <c>AddOrderLib(configuration, providers =&gt; providers.AddPostgres())</c> pick PostgreSQL with
    /// <c>OrderLib:Provider=Postgres</c> or a <c>postgresql://</c> <c>DATABASE_URL</c>; the store is then
    /// <c>UsePostgres(connectionString, schema)</c> with the schema from <c>OrderLib:Schema</c> (<c>public</c> unless set).
    /// </summary>
    /// <returns><paramref name="providers"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="providers"/> is null.</exception>
    /// <exception cref="ArgumentException">A provider named <c>Postgres</c> is registered already.</exception>
    public static OrderLibProviders AddPostgres(this OrderLibProviders providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return providers.Add(
            DatabaseUrl.Postgres,
            static (builder, context) => builder.UsePostgres(
                context.RequireConnectionString(),
                context.Section["Schema"] is { Length: > 0 } schema ? schema : "public"));
    }
}
