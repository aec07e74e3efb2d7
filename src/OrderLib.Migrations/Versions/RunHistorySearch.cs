using FluentMigrator;

namespace OrderLib.Migrations.Versions;

/// <summary>
/// Migration 2026120601: gives every run its job's client (<c>job_runs.client_id</c>) and adds the indexes the history
/// searches, statistics and retention read through, so that a client's runs are found by time without visiting other
/// clients' runs or the jobs table.
/// </summary>
/// <remarks>
/// <para>
/// <c>client_id</c> copies <c>jobs.client_id</c> (a job never changes client). It is added <c>NOT NULL DEFAULT ''</c>
/// (both databases add such a column in place), filled from the jobs in one statement, and on PostgreSQL loses its default
/// afterwards; SQLite cannot drop a column default, so there the default stays, unused: every insert names the column.
/// </para>
/// <para>
/// The indexes, raw SQL identical on both databases (timestamps on SQLite are fixed-width ISO-8601 UTC text, so text
/// order is time order):
/// <list type="bullet">
/// <item><c>ix_job_runs_client_enqueued (client_id, enqueued_at, id) WHERE status IN ('Succeeded','Failed','Cancelled')</c>:
/// searches in enqueue order, enqueue-time ranges.</item>
/// <item><c>ix_job_runs_client_started (client_id, started_at, id) WHERE status IN ('Succeeded','Failed','Cancelled')</c>:
/// start order and ranges.</item>
/// <item><c>ix_job_runs_client_finished (client_id, finished_at, id) WHERE finished_at IS NOT NULL</c>: finish order and
/// ranges, statistics windows, the prune's candidates oldest first.</item>
/// <item><c>ix_job_runs_client_unsuccessful (client_id, finished_at, id) WHERE status IN ('Failed','Cancelled')</c>: the
/// failed and cancelled runs, a few percent of a healthy history, so status filters on them and error-text searches
/// (only those runs carry an error text) read them alone, in finish order.</item>
/// <item><c>ix_job_runs_client_unsuccessful_status (client_id, status, enqueued_at, id) WHERE status IN ('Failed','Cancelled')</c>:
/// one of those two statuses in enqueue order.</item>
/// <item><c>ix_job_runs_client_retries (client_id, enqueued_at, id) WHERE attempt > 1</c>: retries only.</item>
/// <item>PostgreSQL only, when the <c>pg_trgm</c> extension exists or can be created: <c>ix_job_runs_client_error_trgm</c>,
/// a GIN trigram index on <c>lower(error COLLATE "C")</c> of the failed and cancelled runs, which serves error-text
/// searches (<c>LIKE '%text%'</c>). Without the extension the migration goes on without it (a notice says so). The
/// extension is left in place by <c>Down</c>.</item>
/// </list>
/// The partial indexes on failed, cancelled and retried runs hold a few percent of the runs and get entries only when
/// such a run is written, so they cost the claims and completions of a healthy queue next to nothing.
/// The indexes on enqueue and start time hold finished runs only: a run gets its entries once, when it ends, instead of
/// at its insert, its claim and its end (every status change writes a new row version into every index whose predicate
/// it meets), which keeps most of their cost off the claims and completions; searches read the few active runs, at most
/// one per job, through <c>ux_job_runs_one_active</c> beside them. Runs of one job are found through the existing
/// <c>ix_job_runs_job (job_id, id)</c>.
/// </para>
/// <para>
/// <c>Down</c> drops the indexes first (SQLite refuses to drop a column an index uses), then the column. Rows are kept.
/// </para>
/// </remarks>
[Migration(Version, "Run history: client ids on runs and the search indexes")]
public sealed class RunHistorySearch : Migration
{
    /// <summary>The version number of this migration.</summary>
    public const long Version = 2026120601;

    private static readonly string[] Indexes =
    [
        "ix_job_runs_client_enqueued ON job_runs (client_id, enqueued_at, id) WHERE status IN ('Succeeded','Failed','Cancelled')",
        "ix_job_runs_client_started ON job_runs (client_id, started_at, id) WHERE status IN ('Succeeded','Failed','Cancelled')",
        "ix_job_runs_client_finished ON job_runs (client_id, finished_at, id) WHERE finished_at IS NOT NULL",
        "ix_job_runs_client_unsuccessful ON job_runs (client_id, finished_at, id) WHERE status IN ('Failed','Cancelled')",
        "ix_job_runs_client_unsuccessful_status ON job_runs (client_id, status, enqueued_at, id) WHERE status IN ('Failed','Cancelled')",
        "ix_job_runs_client_retries ON job_runs (client_id, enqueued_at, id) WHERE attempt > 1",
    ];

    // PostgreSQL: the trigram index of the failed and cancelled runs' error texts, as the searches fold them, when the
    // pg_trgm extension is there or can be created (it is a trusted extension: a database owner may create it); without
    // it the migration goes on and error-text searches read the failed and cancelled runs instead. The operator class is
    // named with the extension's schema, which may be outside the search path OrderLib's schema setting makes.
    private const string ErrorTrigramIndex = """
        DO $$
        DECLARE
            trgm_schema text;
        BEGIN
            BEGIN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'OrderLib: pg_trgm is not available (%), error-text searches will read every failed and cancelled run', SQLERRM;
            END;
            SELECT n.nspname INTO trgm_schema
            FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'pg_trgm';
            IF trgm_schema IS NOT NULL THEN
                EXECUTE format(
                    'CREATE INDEX ix_job_runs_client_error_trgm ON job_runs USING gin (lower(error COLLATE "C") %I.gin_trgm_ops) WHERE status IN (''Failed'',''Cancelled'')',
                    trgm_schema);
            END IF;
        END
        $$;
        """;

    // The processors' database types: PostgreSQL11_0 and its kin.
    private static bool IsPostgres(string databaseType) => databaseType.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds and fills <c>job_runs.client_id</c>, then creates the indexes.</summary>
    public override void Up()
    {
        Alter.Table("job_runs")
            .AddColumn("client_id").AsString(100).NotNullable().WithDefaultValue("");
        Execute.Sql("UPDATE job_runs SET client_id = (SELECT j.client_id FROM jobs j WHERE j.id = job_runs.job_id)");
        IfDatabase(IsPostgres).Execute.Sql("ALTER TABLE job_runs ALTER COLUMN client_id DROP DEFAULT");
        foreach (var index in Indexes)
        {
            Execute.Sql("CREATE INDEX " + index);
        }

        IfDatabase(IsPostgres).Execute.Sql(ErrorTrigramIndex);
    }

    /// <summary>Drops the indexes and <c>job_runs.client_id</c>.</summary>
    public override void Down()
    {
        IfDatabase(IsPostgres).Execute.Sql("DROP INDEX IF EXISTS ix_job_runs_client_error_trgm");
        foreach (var index in Indexes)
        {
            Execute.Sql("DROP INDEX IF EXISTS " + index[..index.IndexOf(' ', StringComparison.Ordinal)]);
        }

        Delete.Column("client_id").FromTable("job_runs");
    }
}
