using System.Data.Common;
using System.Globalization;
using NUnit.Framework;
using OrderLib.Migrations;
using OrderLib.Migrations.Versions;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>
/// Every migration behaviour test, written once. A subclass only says how to get an empty database, a migrator
/// for it, a plain ADO.NET connection that sees OrderLib's tables, and how to look at the catalog.
/// Each test gets a fresh, empty database. The SQL here is plain and runs unchanged on SQLite and PostgreSQL.
/// </summary>
public abstract partial class MigrationTests
{
    /// <summary>A timestamp literal both databases accept for a <c>timestamptz</c> column.</summary>
    protected const string T = "'2026-01-01T00:00:00.0000000+00:00'";

    /// <summary>The three tables migration 2026112601 creates.</summary>
    protected static readonly string[] Tables = ["jobs", "job_dependencies", "job_runs"];

    /// <summary>The indexes migration 2026120601 creates for the history's searches.</summary>
    protected static readonly string[] HistoryIndexes =
    [
        "ix_job_runs_client_enqueued", "ix_job_runs_client_started", "ix_job_runs_client_finished", "ix_job_runs_client_unsuccessful",
        "ix_job_runs_client_unsuccessful_status", "ix_job_runs_client_retries",
    ];

    /// <summary>The indexes migration 2026120701 creates for pipeline runs.</summary>
    protected static readonly string[] PipelineIndexes = ["ix_pipeline_runs_client", "ix_job_runs_pipeline"];

    /// <summary>
    /// The named indexes the migrations create (2026112601, then ix_jobs_next_due from 2026112603, the history's from
    /// 2026120601, the pipeline runs' from 2026120701).
    /// </summary>
    protected static readonly string[] Indexes =
    [
        "ux_jobs_client_name", "ix_job_dependencies_depends_on", "ix_job_runs_job",
        "ux_job_runs_one_active", "ix_job_runs_ready", "ix_job_runs_running_lease", "ix_jobs_next_due",
        .. HistoryIndexes, .. PipelineIndexes,
    ];

    private const string VersionTable = "orderlib_version_info";

    private IOrderLibMigrator? _migrator;

    /// <summary>The migrator for this test's database.</summary>
    protected IOrderLibMigrator Migrator => _migrator ?? throw new InvalidOperationException("No database yet.");

    /// <summary>Creates an empty database for one test and returns a migrator for it.</summary>
    protected abstract Task<IOrderLibMigrator> CreateDatabaseAsync();

    /// <summary>Another migrator, built the same way as <see cref="Migrator"/>, for this test's database.</summary>
    protected abstract IOrderLibMigrator CreateMigratorForSameDatabase();

    /// <summary>Drops this test's database.</summary>
    protected abstract Task DropDatabaseAsync();

    /// <summary>Opens a connection on which OrderLib's tables are reachable by their unqualified names,
    /// the way an adapter connects (foreign keys enforced).</summary>
    protected abstract Task<DbConnection> OpenConnectionAsync();

    /// <summary>True when the table exists where the migrator puts OrderLib's tables.</summary>
    protected abstract Task<bool> TableExistsAsync(string table);

    /// <summary>The definition (SQL) of the named index where the migrator puts OrderLib's tables, or null.</summary>
    protected abstract Task<string?> IndexDefinitionAsync(string index);

    /// <summary>Makes sure a statement on <see cref="OpenConnectionAsync"/> can create a table before anything is
    /// migrated (PostgreSQL: the schema exists). Nothing to do by default.</summary>
    protected virtual Task PrepareForRawTablesAsync() => Task.CompletedTask;

    [SetUp]
    public async Task CreateDatabase() => _migrator = await CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase()
    {
        _migrator = null;
        await DropDatabaseAsync();
    }

