using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderLib.Adapters.Postgres;
using OrderLib.Ports;

namespace OrderLib.Tests.Configuration;

/// <summary><c>UsePostgres</c> with the host's own <see cref="NpgsqlDataSource"/>, on the suite's PostgreSQL server.</summary>
[TestFixture]
public sealed class PostgresDataSourceTests
{
    private readonly MigratedPostgresDatabase _database = new();

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    private static string UniqueName() => "job-" + Guid.NewGuid().ToString("N");

    [Test]
    public async Task A_data_source_registered_in_DI_is_used_and_stays_the_hosts()
    {
        await using var dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        var services = new ServiceCollection();
        services.AddSingleton(dataSource);
        services.AddOrderLib(o => o.UsePostgres(sp => sp.GetRequiredService<NpgsqlDataSource>()));
        var name = UniqueName();
        await using (var provider = services.BuildServiceProvider())
        {
            var orderLib = provider.GetRequiredService<IOrderLib>();
            var created = await orderLib.Jobs.CreateAsync(new JobDefinition(name));
            var read = await orderLib.Jobs.GetAsync(created.Id);
            Assert.That(read.Name, Is.EqualTo(name));
        }

        // The provider disposed the store; the host's data source still opens connections and sees the job in public.
        await using var connection = await dataSource.OpenConnectionAsync();
        var stored = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM public.jobs WHERE name = @name", new { name });
        Assert.That(stored, Is.EqualTo(1));
    }

    [Test]
    public async Task The_schema_is_the_data_sources_search_path_and_the_migrator_uses_it()
    {
        var builder = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { SearchPath = "hosted_orderlib, public", PersistSecurityInfo = true };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UsePostgres(dataSource).Configure(options => options.ApplyMigrationsAtStartup = true));
        var name = UniqueName();
        await using (var provider = services.BuildServiceProvider())
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(CancellationToken.None);
            }

            Assert.That(provider.GetRequiredService<IOrderLibMigrator>().ListMigrations(), Has.All.Property(nameof(MigrationInfo.IsApplied)).True);
            await provider.GetRequiredService<IOrderLib>().Jobs.CreateAsync(new JobDefinition(name));
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        var stored = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM hosted_orderlib.jobs WHERE name = @name", new { name });
        Assert.That(stored, Is.EqualTo(1));
    }

    [Test]
    public async Task A_store_over_a_host_data_source_does_not_dispose_it()
    {
        await using var dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        var store = new PostgresOrderLibStore(dataSource);
        var job = await store.CreateJobAsync(new ClientId("acme"), new JobDefinition(UniqueName()), TimeProvider.System.GetUtcNow(), CancellationToken.None);
        await store.DisposeAsync();
        store.Dispose();

        await using var connection = await dataSource.OpenConnectionAsync();
        var stored = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = @id", new { id = job.Id.Value });
        Assert.That(stored, Is.EqualTo(1));
    }

    [Test]
    public void Null_data_sources_are_refused()
    {
        var builder = new ServiceCollection().AddOrderLib();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentNullException>(() => builder.UsePostgres((NpgsqlDataSource)null!));
            Assert.Throws<ArgumentNullException>(() => builder.UsePostgres((Func<IServiceProvider, NpgsqlDataSource>)null!));
            Assert.Throws<ArgumentNullException>(() => _ = new PostgresOrderLibStore((NpgsqlDataSource)null!));
        });
    }
}
