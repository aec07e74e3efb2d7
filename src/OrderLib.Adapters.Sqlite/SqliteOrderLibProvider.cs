using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderLib;
using OrderLib.Adapters.Sqlite;

[assembly: OrderLibProvider(typeof(SqliteOrderLibProvider))]

namespace OrderLib.Adapters.Sqlite;

/// <summary>Lets <c>AddOrderLib(configuration)</c> pick SQLite with <c>OrderLib:Provider=Sqlite</c>.</summary>
public sealed class SqliteOrderLibProvider : IOrderLibProvider
{
    /// <summary>Calls <c>UseSqlite(connectionString)</c>.</summary>
    public void Use(OrderLibBuilder builder, string connectionString, IConfigurationSection section) =>
        builder.UseSqlite(connectionString);
}