    [Test]
    public async Task Up_down_to_zero_and_up_again_creates_removes_and_recreates_every_table_and_index()
    {
        Migrator.MigrateUp();
        await AssertSchemaPresentAsync(true);
        Assert.That(await TableExistsAsync(VersionTable), Is.True, "the version table lives with the tables");

        Migrator.MigrateDownTo(0);
        await AssertSchemaPresentAsync(false);
        Assert.That(await TableExistsAsync(VersionTable), Is.False, "0 removes the whole schema, version table included");

        Migrator.MigrateUp();
        await AssertSchemaPresentAsync(true);
        Assert.That(await InsertJobAsync("c1", "again"), Is.GreaterThan(0));
    }

    [Test]
    public async Task MigrateUp_twice_is_a_no_op_that_keeps_rows()
    {
        Migrator.MigrateUp();
        var id = await InsertJobAsync("c1", "kept");

        Migrator.MigrateUp();

        Assert.That(await ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE id = {id}"), Is.EqualTo(1));
        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True);
    }

    [Test]
    public async Task ListMigrations_lists_every_known_migration_oldest_first_and_tells_applied_from_pending()
    {
        var before = Migrator.ListMigrations();

        Assert.That(before, Is.Not.Empty);
        Assert.That(before.Select(m => m.Version), Is.Ordered.Ascending.And.Unique);
        Assert.That(before[0], Is.EqualTo(new MigrationInfo(JobsDependenciesAndRuns.Version, "Jobs, dependencies and runs", false)));
        Assert.That(before.Any(m => m.IsApplied), Is.False, "a fresh database has nothing applied");
        Assert.That(await TableExistsAsync(VersionTable), Is.False, "listing has no side effect on the database");

        Migrator.MigrateUp();
        var after = Migrator.ListMigrations();
        Assert.That(after.Select(m => m.Version), Is.EqualTo(before.Select(m => m.Version)));
        Assert.That(after.All(m => m.IsApplied), Is.True);

        Migrator.MigrateDownTo(0);
        Assert.That(Migrator.ListMigrations().Any(m => m.IsApplied), Is.False);
    }

    [Test]
    public async Task MigrateDownTo_a_known_version_reverts_only_the_newer_migrations()
    {
        Migrator.MigrateUp();
        var oldest = Migrator.ListMigrations()[0].Version;

        Migrator.MigrateDownTo(oldest);

        var list = Migrator.ListMigrations();
        Assert.That(list.Where(m => m.IsApplied).Select(m => m.Version), Is.EqualTo(new[] { oldest }));
        Assert.That(await TableExistsAsync("jobs"), Is.True, "the oldest migration stays applied");
    }

    /// <summary>
    /// Rolling back the newest migration must not lose data in tables it did not create. With a single migration
    /// there is no such table: rolling it back is documented to remove the whole schema, and that is what is checked;
    /// as soon as a newer migration exists, the same test checks that rows in <c>jobs</c> survive Rollback(1) and the
    /// following MigrateUp.
    /// </summary>
    [Test]
    public async Task Rollback_of_the_newest_migration_then_MigrateUp_keeps_rows_in_tables_it_did_not_create()
    {
        Migrator.MigrateUp();
        var migrations = Migrator.ListMigrations();
        var newest = migrations[^1].Version;
        var id = await InsertJobAsync("c1", "survivor");

        Migrator.Rollback(1);

        var afterRollback = Migrator.ListMigrations();
        Assert.That(afterRollback.Single(m => !m.IsApplied).Version, Is.EqualTo(newest), "exactly the newest migration was reverted");

        if (migrations.Count == 1)
        {
            // The newest migration is the one that creates jobs: reverting it removes the tables, and their rows.
            await AssertSchemaPresentAsync(false);
            Assert.That(await TableExistsAsync(VersionTable), Is.False, "nothing applied: no version table is left behind");

            Migrator.MigrateUp();
            Assert.That(await ScalarAsync<long>("SELECT count(*) FROM jobs"), Is.Zero);
        }
        else
        {
            Assert.That(await ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE id = {id}"), Is.EqualTo(1), "the row survived the rollback");

            Migrator.MigrateUp();
            Assert.That(await ScalarAsync<string>($"SELECT name FROM jobs WHERE id = {id}"), Is.EqualTo("survivor"), "the row survived rollback and up");
        }

        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True);
        await AssertSchemaPresentAsync(true);
    }

