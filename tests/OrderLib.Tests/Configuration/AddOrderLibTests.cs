using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderLib.Adapters.Postgres;
using OrderLib.Adapters.Sqlite;
using OrderLib.Ports;
using OrderLib.Testing;
using OrderLib.Tests.Hosting;

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

    private static void AllProviders(OrderLibProviders providers) => providers.AddSqlite().AddPostgres().AddInMemory();

    private static OrderLibConfigurationException Refused(IConfiguration configuration, Action<OrderLibProviders>? providers = null) =>
        Assert.Throws<OrderLibConfigurationException>(() => new ServiceCollection().AddOrderLib(configuration, providers ?? AllProviders))!;

    /// <summary>Registers OrderLib from <paramref name="values"/> in a generic host and starts it, expecting the options to be refused.</summary>
    private static async Task<OptionsValidationException> RefusedAtStartAsync(params (string Key, string Value)[] values)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        Assert.DoesNotThrow(() => builder.Services.AddOrderLib(builder.Configuration, AllProviders), "options are not checked at registration");
        using var host = builder.Build();
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        await host.StopAsync();
        return error!;
    }

    [Test]
    public void Missing_provider_names_the_keys_to_set()
    {
        var error = Refused(Config());
        Assert.That(error.Message, Does.Contain("OrderLib:Provider").And.Contain("DATABASE_URL").And.Contain("Sqlite, Postgres or InMemory"));
    }

    [Test]
    public void Unknown_provider_is_refused_with_the_registered_ones()
    {
        var error = Refused(Config(("OrderLib:Provider", "Oracle"), ("ConnectionStrings:OrderLib", "x")), providers => providers.AddSqlite().AddPostgres());
        Assert.That(error.Message, Does.Contain("'Oracle'").And.Contain("Sqlite or Postgres"));
    }

    [Test]
    public void Configured_provider_that_is_not_registered_names_the_call_to_add()
    {
        var error = Refused(Config(("OrderLib:Provider", "postgres"), ("ConnectionStrings:OrderLib", "Host=h;Database=d")), providers => providers.AddSqlite());
        Assert.That(error.Message, Does.Contain("OrderLib:Provider").And.Contain("add providers.AddPostgres() from OrderLib.Adapters.Postgres"));
    }

    [Test]
    public void Database_url_for_a_provider_that_is_not_registered_names_the_call_to_add()
    {
        var error = Refused(Config(("DATABASE_URL", "sqlite:///app.db")), providers => providers.AddPostgres().AddInMemory());
        Assert.That(error.Message, Does.Contain("'Sqlite'").And.Contain("add providers.AddSqlite() from OrderLib.Adapters.Sqlite"));
    }

    [Test]
    public void No_registered_provider_says_which_to_add()
    {
        var error = Refused(Config(), _ => { });
        Assert.That(error.Message, Does.Contain("none is registered").And.Contain("providers.AddSqlite()"));
    }

    [Test]
    public void Missing_connection_string_names_the_key_to_set()
    {
        var error = Refused(Config(("OrderLib:Provider", "Postgres")));
        Assert.That(error.Message, Does.Contain("ConnectionStrings:OrderLib"));
    }

    [Test]
    public void A_provider_name_is_registered_once()
    {
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddOrderLib(Config(("OrderLib:Provider", "InMemory")), providers => providers.AddInMemory().Add("inmemory", (b, _) => b.UseInMemory())));
    }

    [Test]
    public void A_custom_provider_gets_the_configured_connection_string_and_section()
    {
        OrderLibProviderContext? seen = null;
        var configuration = Config(("OrderLib:Provider", "custom"), ("ConnectionStrings:OrderLib", "Server=x"), ("OrderLib:Schema", "jobs"));
        using var provider = new ServiceCollection()
            .AddOrderLib(configuration, providers => providers.AddSqlite().Add("Custom", (builder, context) =>
            {
                seen = context;
                builder.UseInMemory();
            }))
            .Services.BuildServiceProvider();
        Assert.Multiple(() =>
        {
            Assert.That(provider.GetRequiredService<IJobStore>(), Is.InstanceOf<InMemoryOrderLibStore>());
            Assert.That(seen?.ProviderName, Is.EqualTo("custom"));
            Assert.That(seen?.ConnectionString, Is.EqualTo("Server=x"));
            Assert.That(seen?.Section["Schema"], Is.EqualTo("jobs"));
        });
    }

    [Test]
    public void A_custom_provider_that_picks_no_store_is_refused()
    {
        var error = Refused(Config(("OrderLib:Provider", "Custom")), providers => providers.Add("Custom", (_, _) => { }));
        Assert.That(error.Message, Does.Contain("'Custom'").And.Contain("chose no store"));
    }

    [Test]
    public void Null_arguments_are_refused()
    {
        var services = new ServiceCollection();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentNullException>(() => services.AddOrderLib(null!, AllProviders));
            Assert.Throws<ArgumentNullException>(() => services.AddOrderLib(Config(), null!));
            Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddOrderLib(Config(), AllProviders));
            Assert.Throws<ArgumentNullException>(() => ((OrderLibProviders)null!).AddSqlite());
            Assert.Throws<ArgumentNullException>(() => ((OrderLibProviders)null!).AddPostgres());
            Assert.Throws<ArgumentNullException>(() => ((OrderLibProviders)null!).AddInMemory());
        });
    }

    [Test]
    public async Task Invalid_lease_is_refused_when_the_host_starts()
    {
        var error = await RefusedAtStartAsync(("OrderLib:Provider", "InMemory"), ("OrderLib:LeaseDuration", "-00:00:01"));
        Assert.That(error.Message, Does.Contain("OrderLib:LeaseDuration must be positive; got -00:00:01."));
    }

    [TestCase("", "must not be empty or blank")]
    [TestCase("acme\0", "must not contain NUL")]
    public async Task Invalid_default_client_is_refused_when_the_host_starts_with_the_client_id_rule(string value, string rule)
    {
        var error = await RefusedAtStartAsync(("OrderLib:Provider", "InMemory"), ("OrderLib:DefaultClientId", value));
        Assert.That(error.Message, Does.Contain("OrderLib:DefaultClientId: A client id").And.Contain(rule));
    }

    [Test]
    public void A_default_client_with_a_lone_surrogate_is_refused_when_read()
    {
        using var provider = new ServiceCollection()
            .AddOrderLib(o => o.UseInMemory().Configure(options => options.DefaultClientId = "acme\uD800"))
            .Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<OrderLibOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("OrderLib:DefaultClientId: A client id must not contain a lone UTF-16 surrogate"));
    }

    [Test]
    public async Task Default_client_length_is_counted_in_text_elements_like_a_client_id()
    {
        var error = await RefusedAtStartAsync(("OrderLib:Provider", "InMemory"), ("OrderLib:DefaultClientId", string.Concat(Enumerable.Repeat("\U0001F600", ClientId.MaxLength + 1))));
        Assert.That(error.Message, Does.Contain($"OrderLib:DefaultClientId: A client id must be at most {ClientId.MaxLength} characters (text elements); got {ClientId.MaxLength + 1}."));

        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", ClientId.MaxLength));
        using var provider = new ServiceCollection().AddOrderLib(o => o.UseInMemory().Configure(options => options.DefaultClientId = emoji)).Services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IOrderLib>().ClientId.Value, Is.EqualTo(emoji), "200 UTF-16 units, 100 characters");
    }

    [TestCase("OrderLib:RetryJitter", "1.5")]
    [TestCase("OrderLib:RetryBaseDelay", "-00:00:01")]
    [TestCase("OrderLib:RetryMaxDelay", "00:00:01")]
    public async Task Invalid_retry_option_is_refused_when_the_host_starts(string key, string value)
    {
        var error = await RefusedAtStartAsync(("OrderLib:Provider", "InMemory"), (key, value));
        Assert.That(error.Message, Does.Contain("OrderLib:RetryBaseDelay, RetryMaxDelay and RetryJitter"));
    }

    [Test]
    public void Invalid_option_set_in_code_is_refused_when_read()
    {
        using var provider = new ServiceCollection()
            .AddOrderLib(o => o.UseInMemory().Configure(options => options.LeaseDuration = TimeSpan.Zero))
            .Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<OrderLibOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("OrderLib:LeaseDuration must be positive; got 00:00:00."));
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
            .AddOrderLib(Config(("OrderLib:Provider", "sqlite"), ($"ConnectionStrings:OrderLib", $"Data Source={path}"), ("OrderLib:DefaultClientId", "acme"), ("OrderLib:LeaseDuration", "00:00:30")), AllProviders)
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
        using var provider = new ServiceCollection().AddOrderLib(Config(("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/db")), AllProviders).Services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IJobStore>(), Is.InstanceOf<PostgresOrderLibStore>());
    }

    [Test]
    public void Configured_in_memory_store_needs_no_connection_string_and_has_no_migrator()
    {
        using var provider = new ServiceCollection().AddOrderLib(Config(("OrderLib:Provider", "InMemory")), AllProviders).Services.BuildServiceProvider();
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

    /// <summary>Starts OrderLib's hosted services over the SQLite file <paramref name="path"/> with migrations at start-up, and returns the log lines.</summary>
    private static async Task<IReadOnlyList<string>> StartWithMigrationsAsync(string path)
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        services.AddOrderLib(o => o.UseSqlite($"Data Source={path}").Configure(options => options.ApplyMigrationsAtStartup = true));
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var job = await provider.GetRequiredService<IOrderLib>().Jobs.CreateAsync(new JobDefinition("works-" + Guid.NewGuid().ToString("N")));
        Assert.That(job.Id.Value, Is.Positive, "the migrated schema takes jobs");
        return logs.Lines.Where(line => line.Contains("OrderLib:", StringComparison.Ordinal)).ToArray();
    }

    [Test]
    public async Task Start_up_migration_creates_the_schema_and_logs_what_it_applied()
    {
        var path = Path.Combine(_directory, "migrated.db");
        var versions = SqliteOrderLibMigrations.Create($"Data Source={path}").ListMigrations().Select(m => m.Version).ToArray();
        Assert.That(versions, Has.Length.GreaterThan(1), "the log cases below need several migrations");

        var first = await StartWithMigrationsAsync(path);
        Assert.That(first, Is.EqualTo(new[] { $"Information OrderLibMigrationHostedService: OrderLib: applied {versions.Length} migrations ({string.Join(", ", versions)}); schema at {versions[^1]}." }));
        Assert.That(SqliteOrderLibMigrations.Create($"Data Source={path}").ListMigrations(), Has.All.Property(nameof(MigrationInfo.IsApplied)).True);

        var again = await StartWithMigrationsAsync(path);
        Assert.That(again, Is.EqualTo(new[] { $"Information OrderLibMigrationHostedService: OrderLib: schema already at {versions[^1]}." }));

        SqliteOrderLibMigrations.Create($"Data Source={path}").Rollback(1);
        var one = await StartWithMigrationsAsync(path);
        Assert.That(one, Is.EqualTo(new[] { $"Information OrderLibMigrationHostedService: OrderLib: applied 1 migration ({versions[^1]}); schema at {versions[^1]}." }));
    }

    [Test]
    public async Task Start_up_migration_says_when_the_store_has_no_schema()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs));
        services.AddOrderLib(o => o.UseInMemory().Configure(options => options.ApplyMigrationsAtStartup = true));
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.That(logs.Lines, Does.Contain("Information OrderLibMigrationHostedService: OrderLib: the store has no schema; nothing to migrate."));
    }

    [Test]
    public async Task Start_up_without_migrations_refuses_a_database_that_is_behind_and_changes_nothing()
    {
        var path = Path.Combine(_directory, "untouched.db");
        await using var provider = SqliteServices(path, applyMigrations: false);

        var error = Assert.ThrowsAsync<OrderLibSchemaVersionException>(() => StartHostedServicesAsync(provider));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("behind").And.Contain("MigrateUp").And.Contain("ApplyMigrationsAtStartup"));
            Assert.That(error.MissingVersions, Is.Not.Empty);
            Assert.That(provider.GetRequiredService<IOrderLibMigrator>().ListMigrations(), Has.None.Property(nameof(MigrationInfo.IsApplied)).True);
        });
    }

    [Test]
    public async Task Start_up_without_migrations_accepts_a_current_database()
    {
        var path = Path.Combine(_directory, "current.db");
        SqliteOrderLibMigrations.Create($"Data Source={path}").MigrateUp();
        await using var provider = SqliteServices(path, applyMigrations: false);

        await StartHostedServicesAsync(provider);

        Assert.That(provider.GetRequiredService<IOrderLibMigrator>().CheckSchema().IsCurrent, Is.True);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Start_up_refuses_a_database_newer_than_the_library(bool applyMigrations)
    {
        var path = Path.Combine(_directory, "newer.db");
        SqliteOrderLibMigrations.Create($"Data Source={path}").MigrateUp();
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO orderlib_version_info (version, description, applied_on) VALUES (2999010101, 'from the future', '2999-01-01T00:00:00')";
            await insert.ExecuteNonQueryAsync();
        }

        await using var provider = SqliteServices(path, applyMigrations);

        var error = Assert.ThrowsAsync<OrderLibSchemaVersionException>(() => StartHostedServicesAsync(provider));
        Assert.Multiple(() =>
        {
            Assert.That(error!.UnknownVersions, Is.EqualTo(new[] { 2999010101L }));
            Assert.That(error.Message, Does.Contain("newer than this OrderLib").And.Contain("2999010101"));
        });
    }

    private static ServiceProvider SqliteServices(string path, bool applyMigrations)
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseSqlite($"Data Source={path}").Configure(options => options.ApplyMigrationsAtStartup = applyMigrations));
        return services.BuildServiceProvider();
    }

    private static async Task StartHostedServicesAsync(IServiceProvider provider)
    {
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
    }
}
