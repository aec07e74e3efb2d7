using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderLib;
using OrderLib.Adapters.Postgres;

[assembly: OrderLibProvider(typeof(PostgresOrderLibProvider))]

namespace OrderLib.Adapters.Postgres;

/// <summary>Lets <c>AddOrderLib(configuration)</c> pick PostgreSQL with <c>OrderLib:Provider=Postgres</c>.</summary>
public sealed class PostgresOrderLibProvider : IOrderLibProvider
{
    /// <summary>Calls <c>UsePostgres(connectionString, schema)</c> with the schema from <c>OrderLib:Schema</c> (default <c>public</c>).</summary>
    public void Use(OrderLibBuilder builder, string connectionString, IConfigurationSection section) =>
        builder.UsePostgres(connectionString, section["Schema"] is { Length: > 0 } schema ? schema : "public");
}
