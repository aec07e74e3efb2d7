using System.Data.Common;

namespace OrderLib.Adapters.Relational;

/// <summary>What differs between the relational databases; everything else is shared SQL in <see cref="RelationalOrderLibStore"/>.</summary>
internal abstract class SqlDialect
{
    /// <summary>Opens a connection ready for OrderLib's statements.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);
}
