using OrderLib;
using OrderLib.Adapters.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL store on the builder that <c>AddOrderLib</c> returns.</summary>
public static class PostgresOrderLibBuilderExtensions
{
    /// <summary>
    /// Uses a PostgreSQL database, e.g. <c>UsePostgres("Host=db;Database=app;Username=app;Password=...")</c>, with
    /// OrderLib's tables in <paramref name="schema"/>. Migrations come from <see cref="PostgresOrderLibMigrations.Create"/>.
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
            "Postgres",
            _ => new PostgresOrderLibStore(connectionString, schema),
            _ => PostgresOrderLibMigrations.Create(connectionString, schema));
    }
}
