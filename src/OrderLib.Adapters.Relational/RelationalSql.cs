namespace OrderLib.Adapters.Relational;

/// <summary>
/// Every statement the relational store issues, written once for all databases. The only dialect-specific pieces
/// are the row-lock clauses (<see cref="SqlDialect.ForUpdateOf"/>, <see cref="SqlDialect.ForShareOf"/>,
/// <see cref="SqlDialect.SkipLocked"/>), which are empty on SQLite, where the immediate write transaction serialises
/// writers already, and how lists (<see cref="SqlDialect.InList"/>) and batches of rows (<see cref="SqlDialect.JsonRows"/>)
/// are passed.
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
            INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, next_due_at, created_at, updated_at)
            VALUES (@client, @name, @description, @priority, @maxAttempts, @schedule, @nextDueAt, @now, @now)
            RETURNING id;
            """;

        // Job row first, then its active run (lock order: job, then runs). The due time is kept while the schedule text
        // is unchanged and the job has one; otherwise it becomes @nextDueAt, computed from now in C# (null without a
        // schedule). "Has one" matters for a job whose text predates migration 2026112603 (due time NULL): saving it
        // again schedules it. (A schedule with no further occurrence recomputes to NULL again.) The SET expressions read
        // the row as it was before this UPDATE.
        // Result sets: the updated job (none when the client has no such job).
        UpdateJob = $"""
            UPDATE jobs SET name = @name, description = @description, priority = @priority,
                max_attempts = @maxAttempts, schedule = @schedule, updated_at = @now,
                next_due_at = CASE WHEN {dialect.NullSafeEquals("schedule", "@schedule")} AND next_due_at IS NOT NULL
                    THEN next_due_at ELSE @nextDueAt END
            WHERE id = @jobId AND client_id = @client
            RETURNING {JobColumns("")};
            UPDATE job_runs SET priority = @priority
            WHERE id = (SELECT oj.latest_run_id FROM jobs oj WHERE oj.id = @jobId AND oj.client_id = @client)
              AND status IN ('Pending', 'Running');
            """;

        // Result sets: the job; the names of its dependents.
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

        // The dependents' pending runs and the job's own pending run are locked in one pass in id order before the
        // decrement and the delete touch them (two passes — dependents, then the job's run — could deadlock against
        // a cascade that reaches both).
        DeleteJobReleasingDependents = $"""
            SELECT r.id FROM jobs lj JOIN job_runs r ON r.id = lj.latest_run_id
            WHERE (lj.id = @jobId OR lj.id IN (SELECT d.job_id FROM job_dependencies d WHERE d.depends_on_job_id = @jobId))
              AND r.status = 'Pending'
            ORDER BY r.id{dialect.ForUpdateOf("r")};
            """ + ShiftDependents("- 1", "SELECT @jobId") + deleteJob;

        // Both jobs share-locked in id order, the edge looked up, and — when the upstream job already reaches the
        // dependent one through depends-on edges — every edge of the upstream job's ancestry, to name the cycle.
        // Result sets: both jobs (those found); the count of the edge.
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

        // Result sets (ListUpstream, ListDownstream): the count of the job; the neighbours.
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
        // Result sets: upstream ids locked below the job; the job; upstream ids locked above it; its active run; the
        // upstream jobs with their latest statuses.
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

        // A start leaves jobs.latest_status at 'Pending': only Succeeded versus not-Succeeded drives readiness, and a
        // claim, which locks no job row, cannot write it (see ClaimRuns).
        // Result sets: the locked job id; the started run (none when refused).
        StartRun = lockJobOfRun + $"""
            UPDATE job_runs SET status = 'Running', started_at = @now, worker_id = @workerId, lease_expires_at = @leaseExpiresAt
            WHERE id = @runId AND {StatusIs("status", "Pending")} AND waiting_on = 0 AND available_at <= @now AND {runInClient}
            RETURNING {RunColumns("")};
            """;

        // Why a start was refused: the run, and the upstream jobs whose latest run has not succeeded, each with the
        // status of that run (read from the run: jobs.latest_status is exact only about being 'Succeeded').
        // Result sets: the run; its unsatisfied upstream jobs.
        DiagnoseStart = $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.id = @runId AND j.client_id = @client;
            SELECT j.id AS Id, j.name AS Name, lr.status AS LatestStatus
            FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
            LEFT JOIN job_runs lr ON lr.id = j.latest_run_id
            WHERE d.job_id = (SELECT s.job_id FROM job_runs s WHERE s.id = @runId) AND j.client_id = @client
              AND (j.latest_status IS NULL OR j.latest_status <> 'Succeeded')
            ORDER BY j.id;
            """;

        // ---- ending one run: FinishRun (client-scoped, any holder) and CompleteRun (fenced on the worker id)

        // The job of the run, locked for update; for a failure (which may enqueue the next attempt, counting upstream
        // statuses like an enqueue) its upstream jobs are share-locked too, all in ascending id order, and their
        // latest statuses read afterwards. The run's own row comes after (run rows last).
        string LockForEnd(bool clientScoped, bool withUpstream)
        {
            var clientFilter = clientScoped ? " AND j.client_id = @client" : "";
            string Upstream(string side) => $"""
                SELECT j.id FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                WHERE d.job_id = {JobOfRun}{clientFilter} AND j.id {side} {JobOfRun}
                ORDER BY j.id{dialect.ForShareOf("j")};
                """;
            var job = $"""
                SELECT {jobColumns} FROM jobs j WHERE j.id = {JobOfRun}{clientFilter}{dialect.ForUpdateOf("j")};
                """;
            return withUpstream
                ? Upstream("<") + job + Upstream(">") + $"""
                    SELECT j.id AS Id, j.name AS Name, j.latest_status AS LatestStatus
                    FROM job_dependencies d JOIN jobs j ON j.id = d.depends_on_job_id
                    WHERE d.job_id = {JobOfRun}{clientFilter}
                    ORDER BY j.id;
                    """
                : job;
        }

        // The guard that the caller may end the run: it belongs to the client, or the worker holds it.
        static string Fence(bool clientScoped, string table) => clientScoped
            ? $"EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = {table}.job_id AND cj.client_id = @client)"
            : $"{table}.worker_id = @workerId";

        string EndRunning(bool clientScoped) => $"""
            UPDATE job_runs SET status = @outcome, finished_at = @now, lease_expires_at = NULL, error = @error
            WHERE id = @runId AND {StatusIs("status", "Running")} AND {Fence(clientScoped, "job_runs")}
            RETURNING {RunColumns("")};
            """;

        // Mirrors the ended run's status into its job (whose row this transaction holds).
        const string syncEndedStatus = $"""
            UPDATE jobs SET latest_status = (SELECT s.status FROM job_runs s WHERE s.id = @runId)
            WHERE id = {JobOfRun} AND latest_run_id = @runId;
            """;

        // A success makes the job's dependents' pending runs wait for one job fewer. The decrement comes before the
        // run's own update so that its guard reads the run's state before this call: it applies only while the run
        // is still Running (and held by the caller), so a refused finish changes nothing. The run's own row cannot
        // change status meanwhile: every writer that ends a job's run locks the job row first (a claim only takes
        // Pending runs), and this transaction holds it.
        string EndSucceeded(bool clientScoped) => LockForEnd(clientScoped, withUpstream: false) + ShiftDependents(
            "- 1",
            $"""
            SELECT s.job_id FROM job_runs s
            WHERE s.id = @runId AND {StatusIs("s.status", "Running")} AND {Fence(clientScoped, "s")}
            """) + EndRunning(clientScoped) + syncEndedStatus;

        // Result sets of every ending batch (read in this order by EndRunAsync): for a failure, the upstream ids locked
        // below the job, the job, the upstream ids locked above it and the upstream statuses; otherwise the job alone;
        // then the ended run (none when the guard refused).
        FinishSucceeded = EndSucceeded(clientScoped: true);
        CompleteSucceeded = EndSucceeded(clientScoped: false);
        FinishFailed = LockForEnd(clientScoped: true, withUpstream: true) + EndRunning(clientScoped: true);
        CompleteFailed = LockForEnd(clientScoped: false, withUpstream: true) + EndRunning(clientScoped: false);
        CompleteCancelled = LockForEnd(clientScoped: false, withUpstream: false) + EndRunning(clientScoped: false);

        // The run's status and holder, to explain a refused heartbeat or completion.
        GetRunHolder = "SELECT status AS Status, worker_id AS WorkerId FROM job_runs WHERE id = @runId;";

        // Cancelling: the job row locked, then the run read (client-scoped).
        // Result sets: the job; the run.
        CancelRunPrepare = LockForEnd(clientScoped: true, withUpstream: false) + $"""
            SELECT {runColumns} FROM job_runs r
            WHERE r.id = @runId AND EXISTS (SELECT 1 FROM jobs cj WHERE cj.id = r.job_id AND cj.client_id = @client);
            """;

        // A Running run is only marked: its worker stops at its next heartbeat and reports it Cancelled. Asking again
        // changes nothing. (Only a transaction holding the job row ends a Running run, and this one holds it.)
        MarkCancelRequested = $"""
            UPDATE job_runs SET cancel_requested = TRUE
            WHERE id = @runId AND {StatusIs("status", "Running")}
            RETURNING {RunColumns("")};
            """;

        // A Pending run is cancelled with @reason together with the pending runs of the job's transitive dependents
        // (@upstreamReason), all locked in ONE pass in id order: locking the run first and the dependents' runs after
        // it deadlocks against another cascade that reaches both. The caller checks that the run itself was among
        // them (a claim may have taken it meanwhile) and rolls back otherwise. Then the job's latest status follows.
        CancelPendingRun = $"""
            WITH RECURSIVE down(id) AS (
                SELECT s.job_id FROM job_runs s WHERE s.id = @runId
                UNION
                SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
            )
            UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL,
                error = CASE WHEN id = @runId THEN @reason ELSE @upstreamReason END
            WHERE status = 'Pending' AND id IN (
                SELECT r.id FROM down JOIN jobs dj ON dj.id = down.id JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE r.status = 'Pending'
                ORDER BY r.id{dialect.ForUpdateOf("r")})
            RETURNING {RunColumns("")};
            """ + syncEndedStatus;

        // Ends a run Failed or Cancelled for good: its job's latest status follows, and the pending runs of every job
        // that depends on the job, directly or transitively, are cancelled with @reason. The dependents are walked
        // through ix_job_dependencies_depends_on; each one's pending run is its latest run (primary keys only); the
        // runs are locked in id order, and a run that stopped being Pending meanwhile (claimed) is left alone.
        // Their jobs' latest_status is left at 'Pending' (Cancelled is not Succeeded either, so no count changes),
        // which is what keeps this statement from locking job rows after run rows.
        EndForGood = syncEndedStatus + $"""
            WITH RECURSIVE down(id) AS (
                SELECT d.job_id FROM job_dependencies d WHERE d.depends_on_job_id = {JobOfRun}
                UNION
                SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
            )
            UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL, error = @reason
            WHERE status = 'Pending' AND id IN (
                SELECT r.id FROM down JOIN jobs dj ON dj.id = down.id JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE r.status = 'Pending'
                ORDER BY r.id{dialect.ForUpdateOf("r")})
            RETURNING id;
            """;

        // New pending runs, one per element of @runs (ord, job_id, attempt, priority, waiting_on, available_at),
        // created in ord order, each becoming its job's latest run. Used for retries and for triggering a pipeline;
        // the caller holds every job row involved.
        var newRuns = dialect.JsonRows(
            "@runs", "t", "ord integer", "job_id bigint", "attempt integer", "priority integer", "waiting_on integer", "available_at timestamptz");
        var newRunJobs = dialect.JsonRows("@runs", "t", "job_id bigint");
        InsertRuns = $"""
            INSERT INTO job_runs (job_id, status, attempt, priority, waiting_on, enqueued_at, available_at)
            SELECT t.job_id, 'Pending', t.attempt, t.priority, t.waiting_on, @now, t.available_at
            FROM {newRuns}
            ORDER BY t.ord
            RETURNING {RunColumns("")};
            UPDATE jobs SET latest_run_id = (SELECT MAX(n.id) FROM job_runs n WHERE n.job_id = jobs.id), latest_status = 'Pending'
            WHERE id IN (SELECT t.job_id FROM {newRunJobs});
            """;

        // ---- the workers' queue

        // Claims up to @limit ready runs in claim order (priority, then id) in one statement. On PostgreSQL the
        // candidates are locked FOR UPDATE SKIP LOCKED in a materialised CTE, so concurrent claims pass each other
        // instead of queueing; on SQLite the immediate transaction serialises them. The claim locks no job row
        // and leaves jobs.latest_status at 'Pending' (see StartRun): it may then never wait while holding run rows.
        string Claim(bool filtered) => $"""
            WITH picked AS MATERIALIZED (
                SELECT r.id FROM job_runs r{(filtered ? " CROSS JOIN jobs j" : "")}
                WHERE r.status = 'Pending' AND r.waiting_on = 0 AND r.available_at <= @now
                  {(filtered ? "AND j.id = r.job_id AND " + dialect.InList("j.client_id", "@clients") : "")}
                ORDER BY r.priority DESC, r.id
                LIMIT @limit{dialect.ForUpdateOf("r")}{dialect.SkipLocked}
            )
            UPDATE job_runs SET status = 'Running', worker_id = @workerId, started_at = @now, lease_expires_at = @leaseExpiresAt
            WHERE id IN (SELECT id FROM picked) AND status = 'Pending'
            RETURNING {RunColumns("")},
                (SELECT cj.client_id FROM jobs cj WHERE cj.id = job_runs.job_id) AS ClientId,
                (SELECT cj.name FROM jobs cj WHERE cj.id = job_runs.job_id) AS JobName,
                (SELECT cj.max_attempts FROM jobs cj WHERE cj.id = job_runs.job_id) AS MaxAttempts;
            """;
        ClaimRuns = Claim(filtered: false);
        ClaimClientRuns = Claim(filtered: true);

        // Extends the lease only while the worker holds the run (fencing); touches the run's row only.
        Heartbeat = $"""
            UPDATE job_runs SET lease_expires_at = @leaseExpiresAt
            WHERE id = @runId AND {StatusIs("status", "Running")} AND worker_id = @workerId
            RETURNING {RunColumns("")};
            """;

        // ---- rescue of runs whose lease expired

        // The expired runs, earliest lease first, with their jobs. PostgreSQL locks both rows and skips any another
        // transaction holds (a completion, a heartbeat, a cancel in progress), so a rescue never waits for a lock:
        // it cannot take part in a deadlock, whatever order its locks come in.
        RescueCandidates = $"""
            SELECT {runColumns}, {jobColumns}
            FROM job_runs r CROSS JOIN jobs j
            WHERE j.id = r.job_id AND r.status = 'Running' AND r.lease_expires_at < @now
            ORDER BY r.lease_expires_at, r.id
            LIMIT @limit{dialect.ForUpdateOf("r, j")}{dialect.SkipLocked};
            """;

        // For the jobs in @jobs, about to get new runs that count their upstream statuses (a rescue's retries, the due
        // jobs of a scheduler): their upstream jobs share-locked, skipping the ones another transaction holds (the caller
        // then leaves that job for a later call: never waiting, it cannot deadlock whatever order its locks come in);
        // then, in a statement that sees the locked rows as they are now, every upstream edge with the upstream job's
        // latest status.
        // Result sets: the upstream ids locked; the upstream edges with statuses.
        LockUpstreamOfJobs = $"""
            SELECT u.id FROM jobs u
            WHERE u.id IN (SELECT d.depends_on_job_id FROM job_dependencies d WHERE {dialect.InList("d.job_id", "@jobs")})
            ORDER BY u.id{dialect.ForShareOf("u")}{dialect.SkipLocked};
            SELECT d.job_id AS JobId, u.id AS Id, u.latest_status AS LatestStatus
            FROM job_dependencies d JOIN jobs u ON u.id = d.depends_on_job_id
            WHERE {dialect.InList("d.job_id", "@jobs")};
            """;

        // Every job downstream of each source job (@sources: ord, job_id), with the source's ordinal.
        RescueDescendants = $"""
            WITH RECURSIVE down(src, id) AS (
                SELECT s.ord, d.job_id FROM {dialect.JsonRows("@sources", "s", "ord integer", "job_id bigint")}
                JOIN job_dependencies d ON d.depends_on_job_id = s.job_id
                UNION
                SELECT down.src, d.job_id FROM down JOIN job_dependencies d ON d.depends_on_job_id = down.id
            )
            SELECT src AS Source, id AS JobId FROM down;
            """;

        // Ends the rescued runs, re-checking that each is still Running with an expired lease; status and error text are
        // RunEnding.RescueStatus/RescueError of cancel_requested (@cancelled… when it is set, @failed… otherwise).
        // A rescue's write batch, in this order: RescueEnd (the ended runs), InsertRuns when there are retries (the new
        // runs), RescueSyncStatus (none), CancelTargets when there are targets (the cancelled runs' ids and jobs).
        RescueEnd = $"""
            UPDATE job_runs SET
                status = CASE WHEN cancel_requested THEN @cancelledStatus ELSE @failedStatus END,
                error = CASE WHEN cancel_requested THEN @cancelledError ELSE @failedError END,
                finished_at = @now, lease_expires_at = NULL
            WHERE {dialect.InList("id", "@ended")} AND {StatusIs("status", "Running")} AND lease_expires_at < @now
            RETURNING {RunColumns("")};
            """;

        // After RescueEnd (and InsertRuns for the retries): each rescued job's latest status follows its latest run.
        RescueSyncStatus = $"""
            UPDATE jobs SET latest_status = (SELECT s.status FROM job_runs s WHERE s.id = jobs.latest_run_id)
            WHERE {dialect.InList("id", "@endedJobs")};
            """;

        // Cancels the pending latest run of each job in @targets (job_id, reason) with its reason, runs locked in id order.
        var targets = dialect.JsonRows("@targets", "t", "job_id bigint", "reason text");
        CancelTargets = $"""
            UPDATE job_runs SET status = 'Cancelled', finished_at = @now, lease_expires_at = NULL,
                error = (SELECT t.reason FROM {targets} WHERE t.job_id = job_runs.job_id)
            WHERE status = 'Pending' AND id IN (
                SELECT r.id FROM {targets} JOIN jobs dj ON dj.id = t.job_id JOIN job_runs r ON r.id = dj.latest_run_id
                WHERE r.status = 'Pending'
                ORDER BY r.id{dialect.ForUpdateOf("r")})
            RETURNING id AS Id, job_id AS JobId;
            """;

        // ---- trigger a pipeline (under the client's graph lock, so the sub-graph cannot change)

        // The active run (Pending or Running) of each job in the list: its latest run, when that is active.
        string ActiveRunsOf(string jobs) => $"""
            SELECT {runColumns} FROM jobs j JOIN job_runs r ON r.id = j.latest_run_id
            WHERE {dialect.InList("j.id", jobs)} AND r.status IN ('Pending', 'Running');
            """;

        // The job (counted, to tell a missing one), then every edge from the job and its transitive dependents to
        // their upstream jobs (inside the sub-graph or not).
        // Result sets: the count of the job; the edges.
        TriggerGraph = $"""
            SELECT COUNT(*) FROM jobs WHERE id = @jobId AND client_id = @client;
            WITH RECURSIVE down(id) AS (
                SELECT CAST(@jobId AS BIGINT)
                UNION
                SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on_job_id = down.id
            )
            SELECT d.job_id AS JobId, d.depends_on_job_id AS DependsOnJobId
            FROM job_dependencies d JOIN down ON d.job_id = down.id;
            """;

        // Every job involved (the sub-graph and the upstream jobs it counts) locked in one pass in ascending id order,
        // then the sub-graph's active runs.
        // Result sets: the locked jobs; the members' active runs.
        TriggerLock = $"""
            SELECT {jobColumns} FROM jobs j
            WHERE {dialect.InList("j.id", "@ids")} AND j.client_id = @client
            ORDER BY j.id{dialect.ForUpdateOf("j")};
            """ + ActiveRunsOf("@members");

        // Adds delta to waiting_on of pending runs (@shifts: id, delta), locked in id order.
        var shifts = dialect.JsonRows("@shifts", "t", "id bigint", "delta integer");
        ShiftRuns = $"""
            UPDATE job_runs SET waiting_on = waiting_on + (SELECT t.delta FROM {shifts} WHERE t.id = job_runs.id)
            WHERE status = 'Pending' AND id IN (
                SELECT r.id FROM job_runs r WHERE r.id IN (SELECT t.id FROM {shifts}) AND r.status = 'Pending'
                ORDER BY r.id{dialect.ForUpdateOf("r")});
            """;

        // ---- schedules

        // Up to @limit jobs due at @now (of the clients, or of all), earliest due first, then id, through the partial
        // index ix_jobs_next_due, locked for update. PostgreSQL skips the ones another transaction holds — another
        // scheduler's, or an enqueue, update or delete in progress — so concurrent schedulers share the due jobs
        // instead of queueing, and never wait here: that is why this lock, not in ascending id order, cannot deadlock.
        // A row another scheduler advanced just before the lock is re-checked against the WHERE clause and dropped.
        string LockDue(bool filtered) => $"""
            SELECT {jobColumns} FROM jobs j
            WHERE j.next_due_at <= @now{(filtered ? " AND " + dialect.InList("j.client_id", "@clients") : "")}
            ORDER BY j.next_due_at, j.id
            LIMIT @limit{dialect.ForUpdateOf("j")}{dialect.SkipLocked};
            """;
        LockDueJobs = LockDue(filtered: false);
        LockDueClientJobs = LockDue(filtered: true);

        // After LockDueJobs, in statements that see the locked rows as they are now: the due jobs' active runs, then the
        // share-locked upstream jobs and their statuses (LockUpstreamOfJobs, @jobs = the due jobs).
        // Result sets: the due jobs' active runs; the upstream ids locked; the upstream edges with statuses; then, when
        // PendingRunsOfDependents is appended, the dependents' pending runs.
        PrepareDueJobs = ActiveRunsOf("@jobs") + LockUpstreamOfJobs;

        // The pending runs of the jobs that depend directly on the jobs in @succeeded (due jobs whose latest run
        // Succeeded, held for update), one row per edge: they wait for one job more when that job gets a new run. No
        // pending run of a dependent can appear meanwhile: creating one locks the upstream jobs (share or update), and
        // this transaction holds them. Read without locks; ShiftRuns locks them in one pass and re-checks 'Pending'.
        PendingRunsOfDependents = $"""
            SELECT r.id AS RunId, d.depends_on_job_id AS UpstreamJobId
            FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id JOIN job_runs r ON r.id = dj.latest_run_id
            WHERE {dialect.InList("d.depends_on_job_id", "@succeeded")} AND r.status = 'Pending';
            """;

        // Moves each consumed job's due time (@advance: id, next_due_at; a null next_due_at ends the schedule). The
        // rows are held by this transaction.
        var advance = dialect.JsonRows("@advance", "t", "id bigint", "next_due_at timestamptz");
        var advanceIds = dialect.JsonRows("@advance", "t", "id bigint");
        AdvanceDueJobs = $"""
            UPDATE jobs SET next_due_at = (SELECT t.next_due_at FROM {advance} WHERE t.id = jobs.id)
            WHERE id IN (SELECT t.id FROM {advanceIds});
            """;

        // The earliest due time, read through ix_jobs_next_due (in order, stopping at the first row of a served client).
        string EarliestDue(bool filtered) => $"""
            SELECT j.next_due_at FROM jobs j
            WHERE j.next_due_at IS NOT NULL{(filtered ? " AND " + dialect.InList("j.client_id", "@clients") : "")}
            ORDER BY j.next_due_at, j.id
            LIMIT 1;
            """;
        EarliestDueAt = EarliestDue(filtered: false);
        EarliestClientDueAt = EarliestDue(filtered: true);

        GetRun = $"""
            SELECT {runColumns} FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE r.id = @runId AND j.client_id = @client;
            """;

        // Result sets: the count of the job; its runs.
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

    public string FinishSucceeded { get; }

    public string FinishFailed { get; }

    public string CompleteSucceeded { get; }

    public string CompleteFailed { get; }

    public string CompleteCancelled { get; }

    public string GetRunHolder { get; }

    public string CancelRunPrepare { get; }

    public string MarkCancelRequested { get; }

    public string CancelPendingRun { get; }

    public string EndForGood { get; }

    public string InsertRuns { get; }

    public string ClaimRuns { get; }

    public string ClaimClientRuns { get; }

    public string Heartbeat { get; }

    public string RescueCandidates { get; }

    public string LockUpstreamOfJobs { get; }

    public string RescueDescendants { get; }

    public string RescueEnd { get; }

    public string RescueSyncStatus { get; }

    public string CancelTargets { get; }

    public string TriggerGraph { get; }

    public string TriggerLock { get; }

    public string ShiftRuns { get; }

    public string LockDueJobs { get; }

    public string LockDueClientJobs { get; }

    public string PrepareDueJobs { get; }

    public string PendingRunsOfDependents { get; }

    public string AdvanceDueJobs { get; }

    public string EarliestDueAt { get; }

    public string EarliestClientDueAt { get; }

    public string GetRun { get; }

    public string ListRuns { get; }

    public string ListLatestRuns { get; }

    public string ListReadyRuns { get; }

    // A status test on a row already found by its primary key, written so that no planner takes a partial index
    // (whose predicate tests the status) for a better path than the key: with statistics that think few runs are
    // Running — after a bulk load, or on a large table between analyses — PostgreSQL would otherwise scan every
    // Running run through ix_job_runs_running_lease to update one.
    internal static string StatusIs(string column, string status) => $"({column} = '{status}') IS TRUE";

    // The job of the run @runId (a run never changes job).
    private const string JobOfRun = "(SELECT s.job_id FROM job_runs s WHERE s.id = @runId)";

    internal static string JobColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}client_id AS ClientId, {prefix}name AS Name, {prefix}description AS Description, " +
        $"{prefix}priority AS Priority, {prefix}max_attempts AS MaxAttempts, {prefix}schedule AS Schedule, " +
        $"{prefix}latest_run_id AS LatestRunId, {prefix}latest_status AS LatestStatus, " +
        $"{prefix}created_at AS CreatedAt, {prefix}updated_at AS UpdatedAt, {prefix}next_due_at AS NextDueAt";

    internal static string RunColumns(string prefix) =>
        $"{prefix}id AS Id, {prefix}job_id AS JobId, {prefix}status AS Status, {prefix}attempt AS Attempt, " +
        $"{prefix}priority AS Priority, {prefix}waiting_on AS WaitingOn, {prefix}enqueued_at AS EnqueuedAt, " +
        $"{prefix}available_at AS AvailableAt, {prefix}started_at AS StartedAt, {prefix}finished_at AS FinishedAt, " +
        $"{prefix}lease_expires_at AS LeaseExpiresAt, {prefix}worker_id AS WorkerId, {prefix}error AS Error, " +
        $"{prefix}cancel_requested AS CancelRequested";
}
