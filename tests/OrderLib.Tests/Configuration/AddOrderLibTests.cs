using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderLib.Adapters.Postgres;
using OrderLib.Adapters.Sqlite;
using OrderLib.Ports;
using OrderLib.Testing;

namespace OrderLib.Tests.Configuration;

public class AddOrderLibTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("orderlib-config-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static OrderLibConfigurationException Refused(IConfiguration configuration) =>
        Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(configuration))!;

    [Test]
    public void Missing_provider_names_the_keys_to_set()
    {
        var error = Refused(Config());
        Assert.That(error.Message, Does.Contain("OrderLib:Provider").And.Contain("DATABASE_URL"));
    }

    [Test]
    public void Unknown_provider_is_refused_with_the_known_ones()
    {
        var error = Refused(Config(("OrderLib:Provider", "Oracle"), ("ConnectionStrings:OrderLib", "x")));
        Assert.That(error.Message, Does.Contain("'Oracle'").And.Contain("Sqlite, Postgres or InMemory"));
    }

    [Test]
    public void Missing_connection_string_names_the_key_to_set()
    {
        var error = Refused(Config(("OrderLib:Provider", "Postgres")));
        Assert.That(error.Message, Does.Contain("ConnectionStrings:OrderLib"));
    }

    [Test]
    public void Invalid_option_is_refused_at_registration()
    {
        var error = Refused(Config(("OrderLib:Provider", "InMemory"), ("OrderLib:LeaseDuration", "-00:01:00")));
        Assert.That(error.Message, Does.Contain("OrderLib:LeaseDuration"));
    }

    [TestCase("OrderLib:RetryJitter", "1.5")]
    [TestCase("OrderLib:RetryBaseDelay", "-00:00:01")]
    [TestCase("OrderLib:RetryMaxDelay", "00:00:01")]
    public void Invalid_retry_option_is_refused_at_registration(string key, string value)
    {
        var error = Refused(Config(("OrderLib:Provider", "InMemory"), (key, value)));
        Assert.That(error.Message, Does.Contain("RetryBaseDelay, RetryMaxDelay and RetryJitter"));
    }

    [Test]
    public void Provider_and_database_url_must_agree()
    {
        var error = Refused(Config(("OrderLib:Provider", "Sqlite"), ("DATABASE_URL", "postgresql://u@h/db")));
        Assert.That(error.Message, Does.Contain("DATABASE_URL"));
    }

    [Test]
    public void Configured_sqlite_store_is_used_and_options_bind()
    {
        var path = Path.Combine(_directory, "app.db");
        using var provider = new ServiceCollection()
            .AddOrderLib(Config(("OrderLib:Provider", "sqlite"), ($"ConnectionStrings:OrderLib", $"Data Source={path}"), ("OrderLib:DefaultClientId", "acme"), ("OrderLib:LeaseDuration", "00:00:30")))
            .Services.BuildServiceProvider();
        Assert.Multiple(() =>
        {
            Assert.That(provider.GetRequiredService<IJobStore>(), Is.InstanceOf<SqliteOrderLibStore>());
            Assert.That(provider.GetRequiredService<IOrderLib>().ClientId, Is.EqualTo(new ClientId("acme")));
            Assert.That(provider.GetRequiredService<IOptions<OrderLibOptions>>().Value.LeaseDuration, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(provider.GetService<IOrderLibMigrator>(), Is.Not.Null);
        });
    }

    [Test]
    public void Database_url_alone_picks_the_provider()
    {
        using var provider = new ServiceCollection().AddOrderLib(Config(("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/db"))).Services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IJobStore>(), Is.InstanceOf<PostgresOrderLibStore>());
    }

    [Test]
    public void Configured_in_memory_store_needs_no_connection_string_and_has_no_migrator()
    {
        using var provider = new ServiceCollection().AddOrderLib(Config(("OrderLib:Provider", "InMemory"))).Services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IRunStore>(), Is.InstanceOf<InMemoryOrderLibStore>());
        Assert.That(provider.GetService<IOrderLibMigrator>(), Is.Null);
    }

    [Test]
    public void A_builder_lambda_that_picks_no_store_is_refused()
    {
        Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(_ => { }));
    }

    [Test]
    public void Two_stores_are_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOrderLib(o => o.UseInMemory().UseSqlite("Data Source=x.db")));
    }

    [Test]
    public void Resolving_without_a_store_says_how_to_pick_one()
    {
        var services = new ServiceCollection();
        services.AddOrderLib();
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OrderLibConfigurationException>(() => provider.GetRequiredService<IOrderLib>());
        Assert.That(error!.Message, Does.Contain("UseSqlite"));
    }

    [Test]
    public async Task Start_up_migration_creates_the_schema_when_enabled()
    {
        var path = Path.Combine(_directory, "migrated.db");
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseSqlite($"Data Source={path}").Configure(options => options.ApplyMigrationsAtStartup = true));
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.That(provider.GetRequiredService<IOrderLibMigrator>().ListMigrations(), Has.All.Property(nameof(MigrationInfo.IsApplied)).True);
        var job = await provider.GetRequiredService<IOrderLib>().Jobs.CreateAsync(new JobDefinition("works"));
        Assert.That(job.Name, Is.EqualTo("works"));
    }

    [Test]
    public async Task Start_up_migration_does_nothing_when_disabled()
    {
        var path = Path.Combine(_directory, "untouched.db");
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseSqlite($"Data Source={path}"));
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.That(provider.GetRequiredService<IOrderLibMigrator>().ListMigrations(), Has.None.Property(nameof(MigrationInfo.IsApplied)).True);
    }
}
