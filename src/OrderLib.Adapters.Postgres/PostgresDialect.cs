using System.Data.Common;
using Npgsql;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Postgres;

/// <summary>PostgreSQL's differences from the shared relational SQL.</summary>
internal sealed class PostgresDialect(NpgsqlDataSource dataSource) : SqlDialect
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await DataSource.OpenConnectionAsync(cancellationToken);
}
