using System.Data.Common;
using Microsoft.Data.Sqlite;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Sqlite;

/// <summary>SQLite's differences from the shared relational SQL.</summary>
internal sealed class SqliteDialect(string connectionString) : SqlDialect
{
    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
