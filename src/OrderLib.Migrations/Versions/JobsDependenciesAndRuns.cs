using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026112601: creates the <c>jobs</c>, <c>job_dependencies</c> and <c>job_runs</c> tables
/// with their keys, check constraints and the indexes the adapters' queries rely on.
/// </summary>
/// <remarks>
/// <para>
/// The same migration runs on PostgreSQL (15+) and SQLite (3.35+). Everything the fluent API can say is
/// said with it. FluentMigrator has no check-constraint API, and SQLite cannot add a constraint to an
/// existing table, so each check is written inline in its column definition (a named
/// <c>CONSTRAINT ... CHECK (...)</c> carried in the column's custom type), which both databases accept
/// inside <c>CREATE TABLE</c>. Partial indexes are raw SQL, identical on both databases.
/// </para>
/// <para>
/// Timestamps are <c>timestamptz</c>: a real <c>timestamptz</c> on PostgreSQL, and on SQLite a column
/// holding ISO-8601 round-trip ("O") UTC text. Identifiers are <c>bigint</c> identities
/// (<c>GENERATED ALWAYS AS IDENTITY</c> on PostgreSQL: only the database assigns ids, <c>INTEGER PRIMARY KEY AUTOINCREMENT</c> on SQLite).
/// Foreign keys are declared inline in <c>Create.Table</c> because SQLite refuses a separate
/// <c>ALTER TABLE ... ADD CONSTRAINT</c>.
/// </para>
/// </remarks>
[Migration(Version, "Jobs, dependencies and runs")]
public sealed class JobsDependenciesAndRuns : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026112601;

    private const string Statuses = "'Pending','Running','Succeeded','Failed','Cancelled'";
    private const string Timestamp = "timestamptz";

    /// <summary>Creates the three tables and their indexes.</summary>
    public override void Up()
    {
        Create.Table("jobs")
            .WithColumn("id").AsInt64().NotNullable().PrimaryKey("pk_jobs").Identity()
            .WithColumn("client_id").AsString(100).NotNullable()
            .WithColumn("name").AsString(200).NotNullable()
            .WithColumn("description").AsString(int.MaxValue).Nullable()
            .WithColumn("priority").AsInt32().NotNullable().WithDefaultValue(0)
            .WithColumn("max_attempts").AsCustom("integer CONSTRAINT ck_jobs_max_attempts CHECK (max_attempts >= 1)").NotNullable()
            .WithColumn("schedule").AsString(200).Nullable()
            // Denormalised pointer to the job's newest run: no foreign key, the run table references jobs.
            .WithColumn("latest_run_id").AsInt64().Nullable()
            .WithColumn("latest_status").AsCustom(
                $"varchar(16) CONSTRAINT ck_jobs_latest_status CHECK (latest_status IS NULL OR latest_status IN ({Statuses}))").Nullable()
            .WithColumn("created_at").AsCustom(Timestamp).NotNullable()
            .WithColumn("updated_at").AsCustom(Timestamp).NotNullable();

        Create.Index("ux_jobs_client_name").OnTable("jobs")
            .OnColumn("client_id").Ascending()
            .OnColumn("name").Ascending()
            .WithOptions().Unique();

        Create.Table("job_dependencies")
            .WithColumn("job_id").AsInt64().NotNullable()
                .PrimaryKey("pk_job_dependencies")
                .ForeignKey("fk_job_dependencies_job", "jobs", "id")
            .WithColumn("depends_on_job_id")
                .AsCustom("bigint CONSTRAINT ck_job_dependencies_not_self CHECK (job_id <> depends_on_job_id)").NotNullable()
                .PrimaryKey("pk_job_dependencies")
                .ForeignKey("fk_job_dependencies_depends_on", "jobs", "id")
            .WithColumn("created_at").AsCustom(Timestamp).NotNullable();

        // The primary key (job_id, depends_on_job_id) serves "what does J depend on";
        // this one serves "who depends on D" (downstream look-ups).
        Create.Index("ix_job_dependencies_depends_on").OnTable("job_dependencies")
            .OnColumn("depends_on_job_id").Ascending()
            .OnColumn("job_id").Ascending();

        Create.Table("job_runs")
            .WithColumn("id").AsInt64().NotNullable().PrimaryKey("pk_job_runs").Identity()
            .WithColumn("job_id").AsInt64().NotNullable().ForeignKey("fk_job_runs_job", "jobs", "id")
            .WithColumn("status").AsCustom($"varchar(16) CONSTRAINT ck_job_runs_status CHECK (status IN ({Statuses}))").NotNullable()
            .WithColumn("attempt").AsCustom("integer CONSTRAINT ck_job_runs_attempt CHECK (attempt >= 1)").NotNullable()
            // Copy of the job's priority at enqueue time, so the claim can order by an indexed column.
            .WithColumn("priority").AsInt32().NotNullable()
            // Number of upstream jobs whose latest run has not Succeeded; meaningful for Pending runs.
            .WithColumn("waiting_on").AsInt32().NotNullable().WithDefaultValue(0)
            .WithColumn("enqueued_at").AsCustom(Timestamp).NotNullable()
            .WithColumn("available_at").AsCustom(Timestamp).NotNullable()
            .WithColumn("started_at").AsCustom(Timestamp).Nullable()
            .WithColumn("finished_at").AsCustom(Timestamp).Nullable()
            .WithColumn("lease_expires_at").AsCustom(Timestamp).Nullable()
            .WithColumn("worker_id").AsString(200).Nullable()
            .WithColumn("error").AsString(int.MaxValue).Nullable();

        // A job's runs, newest first.
        Create.Index("ix_job_runs_job").OnTable("job_runs")
            .OnColumn("job_id").Ascending()
            .OnColumn("id").Ascending();

        // At most one active (Pending or Running) run per job, enforced by the database.
        Execute.Sql(
            "CREATE UNIQUE INDEX ux_job_runs_one_active ON job_runs (job_id) WHERE status IN ('Pending','Running')");

        // The ready set the claim reads: small, ordered the way the claim orders.
        Execute.Sql(
            "CREATE INDEX ix_job_runs_ready ON job_runs (priority DESC, id) WHERE status = 'Pending' AND waiting_on = 0");

        // Running runs by lease expiry, for finding lost workers.
        Execute.Sql(
            "CREATE INDEX ix_job_runs_running_lease ON job_runs (lease_expires_at) WHERE status = 'Running'");
    }

    /// <summary>Drops the three tables; their indexes and constraints go with them.</summary>
    public override void Down()
    {
        // Dependants first: both tables reference jobs.
        Execute.Sql("DROP INDEX IF EXISTS ix_job_runs_running_lease");
        Execute.Sql("DROP INDEX IF EXISTS ix_job_runs_ready");
        Execute.Sql("DROP INDEX IF EXISTS ux_job_runs_one_active");
        Delete.Table("job_runs");
        Delete.Table("job_dependencies");
        Delete.Table("jobs");
    }
}
