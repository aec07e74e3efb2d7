namespace OrderLib.Adapters.Relational;

/// <summary>
/// Every statement the relational store issues, written once for all databases. The only dialect-specific pieces
/// are the row-lock clauses (<see cref="SqlDialect.ForUpdateOf"/>, <see cref="SqlDialect.ForShareOf"/>), which are
/// empty on SQLite, where the immediate write transaction serialises writers already.
/// Statuses are written as literals so that the planners can match the partial indexes' predicates.
/// </summary>
internal sealed class RelationalSql
{
    public RelationalSql(SqlDialect dialect)
    {
        var jobColumns = JobColumns("j.");
        var runColumns = RunColumns("r.");

        // The job row locked first by every operation that changes the job's latest run.
        var lockJobOfRun = $"""
            SELECT j.id FROM jobs j JOIN job_runs r ON r.job_id = j.id
            WHERE r.id = @runId AND j.client_id = @client{dialect.ForUpdateOf("j")};
            """;

        // The run, when it belongs to the client (for guards inside UPDATEs of job_runs).
        const string runInClient = "EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = job_runs.job_id AND cj.client_id = @client)";

        // Mirrors the run's status into its job's latest_status, when it is the job's latest run.
        const string syncLatestStatus = """
            UPDATE jobs SET latest_status = (SELECT s.status FROM job_runs s WHERE s.id = @runId)
            WHERE id = (SELECT s.job_id FROM job_runs s WHERE s.id = @runId) AND client_id = @client AND latest_run_id = @runId;
            """;

        // Adds @delta to waiting_on of the pending runs of the jobs that depend directly on the job @upstreamJob
        // selects. A job's pending run is its latest run, so the runs are found through jobs.latest_run_id (primary
        // keys only, whatever the history). Rows are locked in id order first, so concurrent set-based updates
        // cannot deadlock each other.
        string ShiftDependents(string delta, string upstreamJob) => $"""
            UPDATE job_runs SET waiting_on = waiting_on {delta}
            WHERE status = 'Pending' AND id IN (
                SELECT r.id FROM job_dependencies d
                JOIN jobs dj ON dj.id = d.job_id
                JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE d.depends_on_job_id = ({upstreamJob}) AND r.status = 'Pending'
                ORDER BY r.id{dialect.ForUpdateOf("r")});
            """;

        // The job's own pending run, if it has one (its latest run), for a change of one of its edges.
        const string shiftOwnPendingRun = """
            WHERE id = (SELECT oj.latest_run_id FROM jobs oj WHERE oj.id = @jobId) AND status = 'Pending';
            """;

        GetJob = $"SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client;";

        GetJobByName = $"SELECT {jobColumns} FROM jobs j WHERE j.client_id = @client AND j.name = @name;";

        ListJobs = $"""
            SELECT {jobColumns} FROM jobs j
            WHERE j.client_id = @client AND j.id > @after
            ORDER BY j.id LIMIT @limit;
            """;

        InsertJob = """
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at)
            VALUES (@client, @name, @description, @priority, @maxAttempts, @schedule, @now, @now)
            RETURNING id;
            """;

        // Job row first, then its active run (lock order: job, then runs).
        UpdateJob = $"""
            UPDATE jobs SET name = @name, description = @description, priority = @priority,
                max_attempts = @maxAttempts, schedule = @schedule, updated_at = @now
            WHERE id = @jobId AND client_id = @client
            RETURNING {JobColumns("")};
            UPDATE job_runs SET priority = @priority
            WHERE id = (SELECT oj.latest_run_id FROM jobs oj WHERE oj.id = @jobId AND oj.client_id = @client)
              AND status IN ('Pending', 'Running');
            """;

        LockJobForDelete = $"""
            SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client{dialect.ForUpdateOf("j")};
            SELECT j.name FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
            WHERE d.depends_on_job_id = @jobId AND j.client_id = @client
            ORDER BY j.id;
            """;

        const string deleteJob = """
            DELETE FROM job_dependencies WHERE job_id = @jobId;
            DELETE FROM job_dependencies WHERE depends_on_job_id = @jobId;
            DELETE FROM job_runs WHERE job_id = @jobId;
            DELETE FROM jobs WHERE id = @jobId;
            """;
        DeleteJob = deleteJob;
        DeleteJobReleasingDependents = ShiftDependents("- 1", "SELECT @jobId") + deleteJob;

        // Both jobs share-locked in id order, the edge looked up, and — when the upstream job already reaches the
        // dependent one through depends-on edges — every edge of the upstream job's ancestry, to name the cycle.
        CheckDependency = $"""
            SELECT {jobColumns} FROM jobs j
            WHERE j.id IN (@jobId, @dependsOnJobId) AND j.client_id = @client
            ORDER BY j.id{dialect.ForShareOf("j")};
            SELECT COUNT(*) FROM job_dependencies WHERE job_id = @jobId AND depends_on_job_id = @dependsOnJobId;
            """;

        FindCycleEdges = """
            WITH RECURSIVE up(id) AS (
                SELECT CAST(@dependsOnJobId AS BIGINT)
                UNION
                SELECT d.depends_on_job_id FROM job_dependencies d JOIN up ON d.job_id = up.id
            )
            SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
            FROM job_dependencies d JOIN up ON d.job_id = up.id
            WHERE EXISTS (SELECT 1 FROM up WHERE up.id = @jobId);
            """;

        InsertDependency = """
            INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES (@jobId, @dependsOnJobId, @now);
            """;

        InsertDependencyAndWait = InsertDependency + "UPDATE job_runs SET waiting_on = waiting_on + 1 " + shiftOwnPendingRun;

        DeleteDependency = """
            DELETE FROM job_dependencies WHERE job_id = @jobId AND depends_on_job_id = @dependsOnJobId;
            """;

        DeleteDependencyAndStopWaiting = DeleteDependency + "UPDATE job_runs SET waiting_on = waiting_on - 1 " + shiftOwnPendingRun;

        CountJob = "SELECT COUNT(*) FROM jobs WHERE id = @jobId AND client_id = @client;";

        ListUpstream = CountJob + $"""
            SELECT {jobColumns} FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
            WHERE d.job_id = @jobId AND j.client_id = @client
            ORDER BY j.id;
            """;

        ListDownstream = CountJob + $"""
            SELECT {jobColumns} FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
            WHERE d.depends_on_job_id = @jobId AND j.client_id = @client
            ORDER BY j.id;
            """;

        // Locks the job row for update and its upstream job rows for share, all in ascending id order (upstream
        // below the job, the job, upstream above it), then reads the job's active run and, with a fresh snapshot
        // taken while the job row is held, its upstream jobs' latest statuses. Locking the job first and its
        // upstream jobs after it deadlocks: an enqueue of X holding X would wait for a shared upstream U behind a
        // queued finish of U, which waits for an enqueue of a job depending on both U and X, which waits for X.
        string LockUpstream(string side) => $"""
            SELECT j.id FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
            WHERE d.job_id = @jobId AND j.client_id = @client AND j.id {side} @jobId
            ORDER BY j.id{dialect.ForShareOf("j")};
            """;
        PrepareEnqueue = LockUpstream("<") + $"""
            SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client{dialect.ForUpdateOf("j")};
            """ + LockUpstream(">") + $"""
            SELECT {runColumns} FROM job_runs r
            WHERE r.job_id = @jobId AND r.status IN ('Pending', 'Running')
              AND EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = @jobId AND cj.client_id = @client);
            SELECT j.id AS Id, j.name AS Name, j.latest_status AS LatestStatus
            FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
            WHERE d.job_id = @jobId AND j.client_id = @client
            ORDER BY j.id;
            """;

        var insertRun = $"""
            INSERT INTO job_runs (job_id, status, attempt, priority, waiting_on, enqueued_at, available_at)
            VALUES (@jobId, 'Pending', 1, @priority, @waitingOn, @now, @now)
            RETURNING {RunColumns("")};
            UPDATE jobs SET latest_run_id = (SELECT MAX(n.id) FROM job_runs n WHERE n.job_id = @jobId), latest_status = 'Pending'
            WHERE id = @jobId;
            """;
        InsertRun = insertRun;

        // The job's latest run was a success and no longer is: its dependents' pending runs wait for it again.
        InsertRunAfterSuccess = insertRun + ShiftDependents("+ 1", "SELECT @jobId");

        GetActiveRun = $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.job_id = @jobId AND j.client_id = @client AND r.status IN ('Pending', 'Running');
            """;

        StartRun = lockJobOfRun + $"""
            UPDATE job_runs SET status = 'Running', started_at = @now, worker_id = @workerId, lease_expires_at = @leaseExpiresAt
            WHERE id = @runId AND status = 'Pending' AND waiting_on = 0 AND available_at <= @now AND {runInClient}
            RETURNING {RunColumns("")};
            """ + syncLatestStatus;

        // Why a start was refused: the run, and the upstream jobs whose latest run has not succeeded.
        DiagnoseStart = $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.id = @runId AND j.client_id = @client;
            SELECT j.id AS Id, j.name AS Name, j.latest_status AS LatestStatus
            FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
            WHERE d.job_id = (SELECT s.job_id FROM job_runs s WHERE s.id = @runId) AND j.client_id = @client
              AND (j.latest_status IS NULL OR j.latest_status <> 'Succeeded')
            ORDER BY j.id;
            """;

        var finishRun = $"""
            UPDATE job_runs SET status = @outcome, finished_at = @now, lease_expires_at = NULL, error = @error
            WHERE id = @runId AND status = 'Running' AND {runInClient}
            RETURNING {RunColumns("")};
            """ + syncLatestStatus;
        FinishRun = lockJobOfRun + finishRun;

        // A success makes the job's dependents' pending runs wait for one job fewer. The decrement comes before the
        // run's own update so that its guard reads the run's state before this call: it applies only while the run
        // is still Running, so a refused (repeated) finish changes nothing. The run's own row cannot be changed by
        // anyone else meanwhile: every writer of a job's run locks the job row first, and this transaction holds it.
        FinishRunSucceeded = lockJobOfRun + ShiftDependents(
            "- 1",
            """
            SELECT s.job_id FROM job_runs s JOIN jobs sj ON sj.id = s.job_id
            WHERE s.id = @runId AND s.status = 'Running' AND sj.client_id = @client
            """) + finishRun;

        CancelRun = lockJobOfRun + $"""
            UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL, error = @reason
            WHERE id = @runId AND status IN ('Pending', 'Running') AND {runInClient}
            RETURNING {RunColumns("")};
            """ + syncLatestStatus;

        GetRun = $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.id = @runId AND j.client_id = @client;
            """;

        ListRuns = CountJob + $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.job_id = @jobId AND j.client_id = @client AND r.id < @before
            ORDER BY r.id DESC LIMIT @limit;
            """;

        ListLatestRuns = $"""
            SELECT {jobColumns}, {runColumns}
            FROM jobs j LEFT JOIN job_runs r ON r.id = j.latest_run_id
            WHERE j.client_id = @client AND j.id > @after
            ORDER BY j.id LIMIT @limit;
            """;

        // Reads the ready set in order through the partial index ix_job_runs_ready (priority DESC, id)
        // WHERE status = 'Pending' AND waiting_on = 0, stopping at the limit; the dependency graph is never consulted.
        // CROSS JOIN makes SQLite keep job_runs as the outer loop even without statistics (PostgreSQL plans it as
        // an ordinary join).
        ListReadyRuns = $"""
            SELECT {runColumns} FROM job_runs r CROSS JOIN jobs j
            WHERE j.id = r.job_id AND r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now AND j.client_id = @client
            ORDER BY r.priority DESC, r.id LIMIT @limit;
            """;
    }

