using Microsoft.Extensions.DependencyInjection;
using OrderLib.Import;
using OrderLib.Ports;

namespace OrderLib.Tests.Import;

/// <summary>A source the import cannot read fails with a typed error and a clear message, and writes nothing.</summary>
[TestFixture]
public sealed class ImportSourceErrorTests
{
    private ServiceProvider? _services;

    private OrderLibImporter Importer => _services!.GetRequiredService<OrderLibImporter>();

    [SetUp]
    public void CreateServices()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseInMemory()).AddImport();
        _services = services.BuildServiceProvider();
    }

    [TearDown]
    public async Task DisposeServices()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [TestCase("mysql://user@host/db", "scheme 'mysql' is not supported")]
    [TestCase("not a url", "must look like")]
    [TestCase("postgresql://user:secret@/db", "names no host")]
    public void ABadUrl_IsRefused_WithoutShowingThePassword(string url, string message)
    {
        var error = Assert.ThrowsAsync<ImportSourceUrlException>(() => Importer.ImportFromOrderLibAsync(url));
        Assert.That(error!.Message, Does.Contain(message).And.Not.Contain("secret"));
    }

    [Test]
    public void AMissingSqliteFile_IsUnavailable_AndNotCreated()
    {
        var path = Path.Combine(Path.GetTempPath(), "orderlib-import-missing-" + Guid.NewGuid().ToString("N") + ".db");

        var error = Assert.ThrowsAsync<ImportSourceUnavailableException>(() => Importer.ImportFromOrderLibAsync("sqlite:///" + path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("does not exist"));
        Assert.That(path, Does.Not.Exist);
    }

    [Test]
    public void AnUnreachableServer_IsUnavailable()
    {
        var error = Assert.ThrowsAsync<ImportSourceUnavailableException>(() => Importer.ImportFromOrderLibAsync("postgresql://user:secret@127.0.0.1:1/orderlib?connect_timeout=2"));
        Assert.That(error!.Message, Does.Contain("127.0.0.1:1").And.Not.Contain("secret"));
    }

    [Test]
    public async Task ADatabaseWithoutOrderLibsTables_IsNotAnOrderLibDatabase()
    {
        await using var source = OrderLibSourceDatabase.Sqlite();
        await source.ExecuteAsync("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");

        var error = Assert.ThrowsAsync<NotAnOrderLibDatabaseException>(() => Importer.ImportFromOrderLibAsync(source.Url));

        Assert.That(error!.Message, Does.Contain("no table 'jobs'"));
    }

    [Test]
    public async Task ATableWithoutARequiredColumn_IsNotAnOrderLibDatabase_AndNothingIsWritten()
    {
        await using var source = OrderLibSourceDatabase.Sqlite();
        await source.ExecuteAsync("""
            CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE job_dependencies (id INTEGER PRIMARY KEY, job_id INTEGER, depends_on_job_id INTEGER);
            CREATE TABLE job_runs (id INTEGER PRIMARY KEY, job_id INTEGER, status TEXT);
            INSERT INTO jobs VALUES (1, 'extract');
            """);

        var error = Assert.ThrowsAsync<NotAnOrderLibDatabaseException>(() => Importer.ImportFromOrderLibAsync(source.Url));

        Assert.That(error!.Message, Does.Contain("'job_dependencies' has no column 'depends_on_id'"));
        Assert.That(await _services!.GetRequiredService<IJobStore>().ListJobsAsync(ClientId.Default, null, 10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task APostgresDatabaseWithoutOrderLibsTables_IsNotAnOrderLibDatabase()
    {
        var host = new OrderLibSourceDatabase.PostgresHost();
        try
        {
            await using var source = await OrderLibSourceDatabase.PostgresAsync(await host.ConnectionStringAsync());

            var error = Assert.ThrowsAsync<NotAnOrderLibDatabaseException>(() => Importer.ImportFromOrderLibAsync(source.Url));

            Assert.That(error!.Message, Does.Contain("no table 'jobs'"));
        }
        finally
        {
            await host.DropAsync();
        }
    }

    [Test]
    public void AnInvalidClientOption_IsAValidationError()
    {
        Assert.ThrowsAsync<OrderLibValidationException>(() => Importer.ImportFromOrderLibAsync("sqlite:///x.db", new ImportOptions { Client = new string('x', 101) }));
    }
}
