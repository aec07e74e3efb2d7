using Npgsql;

namespace OrderLib.Adapters.Postgres;

/// <summary>
/// The host's own <see cref="NpgsqlDataSource"/> given to <c>UsePostgres(dataSource)</c>, resolved once per service
/// provider and shared by the store and the migrator. Not disposable, so the container never disposes the data source.
/// </summary>
internal sealed record PostgresHostDataSource(NpgsqlDataSource DataSource)
{
    /// <summary>OrderLib's schema for a host data source: the first entry of its <c>SearchPath</c>, or <c>public</c> when it has none.</summary>
    public static string SchemaOf(NpgsqlDataSource dataSource)
    {
        var searchPath = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).SearchPath;
        var first = searchPath?.Split(',')[0].Trim();
        return string.IsNullOrEmpty(first) ? "public" : first;
    }
}
