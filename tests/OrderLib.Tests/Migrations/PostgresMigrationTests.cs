using System.Data.Common;
using Npgsql;
using NUnit.Framework;
using OrderLib.Adapters.Postgres;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>
/// The migration tests against PostgreSQL, once with OrderLib in the default <c>public</c> schema and once in a
/// schema of its own. Each fixture takes a fresh database from <see cref="PostgresServer"/>; before every test all
/// its schemas are dropped and an empty <c>public</c> is recreated, which is as good as a new database and much faster.
/// </summary>
[TestFixture("public")]
[TestFixture("orderlib_app")]
public sealed class PostgresMigrationTests(string schema) : MigrationTests
{
    private const string ResetSql = """
        DO $$
        DECLARE s text;
        BEGIN
            FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' LOOP
                EXECUTE format('DROP SCHEMA %I CASCADE', s);
            END LOOP;
            CREATE SCHEMA public;
        END $$
        """;

    private string? _database;

    private string Database => _database ?? throw new InvalidOperationException("No database yet.");

    [OneTimeTearDown]
    public async Task DropFixtureDatabase()
    {
        if (_database is not null)
        {
            await PostgresServer.DropDatabaseAsync(_database);
            NpgsqlConnection.ClearPool(new NpgsqlConnection(AdapterConnectionString(_database, schema)));
            _database = null;
        }
    }

    protected override async Task<IOrderLibMigrator> CreateDatabaseAsync()
    {
        _database ??= await PostgresServer.CreateDatabaseAsync();
        await ExecOnDatabaseAsync(ResetSql);
        return CreateMigratorForSameDatabase();
    }

    protected override IOrderLibMigrator CreateMigratorForSameDatabase() => PostgresOrderLibMigrations.Create(Database, schema);

    protected override Task DropDatabaseAsync() => Task.CompletedTask; // the fixture's database is dropped once, at the end

