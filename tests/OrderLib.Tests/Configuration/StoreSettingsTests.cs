using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrderLib.Adapters.Postgres;
using OrderLib.Ports;
using OrderLib.Tests.Hosting;

namespace OrderLib.Tests.Configuration;

/// <summary>Store settings are checked when the store is chosen or the host starts, each refusal naming its setting; the start names the store it uses.</summary>
public sealed class StoreSettingsTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("orderlib-settings-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static OrderLibConfigurationException RefusedFromConfiguration(params (string Key, string Value)[] values) =>
        Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(Config(values), providers => providers.AddSqlite().AddPostgres().AddInMemory()))!;

    private static async Task StartAsync(IServiceProvider provider, bool onlyTheStartupLog = false)
    {
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            if (!onlyTheStartupLog || hosted.GetType().Name == "OrderLibStartupLogHostedService")
            {
                await hosted.StartAsync(CancellationToken.None);
            }
        }
    }

    [TestCase("OrderLib")]
    [TestCase("order-lib")]
    [TestCase("1st")]
    [TestCase("\"orderlib\"")]
    public void A_schema_that_is_not_a_plain_lower_case_identifier_is_refused_in_code(string schema)
    {
        var error = Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(o => o.UsePostgres("Host=h;Database=d", schema)));
        Assert.That(error!.Message, Does.Contain("schema argument of UsePostgres").And.Contain($"'{schema}'").And.Contain("plain lower-case PostgreSQL identifier"));
    }

    [TestCase("OrderLib")]
    [TestCase("my schema")]
    [TestCase("a234567890123456789012345678901234567890123456789012345678901234")]
    public void A_configured_schema_that_is_not_a_plain_lower_case_identifier_is_refused_naming_the_key(string schema)
    {
        var error = RefusedFromConfiguration(("OrderLib:Provider", "Postgres"), ("ConnectionStrings:OrderLib", "Host=h;Database=d"), ("OrderLib:Schema", schema));
        Assert.That(error.Message, Does.StartWith($"OrderLib:Schema is '{schema}', which is not a plain lower-case PostgreSQL identifier"));
    }

    [Test]
    public void A_blank_configured_schema_is_public_and_a_plain_one_is_used()
    {
        Assert.DoesNotThrow(() => new ServiceCollection().AddOrderLib(Config(("DATABASE_URL", "postgresql://u@h/d"), ("OrderLib:Schema", " ")), providers => providers.AddPostgres()));
        Assert.DoesNotThrow(() => new ServiceCollection().AddOrderLib(Config(("DATABASE_URL", "postgresql://u@h/d"), ("OrderLib:Schema", "orderlib_2")), providers => providers.AddPostgres()));
    }

    [TestCase(null, true)]
    [TestCase(" ", true)]
    [TestCase("Listen", true)]
    [TestCase("pollonly", false)]
    [TestCase(" PollOnly ", false)]
    public void Configured_notifications_listen_unless_poll_only(string? notifications, bool listens)
    {
        var values = new List<(string, string)> { ("DATABASE_URL", "postgresql://u@h/d") };
        if (notifications is not null)
        {
            values.Add(("OrderLib:Notifications", notifications));
        }

        var services = new ServiceCollection();
        services.AddOrderLib(Config([.. values]), providers => providers.AddPostgres());

        Assert.That(services.Any(d => d.ServiceType == typeof(IReadyRunsNotifications)), Is.EqualTo(listens));
    }

    [TestCase("Sometimes")]
    [TestCase("1")]
    [TestCase("Poll")]
    public void A_configured_notifications_value_that_is_neither_listen_nor_poll_only_is_refused_naming_the_key(string notifications)
    {
        var error = RefusedFromConfiguration(("DATABASE_URL", "postgresql://u@h/d"), ("OrderLib:Notifications", notifications));
        Assert.That(error.Message, Does.StartWith($"OrderLib:Notifications is '{notifications}', which is not Listen").And.Contain("PollOnly"));
    }

    [Test]
    public void Notifications_chosen_in_code_listen_unless_poll_only()
    {
        var listening = new ServiceCollection();
        listening.AddOrderLib(o => o.UsePostgres("Host=h;Database=d"));
        var polling = new ServiceCollection();
        polling.AddOrderLib(o => o.UsePostgres("Host=h;Database=d", "public", PostgresNotifications.PollOnly));

        Assert.Multiple(() =>
        {
            Assert.That(listening.Any(d => d.ServiceType == typeof(IReadyRunsNotifications)), Is.True);
            Assert.That(polling.Any(d => d.ServiceType == typeof(IReadyRunsNotifications)), Is.False);
        });
    }

    [TestCase("Full")]
    [TestCase("normal")]
    [TestCase(" ")]
    public async Task A_configured_sqlite_synchronous_level_is_accepted_and_the_store_works(string synchronous)
    {
        var services = new ServiceCollection();
        services.AddOrderLib(
            Config(("OrderLib:Provider", "Sqlite"), ("ConnectionStrings:OrderLib", $"Data Source={Path.Combine(_directory, "sync.db")}"), ("OrderLib:Synchronous", synchronous)),
            providers => providers.AddSqlite());
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOrderLibMigrator>().MigrateUp();

        var job = await provider.GetRequiredService<IOrderLib>().Jobs.CreateAsync(new JobDefinition("synced"));
        Assert.That(job.Name, Is.EqualTo("synced"));
    }

    [TestCase("Off")]
    [TestCase("2")]
    [TestCase("Extra")]
    public void A_configured_sqlite_synchronous_level_other_than_full_or_normal_is_refused_naming_the_key(string synchronous)
    {
        var error = RefusedFromConfiguration(("OrderLib:Provider", "Sqlite"), ("ConnectionStrings:OrderLib", "Data Source=x.db"), ("OrderLib:Synchronous", synchronous));
        Assert.That(error.Message, Does.StartWith($"OrderLib:Synchronous is '{synchronous}', which is not Full").And.Contain("Normal"));
    }

    [Test]
    public async Task A_data_source_whose_search_path_is_not_a_plain_identifier_is_refused_at_registration_or_start()
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder("Host=h;Database=d") { SearchPath = "\"Jobs\",public" }.ConnectionString);
        var direct = Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(o => o.UsePostgres(dataSource)));
        Assert.That(direct!.Message, Does.Contain("SearchPath").And.Contain("'\"Jobs\"'"));

        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UsePostgres(_ => dataSource));
        await using var provider = services.BuildServiceProvider();
        var atStart = Assert.ThrowsAsync<OrderLibConfigurationException>(() => StartAsync(provider));
        Assert.That(atStart!.Message, Does.Contain("SearchPath").And.Contain("plain lower-case PostgreSQL identifier"));
    }

    [TestCase("Data Source=:memory:")]
    [TestCase("Data Source=app.db;Mode=Memory")]
    [TestCase("Data Source=file::memory:?cache=shared")]
    [TestCase("Data Source=file:shared?mode=memory&cache=shared")]
    [TestCase("Data Source=")]
    [TestCase("Cache=Shared")]
    public void In_memory_sqlite_is_refused_in_code_and_from_configuration(string connectionString)
    {
        var inCode = Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(o => o.UseSqlite(connectionString)));
        var configured = RefusedFromConfiguration(("OrderLib:Provider", "Sqlite"), ("ConnectionStrings:OrderLib", connectionString));
        Assert.Multiple(() =>
        {
            Assert.That(inCode!.Message, Does.StartWith("The connection string given to UseSqlite"));
            Assert.That(configured.Message, Does.StartWith("ConnectionStrings:OrderLib"));
            foreach (var message in new[] { inCode.Message, configured.Message })
            {
                Assert.That(message, Does.Contain("opens a connection per operation and would lose it").And.Contain("UseInMemory()").And.Contain("OrderLib:Provider=InMemory"));
            }
        });
    }

    [TestCase("sqlite:///:memory:")]
    [TestCase("sqlite:///")]
    [TestCase("sqlite:///file::memory:")]
    public void In_memory_sqlite_is_refused_from_database_url(string url)
    {
        var error = RefusedFromConfiguration(("DATABASE_URL", url));
        Assert.That(error.Message, Does.Contain("DATABASE_URL").And.Contain("OrderLib:Provider=InMemory"));
    }

    [Test]
    public void A_file_uri_that_names_a_file_is_accepted()
    {
        var path = Path.Combine(_directory, "uri.db");
        Assert.DoesNotThrow(() => new ServiceCollection().AddOrderLib(o => o.UseSqlite($"Data Source=file:{path}?cache=shared")));
    }

    [Test]
    public async Task A_sqlite_file_in_a_missing_directory_is_refused_at_start_naming_the_path()
    {
        var path = Path.Combine(_directory, "missing", "app.db");
        var services = new ServiceCollection();
        Assert.DoesNotThrow(() => services.AddOrderLib(Config(("OrderLib:Provider", "Sqlite"), ("ConnectionStrings:OrderLib", $"Data Source={path}")), providers => providers.AddSqlite()), "the directory may be created after registration");
        await using var provider = services.BuildServiceProvider();

        var atStart = Assert.ThrowsAsync<OrderLibConfigurationException>(() => StartAsync(provider));
        var atFirstCall = Assert.Throws<OrderLibConfigurationException>(() => provider.GetRequiredService<IOrderLib>());
        Assert.Multiple(() =>
        {
            Assert.That(atStart!.Message, Does.StartWith("ConnectionStrings:OrderLib").And.Contain($"'{path}'").And.Contain("does not exist"));
            Assert.That(atFirstCall!.Message, Does.Contain($"'{Path.GetDirectoryName(path)}' does not exist"));
        });
    }

    [Test]
    public async Task The_start_logs_the_sqlite_file_and_the_code_that_chose_it()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_directory, "app.db"));
        services.AddOrderLib(o => o.UseSqlite($"Data Source={relative}").Configure(options => options.ApplyMigrationsAtStartup = true));
        await using var provider = services.BuildServiceProvider();

        await StartAsync(provider);

        Assert.That(
            logs.Lines[0],
            Is.EqualTo($"Information OrderLibStartupLogHostedService: OrderLib uses the Sqlite store (file {Path.Combine(_directory, "app.db")}), chosen in code by UseSqlite"));
    }

    [Test]
    public async Task The_start_logs_postgres_host_port_database_and_schema_without_the_password_and_the_key_that_chose_it()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        services.AddOrderLib(Config(("DATABASE_URL", "postgresql://app:topsecret@db.internal:6432/orders"), ("OrderLib:Schema", "jobs")), providers => providers.AddPostgres());
        await using var provider = services.BuildServiceProvider();

        await StartAsync(provider, onlyTheStartupLog: true);

        Assert.That(logs.Lines, Is.EqualTo(new[]
        {
            "Information OrderLibStartupLogHostedService: OrderLib uses the Postgres store (host db.internal:6432, database orders, schema jobs), chosen by DATABASE_URL",
        }));
    }

    [Test]
    public async Task A_database_url_ignored_for_the_connection_string_is_warned_about_at_start()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        services.AddOrderLib(
            Config(("OrderLib:Provider", "InMemory"), ("ConnectionStrings:OrderLib", "Data Source=x.db"), ("DATABASE_URL", "postgresql://u:topsecret@h/d")),
            providers => providers.AddInMemory());
        await using var provider = services.BuildServiceProvider();

        await StartAsync(provider, onlyTheStartupLog: true);

        Assert.That(logs.Lines, Has.Count.EqualTo(2));
        Assert.Multiple(() =>
        {
            Assert.That(logs.Lines[0], Is.EqualTo("Information OrderLibStartupLogHostedService: OrderLib uses the InMemory store (in this process's memory), chosen by OrderLib:Provider + ConnectionStrings:OrderLib"));
            Assert.That(logs.Lines[1], Does.StartWith("Warning OrderLibStartupLogHostedService: OrderLib ignores DATABASE_URL because ConnectionStrings:OrderLib is set too"));
            Assert.That(logs.Text, Does.Not.Contain("topsecret"));
        });
    }

    [Test]
    public async Task The_start_says_when_the_provider_alone_chose_the_store()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        services.AddOrderLib(Config(("OrderLib:Provider", "InMemory")), providers => providers.AddInMemory());
        await using var provider = services.BuildServiceProvider();

        await StartAsync(provider, onlyTheStartupLog: true);

        Assert.That(logs.Lines, Is.EqualTo(new[] { "Information OrderLibStartupLogHostedService: OrderLib uses the InMemory store (in this process's memory), chosen by OrderLib:Provider" }));
    }
}
