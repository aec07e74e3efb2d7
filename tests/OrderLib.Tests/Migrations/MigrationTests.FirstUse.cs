using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>
/// A store checks the schema version on its first call: a database never migrated, behind or ahead of this library is
/// refused with <see cref="OrderLibSchemaVersionException"/> on the first read and the first write, before any statement
/// meets a missing table; a matching one works, and the check is not repeated once it passed.
/// </summary>
public abstract partial class MigrationTests
{
    private const long FutureVersion = 2999010101;

    private static readonly ClientId FirstUseClient = new("first-use");

    [Test]
    public void A_store_over_a_never_migrated_database_refuses_its_first_read_and_write_saying_how_to_migrate()
    {
        var known = Migrator.ListMigrations().Select(m => m.Version).ToList();

        var errors = FirstReadAndWriteErrors();

        using (Assert.EnterMultipleScope())
        {
            foreach (var ex in errors)
            {
                Assert.That(ex.MissingVersions, Is.EqualTo(known));
                Assert.That(ex.UnknownVersions, Is.Empty);
                Assert.That(ex.Message, Does.Contain("behind").And.Contain("MigrateUp"));
            }
        }
    }

    [Test]
    public void A_store_over_a_database_one_migration_behind_refuses_its_first_read_and_write()
    {
        Migrator.MigrateUp();
        var latest = Migrator.ListMigrations()[^1].Version;
        Migrator.Rollback(1);

        var errors = FirstReadAndWriteErrors();

        using (Assert.EnterMultipleScope())
        {
            foreach (var ex in errors)
            {
                Assert.That((ex.MissingVersions, ex.UnknownVersions), Is.EqualTo((new[] { latest }, Array.Empty<long>())));
            }
        }
    }

    [Test]
    public async Task A_store_over_a_database_newer_than_the_library_refuses_its_first_read_and_write()
    {
        Migrator.MigrateUp();
        await ExecAsync($"INSERT INTO {VersionTable} (version, applied_on, description) VALUES ({FutureVersion}, '2026-01-01 00:00:00', 'from a newer OrderLib')");

        var errors = FirstReadAndWriteErrors();

        using (Assert.EnterMultipleScope())
        {
            foreach (var ex in errors)
            {
                Assert.That((ex.MissingVersions, ex.UnknownVersions), Is.EqualTo((Array.Empty<long>(), new[] { FutureVersion })));
                Assert.That(ex.Message, Does.Contain("newer than this OrderLib").And.Contain(FutureVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM jobs"), Is.Zero, "the refused write wrote nothing");
    }

    [Test]
    public async Task A_refused_store_works_once_the_database_is_migrated_and_checks_only_once()
    {
        var store = CreateStore();
        Assert.ThrowsAsync<OrderLibSchemaVersionException>(() => store.ListJobsAsync(FirstUseClient, null, 10, default));

        Migrator.MigrateUp();
        var job = await store.CreateJobAsync(FirstUseClient, new JobDefinition("extract"), DateTimeOffset.UnixEpoch, default);
        Assert.That(await store.GetJobAsync(FirstUseClient, job.Id, default), Is.EqualTo(job), "a failed check is not remembered");

        // The check passed: a version row appearing now (a newer OrderLib migrating alongside) is not looked for again.
        await ExecAsync($"INSERT INTO {VersionTable} (version, applied_on, description) VALUES ({FutureVersion}, '2026-01-01 00:00:00', 'from a newer OrderLib')");
        Assert.That(await store.GetJobAsync(FirstUseClient, job.Id, default), Is.EqualTo(job));
        Assert.ThrowsAsync<OrderLibSchemaVersionException>(() => CreateStore().GetJobAsync(FirstUseClient, job.Id, default), "a new store checks again");
    }

    // The first call of a read on one new store and of a write on another: each must be refused with the schema error.
    private List<OrderLibSchemaVersionException> FirstReadAndWriteErrors()
    {
        var read = Assert.ThrowsAsync<OrderLibSchemaVersionException>(() => CreateStore().GetJobByNameAsync(FirstUseClient, "extract", default), "first read");
        var write = Assert.ThrowsAsync<OrderLibSchemaVersionException>(
            () => CreateStore().CreateJobAsync(FirstUseClient, new JobDefinition("extract"), DateTimeOffset.UnixEpoch, default),
            "first write");
        Assert.That(read, Is.Not.Null);
        Assert.That(write, Is.Not.Null);
        return new[] { read, write }.OfType<OrderLibSchemaVersionException>().ToList();
    }
}
