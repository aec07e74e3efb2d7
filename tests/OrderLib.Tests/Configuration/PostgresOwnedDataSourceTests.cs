using Npgsql;
using OrderLib.Adapters.Postgres;

namespace OrderLib.Tests.Configuration;

/// <summary>The settings of the data source a PostgreSQL store builds from a connection string.</summary>
[TestFixture]
public sealed class PostgresOwnedDataSourceTests
{
    private static NpgsqlConnectionStringBuilder Owned(string connectionString, PostgresNotifications notifications)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        PostgresOrderLibStore.ApplyOwnedDataSourceDefaults(settings, PostgresOrderLibStore.SetsMaxAutoPrepare(connectionString), "orderlib", notifications);
        return settings;
    }

    [Test]
    public void The_schema_is_the_search_path_and_connections_are_not_reset_on_return_to_the_pool()
    {
        var settings = Owned("Host=db;Database=app", PostgresNotifications.Listen);

        Assert.That(settings.SearchPath, Is.EqualTo("orderlib"));
        Assert.That(settings.NoResetOnClose, Is.True);
    }

    [Test]
    public void Statements_are_prepared_automatically_from_their_second_use()
    {
        var settings = Owned("Host=db;Database=app", PostgresNotifications.Listen);

        Assert.That(settings.MaxAutoPrepare, Is.EqualTo(100));
        Assert.That(settings.AutoPrepareMinUsages, Is.EqualTo(2));
    }

    [TestCase("Host=db;Max Auto Prepare=0", 0)]
    [TestCase("Host=db;MaxAutoPrepare=7", 7)]
    [TestCase("Host=db;max auto prepare=12", 12)]
    public void A_connection_strings_own_max_auto_prepare_is_kept(string connectionString, int expected)
    {
        var settings = Owned(connectionString, PostgresNotifications.Listen);

        Assert.That(settings.MaxAutoPrepare, Is.EqualTo(expected));
    }

    [Test]
    public void Poll_only_stores_do_not_prepare_statements_for_pgbouncer_in_transaction_mode()
    {
        var settings = Owned("Host=db;Database=app", PostgresNotifications.PollOnly);

        Assert.That(settings.MaxAutoPrepare, Is.Zero);
    }
}
