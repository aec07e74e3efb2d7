using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026120701: pipeline runs (what one trigger started), run inputs and outputs, and paused jobs.
/// </summary>
/// <remarks>
/// <para>
/// New tables:
/// <list type="bullet">
/// <item><c>pipeline_runs (id, client_id, trigger_kind, label, input, created_at)</c>: one row per trigger (a caller's or
/// a schedule's); its state and finish time are derived from its runs when read. <c>ix_pipeline_runs_client (client_id,
/// id)</c> lists a client's newest first.</item>
/// <item><c>pipeline_run_jobs (pipeline_run_id, position, job_id, job_name, run_id, joined, is_root)</c>: the jobs a
/// trigger covered, in topological order (<c>position</c>), each with the run it created or, under the one-active-run
/// rule, joined (a run another pipeline run created). Deleted with its pipeline run. <c>job_id</c> and <c>run_id</c>
/// carry no foreign key: a deleted job or a pruned run leaves its place in the record (with the job's name as it was).</item>
/// </list>
/// New columns, each added nullable in place on both databases (existing rows read as "none"):
/// <list type="bullet">
/// <item><c>job_runs.pipeline_run_id</c>: the pipeline run that created the run (retries keep it); null for runs
/// enqueued on their own and for runs from before this migration. <c>ix_job_runs_pipeline (pipeline_run_id, job_id, id)
/// WHERE pipeline_run_id IS NOT NULL</c> finds a pipeline run's runs.</item>
/// <item><c>job_runs.input</c> and <c>job_runs.output</c>: JSON text, at most 64 KiB each (checked by the library).</item>
/// <item><c>jobs.paused_at</c>: when the job was paused, null when it is not.</item>
/// </list>
/// </para>
/// <para>
/// <c>Down</c> drops the index, the columns and the tables (SQLite 3.35+ drops a column no index uses in place). Every
/// other row is kept.
/// </para>
/// </remarks>
[Migration(Version, "Pipeline runs, run inputs and outputs, paused jobs")]
public sealed class PipelineRunsPayloadsAndPausing : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026120701;

    private const string Timestamp = "timestamptz";

    /// <summary>Creates the tables, the columns and the index.</summary>
    public override void Up()
    {
        Create.Table("pipeline_runs")
            .WithColumn("id").AsInt64().NotNullable().PrimaryKey("pk_pipeline_runs").Identity()
            .WithColumn("client_id").AsString(100).NotNullable()
            .WithColumn("trigger_kind").AsCustom("varchar(16) CONSTRAINT ck_pipeline_runs_trigger_kind CHECK (trigger_kind IN ('Manual','Schedule'))").NotNullable()
            .WithColumn("label").AsString(int.MaxValue).Nullable()
            .WithColumn("input").AsString(int.MaxValue).Nullable()
            .WithColumn("created_at").AsCustom(Timestamp).NotNullable();
        Create.Index("ix_pipeline_runs_client").OnTable("pipeline_runs")
            .OnColumn("client_id").Ascending()
            .OnColumn("id").Ascending();

        Create.Table("pipeline_run_jobs")
            .WithColumn("pipeline_run_id").AsInt64().NotNullable().PrimaryKey("pk_pipeline_run_jobs")
                .ForeignKey("fk_pipeline_run_jobs_pipeline_run", "pipeline_runs", "id").OnDelete(System.Data.Rule.Cascade)
            .WithColumn("position").AsInt32().NotNullable().PrimaryKey("pk_pipeline_run_jobs")
            .WithColumn("job_id").AsInt64().NotNullable()
            .WithColumn("job_name").AsString(int.MaxValue).NotNullable()
            .WithColumn("run_id").AsInt64().NotNullable()
            .WithColumn("joined").AsBoolean().NotNullable()
            .WithColumn("is_root").AsBoolean().NotNullable();

        Alter.Table("job_runs").AddColumn("pipeline_run_id").AsInt64().Nullable();
        Alter.Table("job_runs").AddColumn("input").AsString(int.MaxValue).Nullable();
        Alter.Table("job_runs").AddColumn("output").AsString(int.MaxValue).Nullable();
        Alter.Table("jobs").AddColumn("paused_at").AsCustom(Timestamp).Nullable();
        Execute.Sql("CREATE INDEX ix_job_runs_pipeline ON job_runs (pipeline_run_id, job_id, id) WHERE pipeline_run_id IS NOT NULL");
    }

    /// <summary>Drops the index, the columns and the tables.</summary>
    public override void Down()
    {
        Execute.Sql("DROP INDEX IF EXISTS ix_job_runs_pipeline");
        Delete.Column("paused_at").FromTable("jobs");
        Delete.Column("output").FromTable("job_runs");
        Delete.Column("input").FromTable("job_runs");
        Delete.Column("pipeline_run_id").FromTable("job_runs");
        Delete.Table("pipeline_run_jobs");
        Delete.Table("pipeline_runs");
    }
}
