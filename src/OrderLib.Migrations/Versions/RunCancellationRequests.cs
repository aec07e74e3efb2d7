using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026112602: adds <c>job_runs.cancel_requested</c>, set when someone asks to cancel a Running run; its
/// worker learns it at its next heartbeat, and a rescue of the run ends it Cancelled instead of Failed.
/// </summary>
/// <remarks>
/// <para>
/// The column is <c>boolean NOT NULL DEFAULT false</c> (SQLite stores it as an integer 0/1). Both databases add a
/// NOT NULL column with a constant default to an existing table in place: existing runs read as not requested.
/// </para>
/// <para>
/// No index comes with it. The queries that use the flag reach runs by primary key (heartbeat, complete, cancel) or
/// through <c>ix_job_runs_running_lease</c> (rescue); the upstream-failure cascade walks
/// <c>ix_job_dependencies_depends_on</c> and reaches pending runs through <c>jobs.latest_run_id</c>.
/// </para>
/// <para>
/// <c>Down</c> drops the column. FluentMigrator (8.x) generates <c>ALTER TABLE ... DROP COLUMN</c> on both databases;
/// SQLite supports it since 3.35 (which OrderLib requires anyway, for <c>RETURNING</c>) for a column that no index,
/// key or constraint uses, as here, so no table rebuild is needed.
/// </para>
/// </remarks>
[Migration(Version, "Run cancellation requests")]
public sealed class RunCancellationRequests : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026112602;

    /// <summary>Adds <c>job_runs.cancel_requested</c>.</summary>
    public override void Up()
    {
        Alter.Table("job_runs")
            .AddColumn("cancel_requested").AsBoolean().NotNullable().WithDefaultValue(false);
    }

    /// <summary>Drops <c>job_runs.cancel_requested</c>.</summary>
    public override void Down()
    {
        Delete.Column("cancel_requested").FromTable("job_runs");
    }
}