    /// <summary>How an adapter connects: unqualified table names resolved through <c>SearchPath</c>.</summary>
    protected override async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(AdapterConnectionString(Database, schema));
        await connection.OpenAsync();
        return connection;
    }

    protected override IJobStore CreateStore() => new PostgresOrderLibStore(Database, schema);

    protected override Task PrepareForRawTablesAsync() => ExecOnDatabaseAsync($"CREATE SCHEMA IF NOT EXISTS {schema}");

    protected override Task<bool> TableExistsAsync(string table) => TableExistsInAsync(schema, table);

    protected override async Task<IReadOnlyList<string>> SchemaSignatureAsync()
    {
        var connection = new NpgsqlConnection(Database); // DbQuery opens and disposes it
        var sql = $"""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
            FROM information_schema.columns WHERE table_schema = '{schema}'
            UNION ALL
            SELECT 'index ' || tablename || ' ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = '{schema}'
            UNION ALL
            SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ': ' || pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = '{schema}'
            ORDER BY 1
            """;
        return await DbQuery.ListAsync(connection, sql, r => r.GetString(0));
    }

    protected override async Task<string?> IndexDefinitionAsync(string index)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE schemaname = @schema AND indexname = @index", connection);
        command.Parameters.AddWithValue("schema", schema);
        command.Parameters.AddWithValue("index", index);
        return await command.ExecuteScalarAsync() as string;
    }

    [Test]
    public async Task Every_object_including_the_version_table_lives_in_the_configured_schema()
    {
        Migrator.MigrateUp();

        var tables = await TablesByschemaAsync();
        Assert.That(tables, Is.EquivalentTo(new[]
        {
            (schema, "jobs"), (schema, "job_dependencies"), (schema, "job_runs"), (schema, "orderlib_version_info"),
            (schema, "pipeline_runs"), (schema, "pipeline_run_jobs"),
        }));

        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_indexes WHERE indexname = ANY(@names) AND schemaname = @schema", connection);
        command.Parameters.AddWithValue("names", Indexes);
        command.Parameters.AddWithValue("schema", schema);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo((long)Indexes.Length));
    }

    [Test]
    public async Task The_error_trigram_index_comes_with_pg_trgm_in_any_schema_and_goes_with_its_migration()
    {
        Migrator.MigrateUp();

        Assert.That(await IndexDefinitionAsync("ix_job_runs_client_error_trgm"), Does.Contain("USING gin").And.Contains("gin_trgm_ops").And.Contains("COLLATE \"C\""));

        Migrator.MigrateDownTo(OrderLib.Migrations.Versions.JobScheduleNextDueTimes.Version);
        Assert.That(await IndexDefinitionAsync("ix_job_runs_client_error_trgm"), Is.Null);

        Migrator.MigrateUp();
        Assert.That(await IndexDefinitionAsync("ix_job_runs_client_error_trgm"), Is.Not.Null, "the extension left in place serves the index again");
    }

    [Test]
    public async Task Next_due_at_is_a_nullable_timestamptz_and_the_scheduler_queries_can_use_ix_jobs_next_due()
    {
        Migrator.MigrateUp();

        await using var connection = await OpenConnectionAsync();
        await using (var column = connection.CreateCommand())
        {
            column.CommandText = "SELECT data_type || ' ' || is_nullable FROM information_schema.columns " +
                                 $"WHERE table_schema = '{schema}' AND table_name = 'jobs' AND column_name = 'next_due_at'";
            Assert.That(await column.ExecuteScalarAsync(), Is.EqualTo("timestamp with time zone YES"));
        }

        // The due jobs (as the store locks them) and the earliest due time. With sequential scans off, the plans show that
        // the partial index's predicate is implied by the queries and that its order is the queries' order (no sort). With
        // a client filter the planner may as well read the clients' jobs through ux_jobs_client_name: either way, an index.
        const string due = "j.next_due_at <= now()";
        const string scheduled = "j.next_due_at IS NOT NULL";
        const string filter = " AND j.client_id = ANY('{c1}')";
        string LockDue(string where) => $"SELECT j.id FROM jobs j WHERE {where} ORDER BY j.next_due_at, j.id LIMIT 10 FOR UPDATE OF j SKIP LOCKED";
        string Earliest(string where) => $"SELECT j.next_due_at FROM jobs j WHERE {where} ORDER BY j.next_due_at, j.id LIMIT 1";

        foreach (var query in new[] { LockDue(due), Earliest(scheduled) })
        {
            var plan = await ExplainAsync(connection, query);
            Assert.That(plan, Does.Contain("Scan using ix_jobs_next_due").And.Not.Contains("Sort"), query);
        }

        foreach (var query in new[] { LockDue(due + filter), Earliest(scheduled + filter) })
        {
            var plan = await ExplainAsync(connection, query);
            Assert.That(plan, Does.Contain("Scan using ix_jobs_next_due").Or.Contains("Scan using ux_jobs_client_name"), query);
        }
    }

    private static async Task<string> ExplainAsync(DbConnection connection, string query)
    {
        await using var explain = connection.CreateCommand();
        explain.CommandText = "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN " + query;
        var plan = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        return string.Join("\n", plan);
    }

    [Test]
    public async Task MigrateUp_creates_the_schema_when_it_is_missing()
    {
        var other = "orderlib_created_" + Guid.NewGuid().ToString("N")[..8];
        Assert.That(await SchemaExistsAsync(other), Is.False);

        var migrator = PostgresOrderLibMigrations.Create(Database, other);
        Assert.That(migrator.ListMigrations().Any(m => m.IsApplied), Is.False);
        Assert.That(await SchemaExistsAsync(other), Is.False, "listing creates nothing");

        migrator.MigrateUp();
        Assert.That(await SchemaExistsAsync(other), Is.True);
        Assert.That(await TableExistsInAsync(other, "jobs"), Is.True);

        migrator.MigrateDownTo(0);
        Assert.That(await TableExistsInAsync(other, "jobs"), Is.False);
        Assert.That(await TableExistsInAsync(other, "orderlib_version_info"), Is.False);
        Assert.That(await SchemaExistsAsync(other), Is.True, "the schema itself may hold other things and is left in place");
    }

    [Test]
    public async Task Two_schemas_in_one_database_are_independent_installations()
    {
        const string second = "orderlib_second";
        var secondMigrator = PostgresOrderLibMigrations.Create(Database, second);

        Migrator.MigrateUp();
        secondMigrator.MigrateUp();
        var job = await InsertJobAsync("c1", "in-first-schema");
        await InsertRunAsync(job, "Pending");

        // The same names, indexes included, exist in both schemas, and rows do not leak.
        await using (var connection = new NpgsqlConnection(AdapterConnectionString(Database, second)))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM jobs", connection);
            Assert.That(await count.ExecuteScalarAsync(), Is.Zero);
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO jobs (client_id, name, max_attempts, created_at, updated_at) VALUES ('c1', 'in-first-schema', 1, {T}, {T})", connection);
            Assert.That(await insert.ExecuteNonQueryAsync(), Is.EqualTo(1), "uniqueness is per schema");
        }

        secondMigrator.MigrateDownTo(0);

        Assert.That(await TableExistsInAsync(second, "jobs"), Is.False);
        Assert.That(secondMigrator.ListMigrations().Any(m => m.IsApplied), Is.False);
        Assert.That(Migrator.ListMigrations().All(m => m.IsApplied), Is.True, "the first schema's version table is its own");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs"), Is.EqualTo(1));
    }

    [Test]
    public void ForPostgres_refuses_schema_names_an_adapter_could_not_reach_with_SearchPath()
    {
        foreach (var bad in new[] { "", "OrderLib", "1abc", "my-schema", "a\"b", "a b", new string('a', 64) })
        {
            Assert.That(() => PostgresOrderLibMigrations.Create(Database, bad), Throws.InstanceOf<ArgumentException>(), bad);
        }

        Assert.That(() => PostgresOrderLibMigrations.Create(Database, null!), Throws.InstanceOf<ArgumentNullException>());
        Assert.That(() => PostgresOrderLibMigrations.Create(""), Throws.InstanceOf<ArgumentException>());
        Assert.That(PostgresOrderLibMigrations.Create(Database, "_ok_123"), Is.Not.Null);
    }

    [Test]
    public void An_unreachable_server_gives_OrderLibDatabaseUnavailableException_from_every_migrator_call()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(Database) { Host = "127.0.0.1", Port = 1, Timeout = 2 }.ConnectionString;
        var migrator = PostgresOrderLibMigrations.Create(unreachable, schema);

        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, call) in new (string, Action)[]
                     {
                         ("MigrateUp", () => migrator.MigrateUp()),
                         ("CheckSchema", () => migrator.CheckSchema()),
                         ("ListMigrations", () => migrator.ListMigrations()),
                         ("Rollback", () => migrator.Rollback(1)),
                     })
            {
                var ex = Assert.Throws<OrderLib.OrderLibDatabaseUnavailableException>(() => call(), name);
                Assert.That(ex?.InnerException, Is.InstanceOf<NpgsqlException>(), $"{name}: the driver's error is inside");
                Assert.That(ex?.Provider, Is.EqualTo("Postgres"), name);
            }
        }
    }

    [Test]
    public async Task A_store_over_the_hosts_data_source_checks_the_schema_on_its_first_use_too()
    {
        var builder = new NpgsqlDataSourceBuilder(Database);
        builder.ConnectionStringBuilder.SearchPath = schema;
        await using var dataSource = builder.Build();
        var store = new PostgresOrderLibStore(dataSource);
        var client = new ClientId("host-data-source");

        Assert.ThrowsAsync<OrderLib.OrderLibSchemaVersionException>(() => store.ListJobsAsync(client, null, 10, default));

        Migrator.MigrateUp();
        Assert.That(await store.ListJobsAsync(client, null, 10, default), Is.Empty);
    }

    private static string AdapterConnectionString(string database, string searchPath) =>
        new NpgsqlConnectionStringBuilder(database) { SearchPath = searchPath }.ConnectionString;

    private async Task ExecOnDatabaseAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<bool> SchemaExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    private async Task<bool> TableExistsInAsync(string schemaName, string table)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = @schema AND table_name = @table", connection);
        command.Parameters.AddWithValue("schema", schemaName);
        command.Parameters.AddWithValue("table", table);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    private async Task<List<(string Schema, string Table)>> TablesByschemaAsync()
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        return tables;
    }
}
