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

    [TestCase("postgresql://u%zz:pw@h/db", "bad %-escape in its user name")]
    [TestCase("postgresql://u:p%4@h/db", "bad %-escape in its password")]
    [TestCase("postgresql://u:p%C3@h/db", "bad %-escape in its password")]
    [TestCase("postgresql://u@h/d%g1", "bad %-escape in its database name")]
    [TestCase("postgresql://u@h/db?application_name=a%2", "bad %-escape in its query")]
    [TestCase("postgresql://u@h/db?ssl%mode=require", "bad %-escape in its query")]
    [TestCase("sqlite:///data%/app.db", "bad %-escape in its path")]
    [TestCase("postgresql://u@h:0/db", "invalid port (got 0)")]
    [TestCase("postgresql://u@h:65536/db", "invalid port (got 65536)")]
    [TestCase("postgresql://u@h:/db", "invalid port")]
    [TestCase("postgresql://u:pw@/db", "names no host")]
    [TestCase("postgresql:///db", "names no host")]
    [TestCase("postgresql://u@h/db?sslmode=require&SSLMODE=disable", "'SSLMODE' is given twice")]
    [TestCase("sqlite:///app.db?mode=ro", "query parameters")]
    public void Malformed_parts_anywhere_in_the_url_are_refused(string url, string reason)
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => DatabaseUrl.Parse(url));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [Test]
    public void Escapes_decode_as_utf8_and_a_port_at_the_limits_is_accepted()
    {
        var parts = Parts(DatabaseUrl.Parse("postgresql://%C3%A9l%C3%A8ve:p%25w@h:65535/caf%C3%A9?application_name=a%20b").ConnectionString);
        Assert.Multiple(() =>
        {
            Assert.That(parts["Username"], Is.EqualTo("élève"));
            Assert.That(parts["Password"], Is.EqualTo("p%w"));
            Assert.That(parts["Port"], Is.EqualTo("65535"));
            Assert.That(parts["Database"], Is.EqualTo("café"));
            Assert.That(parts["Application Name"], Is.EqualTo("a b"));
        });
        Assert.That(Parts(DatabaseUrl.Parse("postgresql://[::1]:1/db").ConnectionString)["Host"], Is.EqualTo("::1"));
    }

    [TestCase("postgresql://u:topsecret%zz@h/db")]
    [TestCase("postgresql://u:top@secret@h/db")]
    [TestCase("postgresql://u:topsecret@h:99999/db")]
    [TestCase("postgresql://u:topsecret@/db")]
    public void A_bad_url_error_never_shows_the_password(string url)
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => DatabaseUrl.Parse(url));
        Assert.That(error!.Message, Does.Not.Contain("secret"));
    }

    [Test]
    public void The_password_never_appears_in_an_error()
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => DatabaseUrl.Parse("postgresql://u:topsecret@h/"));
        Assert.That(error!.Message, Does.Not.Contain("topsecret"));
    }
}