    [Test]
    public async Task Rollback_more_steps_than_applied_reverts_everything()
    {
        Migrator.MigrateUp();

        Migrator.Rollback(Migrator.ListMigrations().Count + 5);

        Assert.That(Migrator.ListMigrations().Any(m => m.IsApplied), Is.False);
        await AssertSchemaPresentAsync(false);
    }

    [Test]
    public async Task Reverting_a_database_with_nothing_applied_does_nothing()
    {
        Migrator.MigrateDownTo(0);
        Migrator.Rollback(1);

        Assert.That(await TableExistsAsync(VersionTable), Is.False);
        Assert.That(Migrator.ListMigrations().Any(m => m.IsApplied), Is.False);
    }

    [Test]
    public void Bad_arguments_throw_ArgumentOutOfRangeException()
    {
        Migrator.MigrateUp();

        Assert.That(() => Migrator.MigrateDownTo(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Migrator.MigrateDownTo(JobsDependenciesAndRuns.Version - 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Migrator.MigrateDownTo(123), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Migrator.Rollback(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Migrator.Rollback(-2), Throws.InstanceOf<ArgumentOutOfRangeException>());

        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True, "refused calls change nothing");
    }

    [Test]
    public async Task A_failing_migration_throws_OrderLibMigrationException_and_is_rolled_back()
    {
        // A table of the same name that is not OrderLib's makes the migration fail half-way.
        await PrepareForRawTablesAsync();
        await ExecAsync("CREATE TABLE job_runs (unrelated integer)");

        var ex = Assert.Throws<OrderLibMigrationException>(() => Migrator.MigrateUp());

        Assert.That(ex!.Message, Does.Contain("job_runs").IgnoreCase);
        Assert.That(ex.InnerException, Is.Not.Null);
        Assert.That(Migrator.ListMigrations().Any(m => m.IsApplied), Is.False);
        Assert.That(await TableExistsAsync("jobs"), Is.False, "the statements before the failure were rolled back");
        Assert.That(await TableExistsAsync("job_dependencies"), Is.False, "the statements before the failure were rolled back");
    }

    [Test]
    public async Task Reverting_is_refused_while_a_migration_unknown_to_this_version_is_applied()
    {
        Migrator.MigrateUp();
        await ExecAsync($"INSERT INTO {VersionTable} (version, applied_on, description) VALUES (2999010101, '2026-01-01 00:00:00', 'from a newer OrderLib')");

        Assert.That(() => Migrator.MigrateDownTo(0), Throws.InstanceOf<OrderLibMigrationException>().With.Message.Contains("2999010101"));
        Assert.That(() => Migrator.Rollback(1), Throws.InstanceOf<OrderLibMigrationException>().With.Message.Contains("2999010101"));

        await AssertSchemaPresentAsync(true);
        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True, "unknown versions are not listed; known ones stay applied");
    }

    /// <summary>Several hosts starting at once all migrate the same database: each must succeed, each migration
    /// must be applied once.</summary>
    [Test]
    public async Task Concurrent_migrators_on_one_database_all_succeed_and_apply_each_migration_once()
    {
        var migrators = Enumerable.Range(0, 4).Select(_ => CreateMigratorForSameDatabase()).ToList();
        using var start = new Barrier(migrators.Count);

        await Task.WhenAll(migrators.Select(m => Task.Run(() =>
        {
            start.SignalAndWait();
            m.MigrateUp();
        })));

        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True);
        Assert.That(await ScalarAsync<long>($"SELECT count(*) FROM {VersionTable}"), Is.EqualTo(Migrator.ListMigrations().Count));
        await AssertSchemaPresentAsync(true);
    }

