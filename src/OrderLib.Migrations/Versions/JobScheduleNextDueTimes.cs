using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026112603: adds <c>jobs.next_due_at</c>, when a scheduled job's schedule next enqueues a run, and the
/// partial index <c>ix_jobs_next_due</c> the scheduler reads it through.
/// </summary>
/// <remarks>
/// <para>
/// The column is a nullable <c>timestamptz</c> (on SQLite, ISO-8601 round-trip UTC text like every other timestamp). NULL
/// means "never due": a job without a schedule, or one whose schedule has no further occurrence. The index is
/// <c>(next_due_at, id) WHERE next_due_at IS NOT NULL</c> — raw SQL, identical on both databases, like the earlier partial
/// indexes — so it holds only scheduled jobs, in the order the scheduler takes them (earliest due first, then id), and
/// serves both "the due jobs" (<c>next_due_at &lt;= now</c>) and "the earliest due time".
/// </para>
/// <para>
/// <b>Existing rows keep <c>next_due_at</c> NULL, including jobs that already have a schedule text.</b> Before this version
/// the text was stored but never read: it may not be a valid schedule at all (it was not validated), and computing a cron
/// occurrence in a time zone is not something SQL can do in a migration. So the migration schedules nothing on its own;
/// such a job becomes scheduled when its definition is next saved: the relational stores' update computes the due time
/// from "now" when the schedule text changes <i>or</i> when the job has a schedule but no due time, so re-saving the same
/// (valid) text is enough. An invalid text is refused by that update with a message saying what is wrong. Until then the
/// job is listed without a next due time, which is visible to its owner.
/// </para>
/// <para>
/// <c>Down</c> drops the index first and then the column: SQLite refuses to drop a column that an index uses.
/// FluentMigrator (8.x) generates <c>ALTER TABLE ... DROP COLUMN</c> on both databases (SQLite 3.35+). Rows are kept.
/// </para>
/// </remarks>
[Migration(Version, "Job schedules: next due time")]
public sealed class JobScheduleNextDueTimes : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026112603;

    /// <summary>Adds <c>jobs.next_due_at</c> and <c>ix_jobs_next_due</c>.</summary>
    public override void Up()
    {
        Alter.Table("jobs")
            .AddColumn("next_due_at").AsCustom("timestamptz").Nullable();

        // The scheduled jobs only, in the scheduler's order.
        Execute.Sql("CREATE INDEX ix_jobs_next_due ON jobs (next_due_at, id) WHERE next_due_at IS NOT NULL");
    }

    /// <summary>Drops <c>ix_jobs_next_due</c> and <c>jobs.next_due_at</c>.</summary>
    public override void Down()
    {
        Execute.Sql("DROP INDEX IF EXISTS ix_jobs_next_due");
        Delete.Column("next_due_at").FromTable("jobs");
    }
}
