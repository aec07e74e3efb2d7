using NUnit.Framework;
using OrderLib.Migrations.Versions;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>Offline migration scripts (<see cref="IOrderLibMigrationScripter"/>): applied by hand with a plain connection,
/// they give the schema <see cref="IOrderLibMigrator.MigrateUp"/> gives, and a database the migrator recognises.</summary>
public abstract partial class MigrationTests
{
    /// <summary>The database's catalog as comparable lines: tables, columns, indexes and constraints where the migrator puts them.</summary>
    protected abstract Task<IReadOnlyList<string>> SchemaSignatureAsync();

    private IOrderLibMigrationScripter Scripter => (IOrderLibMigrationScripter)Migrator;

    [Test]
    public async Task A_script_from_an_empty_database_applied_by_hand_gives_the_migrated_schema_and_its_version_rows()
    {
        var script = Scripter.ScriptMigrations(0, null);
        Assert.That(script, Does.Contain("orderlib_version_info").And.Contains("COMMIT;"));

        await ExecAsync(script);
        var status = CreateMigratorForSameDatabase().CheckSchema();
        Assert.That(status.IsCurrent, Is.True, $"missing {string.Join(",", status.Missing)}, unknown {string.Join(",", status.Unknown)}");
        Assert.That(Migrator.ListMigrations(), Has.All.Property(nameof(MigrationInfo.IsApplied)).True);
        await AssertSchemaPresentAsync(present: true);
        var scripted = await SchemaSignatureAsync();

        // The migrator takes the scripted database down and up again: the same catalog.
        Migrator.MigrateDownTo(0);
        await AssertSchemaPresentAsync(present: false);
        Migrator.MigrateUp();
        Assert.That(await SchemaSignatureAsync(), Is.EqualTo(scripted));
    }

    [Test]
    public async Task Scripts_from_a_version_and_down_to_one_apply_on_a_database_at_that_version()
    {
        Migrator.MigrateUp();
        var latest = Migrator.ListMigrations()[^1].Version;
        var migrated = await SchemaSignatureAsync();

        await ExecAsync(Scripter.ScriptMigrations(latest, JobScheduleNextDueTimes.Version));
        var down = CreateMigratorForSameDatabase().CheckSchema();
        Assert.That(down.Missing, Has.Count.GreaterThan(0).And.No.Member(JobScheduleNextDueTimes.Version));
        Assert.That(down.Unknown, Is.Empty);

        await ExecAsync(Scripter.ScriptMigrations(JobScheduleNextDueTimes.Version, null));
        Assert.That(CreateMigratorForSameDatabase().CheckSchema().IsCurrent, Is.True);
        Assert.That(await SchemaSignatureAsync(), Is.EqualTo(migrated));

        await ExecAsync(Scripter.ScriptMigrations(latest, 0));
        await AssertSchemaPresentAsync(present: false);
        Assert.That(await TableExistsAsync(VersionTable), Is.False);
    }

    [Test]
    public void A_script_refuses_unknown_versions_and_is_empty_between_equal_ones()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Scripter.ScriptMigrations(12345, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scripter.ScriptMigrations(0, 12345));
        Assert.That(Scripter.ScriptMigrations(JobScheduleNextDueTimes.Version, JobScheduleNextDueTimes.Version), Does.Not.Contain("BEGIN"));
    }
}
