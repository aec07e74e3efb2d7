using System.Data.Common;
using OrderLib.Ports;

namespace OrderLib.Tests.Configuration;

public class DatabaseUrlTests
{
    private static DbConnectionStringBuilder Parts(string connectionString) => new() { ConnectionString = connectionString };

    [Test]
    public void Postgres_url_becomes_an_npgsql_connection_string()
    {
        var (provider, connectionString) = DatabaseUrl.Parse("postgresql://app:s%40cret%3B@db.example:6543/orders?sslmode=require");
        var parts = Parts(connectionString);
        Assert.Multiple(() =>
        {
            Assert.That(provider, Is.EqualTo("Postgres"));
            Assert.That(parts["Host"], Is.EqualTo("db.example"));
            Assert.That(parts["Port"], Is.EqualTo("6543"));
            Assert.That(parts["Database"], Is.EqualTo("orders"));
            Assert.That(parts["Username"], Is.EqualTo("app"));
            Assert.That(parts["Password"], Is.EqualTo("s@cret;"));
            Assert.That(parts["SSL Mode"], Is.EqualTo("require"));
        });
    }

    [TestCase("postgres://u@h/db")]
    [TestCase("postgresql+psycopg2://u@h/db")]
    public void Postgres_scheme_variants_default_to_port_5432(string url)
    {
        var (provider, connectionString) = DatabaseUrl.Parse(url);
        Assert.That(provider, Is.EqualTo("Postgres"));
        Assert.That(Parts(connectionString)["Port"], Is.EqualTo("5432"));
    }

    [Test]
    public void Sqlite_three_slashes_is_relative_and_four_is_absolute()
    {
        Assert.That(Parts(DatabaseUrl.Parse("sqlite:///data/app.db").ConnectionString)["Data Source"], Is.EqualTo("data/app.db"));
        Assert.That(Parts(DatabaseUrl.Parse("sqlite:////var/lib/app.db").ConnectionString)["Data Source"], Is.EqualTo("/var/lib/app.db"));
        Assert.That(DatabaseUrl.Parse("sqlite:///app.db").Provider, Is.EqualTo("Sqlite"));
    }

    [TestCase("mysql://u@h/db", "mysql")]
    [TestCase("not a url", "DATABASE_URL must look like")]
    [TestCase("postgresql://u@h/", "names no database")]
    [TestCase("postgresql://u@h/db?pool=3", "'pool' is not supported")]
    [TestCase("sqlite:///:memory:", "in-memory SQLite is not supported")]
    [TestCase("sqlite://app.db", "three slashes")]
    public void Malformed_or_unsupported_urls_are_refused_with_a_reason(string url, string reason)
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => DatabaseUrl.Parse(url));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [Test]
    public void The_password_never_appears_in_an_error()
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => DatabaseUrl.Parse("postgresql://u:topsecret@h/"));
        Assert.That(error!.Message, Does.Not.Contain("topsecret"));
    }
}