    [Test]
    public async Task Defaults_and_identities_are_generated_by_the_database()
    {
        Migrator.MigrateUp();

        var first = await InsertJobAsync("c1", "a");
        var second = await InsertJobAsync("c1", "b");
        var run = await InsertRunAsync(first, "Pending");

        Assert.That(second, Is.GreaterThan(first));
        Assert.That(await ScalarAsync<long>($"SELECT priority FROM jobs WHERE id = {first}"), Is.Zero);
        Assert.That(await ScalarAsync<long>($"SELECT waiting_on FROM job_runs WHERE id = {run}"), Is.Zero);
        Assert.That(await ScalarAsync<object>($"SELECT latest_status FROM jobs WHERE id = {first}"), Is.Null.Or.EqualTo(DBNull.Value));
    }

    [Test]
    public async Task The_partial_unique_index_allows_one_active_run_per_job_but_any_number_of_finished_ones()
    {
        Migrator.MigrateUp();
        var job = await InsertJobAsync("c1", "one-active");
        var other = await InsertJobAsync("c1", "other");

        var first = await InsertRunAsync(job, "Pending");
        await AssertRefusedAsync(() => InsertRunAsync(job, "Pending"), "unique");
        await AssertRefusedAsync(() => InsertRunAsync(job, "Running"), "unique");
        Assert.That(await InsertRunAsync(other, "Running"), Is.GreaterThan(0), "another job may have its own active run");

        await ExecAsync($"UPDATE job_runs SET status = 'Running' WHERE id = {first}");
        await AssertRefusedAsync(() => InsertRunAsync(job, "Pending"), "unique");

        await ExecAsync($"UPDATE job_runs SET status = 'Succeeded' WHERE id = {first}");
        Assert.That(await InsertRunAsync(job, "Succeeded"), Is.GreaterThan(0), "two Succeeded runs of one job are fine");
        Assert.That(await InsertRunAsync(job, "Failed"), Is.GreaterThan(0));
        Assert.That(await InsertRunAsync(job, "Cancelled"), Is.GreaterThan(0));
        var next = await InsertRunAsync(job, "Pending");
        Assert.That(next, Is.GreaterThan(first), "once the active run finished, a new one may start");
        await AssertRefusedAsync(() => InsertRunAsync(job, "Running"), "unique");

        Assert.That(await ScalarAsync<long>($"SELECT count(*) FROM job_runs WHERE job_id = {job}"), Is.EqualTo(5));
    }

    [Test]
    public async Task Check_constraints_refuse_bad_statuses_attempts_and_self_dependencies()
    {
        Migrator.MigrateUp();
        var job = await InsertJobAsync("c1", "checked");

        await AssertRefusedAsync(() => InsertRunAsync(job, "Done"), "ck_job_runs_status");
        await AssertRefusedAsync(() => InsertRunAsync(job, "pending"), "ck_job_runs_status");
        await AssertRefusedAsync(() => InsertRunAsync(job, "Pending", attempt: 0), "ck_job_runs_attempt");
        await AssertRefusedAsync(() => InsertJobAsync("c1", "zero", maxAttempts: 0), "ck_jobs_max_attempts");
        await AssertRefusedAsync(() => ExecAsync($"UPDATE jobs SET latest_status = 'Bogus' WHERE id = {job}"), "ck_jobs_latest_status");
        await AssertRefusedAsync(
            () => ExecAsync($"INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES ({job}, {job}, {T})"),
            "ck_job_dependencies_not_self");

        // The good values pass.
        foreach (var status in new[] { "Pending", "Running", "Succeeded", "Failed", "Cancelled" })
        {
            await ExecAsync($"UPDATE jobs SET latest_status = '{status}' WHERE id = {job}");
        }

        await ExecAsync($"UPDATE jobs SET latest_status = NULL WHERE id = {job}");
        Assert.That(await InsertJobAsync("c1", "one", maxAttempts: 1), Is.GreaterThan(0));
    }

    [Test]
    public async Task Keys_refuse_duplicate_names_duplicate_dependencies_and_unknown_jobs()
    {
        Migrator.MigrateUp();
        var a = await InsertJobAsync("c1", "a");
        var b = await InsertJobAsync("c1", "b");

        await AssertRefusedAsync(() => InsertJobAsync("c1", "a"), "unique");
        Assert.That(await InsertJobAsync("c2", "a"), Is.GreaterThan(0), "names are unique per client only");

        await ExecAsync($"INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES ({a}, {b}, {T})");
        await AssertRefusedAsync(
            () => ExecAsync($"INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES ({a}, {b}, {T})"),
            "unique");
        await AssertRefusedAsync(
            () => ExecAsync($"INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES ({a}, 987654, {T})"),
            "foreign key");
        await AssertRefusedAsync(() => InsertRunAsync(987654, "Pending"), "foreign key");
    }

