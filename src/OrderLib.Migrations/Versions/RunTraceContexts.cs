using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026120702: the W3C trace context of whoever enqueued or triggered a run, so its execution joins that trace.
/// </summary>
/// <remarks>
/// <para>
/// New columns, each added nullable in place on both databases (existing rows read as "no trace context"):
/// <list type="bullet">
/// <item><c>job_runs.trace_parent</c>: the W3C <c>traceparent</c> of the enqueuing or triggering call (its retries copy it);
/// null when there was no current activity.</item>
/// <item><c>job_runs.trace_state</c>: the W3C <c>tracestate</c> that came with it, or null.</item>
/// </list>
/// No index: the columns are only read with the run (its claim).
/// </para>
/// <para><c>Down</c> drops the two columns (SQLite 3.35+ drops a column no index uses in place). Every other row is kept.</para>
/// </remarks>
[Migration(Version, "Run trace contexts")]
public sealed class RunTraceContexts : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026120702;

    /// <summary>Adds the columns.</summary>
    public override void Up()
    {
        Alter.Table("job_runs").AddColumn("trace_parent").AsString(int.MaxValue).Nullable();
        Alter.Table("job_runs").AddColumn("trace_state").AsString(int.MaxValue).Nullable();
    }

    /// <summary>Drops the columns.</summary>
    public override void Down()
    {
        Delete.Column("trace_state").FromTable("job_runs");
        Delete.Column("trace_parent").FromTable("job_runs");
    }
}
