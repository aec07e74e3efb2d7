using Npgsql;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Postgres;

/// <summary>Checks and describes what the PostgreSQL store is configured with, when it is registered or when the host starts.</summary>
internal static class PostgresSettings
{
    /// <summary>Returns <paramref name="schema"/> when it is a name the migrator and the store's search path agree on.</summary>
    /// <param name="schema">The schema to check.</param>
    /// <param name="setting">Where the schema came from, for the message (<c>OrderLib:Schema</c>, ...).</param>
    /// <exception cref="OrderLibConfigurationException">The schema is not a plain lower-case identifier; the message names <paramref name="setting"/>.</exception>
    public static string RequireSchema(string schema, string setting)
    {
        if (!PostgresMigrationTarget.IsPlainIdentifier(schema))
        {
            throw new OrderLibConfigurationException(
                $"{setting} is '{schema}', which is not {PostgresMigrationTarget.PlainIdentifierRule}: " +
                "PostgreSQL folds unquoted names to lower case, so the store would not find the tables the migrator creates. Use a name such as 'orderlib'.");
        }

        return schema;
    }

    /// <summary>Reads the notifications setting: <c>Listen</c> or <c>PollOnly</c> in any case (numbers are refused); <see cref="PostgresNotifications.Listen"/> when null or blank.</summary>
    /// <param name="value">The configured text.</param>
    /// <param name="setting">The key it came from, for the message (<c>OrderLib:Notifications</c>).</param>
    /// <exception cref="OrderLibConfigurationException">The text is another value; the message names <paramref name="setting"/>.</exception>
    public static PostgresNotifications ParseNotifications(string? value, string setting)
        => ConfiguredChoice.Parse(value, PostgresNotifications.Listen, setting, "Listen (wake workers of every process with LISTEN/NOTIFY, the default) or PollOnly (for PgBouncer in transaction mode)");

    /// <summary>"host db:5432, database orders, schema orderlib": where the store's data is, without the password.</summary>
    public static string Describe(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"host {builder.Host}:{builder.Port}, database {builder.Database ?? "(the user's default)"}, schema {schema}";
    }
}