    public string GetJob { get; }

    public string GetJobByName { get; }

    public string ListJobs { get; }

    public string InsertJob { get; }

    public string UpdateJob { get; }

    public string LockJobForDelete { get; }

    public string DeleteJob { get; }

    public string DeleteJobReleasingDependents { get; }

    public string CheckDependency { get; }

    public string FindCycleEdges { get; }

    public string InsertDependency { get; }

    public string InsertDependencyAndWait { get; }

    public string DeleteDependency { get; }

    public string DeleteDependencyAndStopWaiting { get; }

    public string CountJob { get; }

    public string ListUpstream { get; }

    public string ListDownstream { get; }

    public string PrepareEnqueue { get; }

    public string InsertRun { get; }

    public string InsertRunAfterSuccess { get; }

    public string GetActiveRun { get; }

    public string StartRun { get; }

    public string DiagnoseStart { get; }

    public string FinishRun { get; }

    public string FinishRunSucceeded { get; }

    public string CancelRun { get; }

    public string GetRun { get; }

    public string ListRuns { get; }

    public string ListLatestRuns { get; }

    public string ListReadyRuns { get; }

    private static string JobColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}client_id AS ClientId, {prefix}name AS Name, {prefix}description AS Description, " +
        $"{prefix}priority AS Priority, {prefix}max_attempts AS MaxAttempts, {prefix}schedule AS Schedule, " +
        $"{prefix}latest_run_id AS LatestRunId, {prefix}latest_status AS LatestStatus, " +
        $"{prefix}created_at AS CreatedAt, {prefix}updated_at AS UpdatedAt";

    private static string RunColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}job_id AS JobId, {prefix}status AS Status, {prefix}attempt AS Attempt, " +
        $"{prefix}priority AS Priority, {prefix}waiting_on AS WaitingOn, {prefix}enqueued_at AS EnqueuedAt, " +
        $"{prefix}available_at AS AvailableAt, {prefix}started_at AS StartedAt, {prefix}finished_at AS FinishedAt, " +
        $"{prefix}lease_expires_at AS LeaseExpiresAt, {prefix}worker_id AS WorkerId, {prefix}error AS Error";
}