    /// <summary>Asserts that the tables and every named index exist (and the partial ones are partial), or that none does.</summary>
    protected async Task AssertSchemaPresentAsync(bool present)
    {
        foreach (var table in Tables)
        {
            Assert.That(await TableExistsAsync(table), Is.EqualTo(present), $"table {table}");
        }

        foreach (var index in Indexes)
        {
            var definition = await IndexDefinitionAsync(index);
            Assert.That(definition, present ? Is.Not.Null : Is.Null, $"index {index}");
        }

        if (present)
        {
            Assert.That(await IndexDefinitionAsync("ux_job_runs_one_active"), Does.Contain("UNIQUE").IgnoreCase.And.Contains("WHERE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ix_job_runs_ready"), Does.Contain("priority DESC").IgnoreCase.And.Contains("WHERE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ix_job_runs_running_lease"), Does.Contain("WHERE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ux_jobs_client_name"), Does.Contain("UNIQUE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ix_jobs_next_due"), Does.Contain("next_due_at").And.Contains("WHERE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_enqueued"), Does.Contain("enqueued_at").And.Contains("Succeeded").And.Not.Contains("Pending"), "finished runs only");
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_started"), Does.Contain("started_at").And.Contains("Succeeded").And.Not.Contains("Running"), "finished runs only");
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_finished"), Does.Contain("finished_at").And.Contains("WHERE").IgnoreCase);
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_unsuccessful"), Does.Contain("Failed").And.Contains("Cancelled"));
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_unsuccessful_status"), Does.Contain("status").And.Contains("Cancelled"));
            Assert.That(await IndexDefinitionAsync("ix_job_runs_client_retries"), Does.Contain("attempt > 1"));
        }
    }

    /// <summary>Inserts a job with plain SQL and returns its id.</summary>
    protected Task<long> InsertJobAsync(string client, string name, int maxAttempts = 3) =>
        ScalarAsync<long>(
            $"INSERT INTO jobs (client_id, name, max_attempts, created_at, updated_at) VALUES ('{client}', '{name}', {maxAttempts}, {T}, {T}) RETURNING id");

    /// <summary>Inserts a run with plain SQL and returns its id.</summary>
    protected Task<long> InsertRunAsync(long job, string status, int attempt = 1) =>
        ScalarAsync<long>(
            "INSERT INTO job_runs (job_id, client_id, status, attempt, priority, enqueued_at, available_at) " +
            $"VALUES ({job}, COALESCE((SELECT client_id FROM jobs WHERE id = {job}), 'no-such-job'), '{status}', {attempt}, 0, {T}, {T}) RETURNING id");

    /// <summary>Runs a statement on a fresh connection.</summary>
    protected async Task ExecAsync(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query on a fresh connection and converts its single value.</summary>
    protected async Task<TValue> ScalarAsync<TValue>(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return typeof(TValue) == typeof(object) || value is null || value is DBNull
            ? (TValue)value!
            : (TValue)Convert.ChangeType(value, typeof(TValue), CultureInfo.InvariantCulture);
    }

    /// <summary>Asserts that the database refuses the statement, with an error that mentions <paramref name="expected"/>.</summary>
    protected static async Task AssertRefusedAsync(Func<Task> statement, string expected)
    {
        ArgumentNullException.ThrowIfNull(statement);
        DbException? refused = null;
        try
        {
            await statement();
        }
        catch (DbException ex)
        {
            refused = ex;
        }

        Assert.That(refused, Is.Not.Null, $"the database accepted a statement that should fail with '{expected}'");
        Assert.That(refused!.Message, Does.Contain(expected).IgnoreCase);
    }
}
