using Npgsql;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// The host's own <see cref="NpgsqlDataSource"/> given to <c>UsePostgres(dataSource)</c>, resolved once per service
/// provider and shared by the store and the migrator. Not disposable, so the container never disposes the data source.
/// </summary>
internal sealed record PostgresHostDataSource(NpgsqlDataSource DataSource)
{
    /// <summary>What the schema of a host data source is called in messages.</summary>
    public const string SchemaSetting = "The first SearchPath entry of the NpgsqlDataSource given to UsePostgres";

    /// <summary>Wraps <paramref name="dataSource"/> once its schema (<see cref="SchemaOf"/>) is known to be usable.</summary>
    /// <exception cref="OrderLibConfigurationException">The schema is not a plain lower-case identifier.</exception>
    public static PostgresHostDataSource Of(NpgsqlDataSource dataSource)
    {
        PostgresSettings.RequireSchema(SchemaOf(dataSource), SchemaSetting);
        return new PostgresHostDataSource(dataSource);
    }

    /// <summary>OrderLib's schema for a host data source: the first entry of its <c>SearchPath</c>, or <c>public</c> when it has none.</summary>
    public static string SchemaOf(NpgsqlDataSource dataSource)
    {
        var searchPath = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).SearchPath;
        var first = searchPath?.Split(',')[0].Trim();
        return string.IsNullOrEmpty(first) ? "public" : first;
    }
}
