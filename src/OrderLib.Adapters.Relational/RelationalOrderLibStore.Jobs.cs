using System.Data.Common;
using Dapper;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Jobs: create, read, list, update and delete. The lock discipline is described on the class (RelationalOrderLibStore.cs).
public abstract partial class RelationalOrderLibStore
{
    private const string JobsUniqueName = "ux_jobs_client_name";

    /// <inheritdoc />
    /// <remarks>The id comes from the database; a duplicate name is detected by the unique index <c>ux_jobs_client_name</c>.</remarks>
    public async Task<Job> CreateJobAsync(ClientId client, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        now = now.ToUniversalTime();
        var nextDueAt = JobSchedules.NextDueAt(definition.Schedule, now);
        try
        {
            var id = await ConnectAsync(
                connection => connection.ExecuteScalarAsync<long>(Command(
                    _jobSql.InsertJob,
                    JobWriteParameters(client, jobId: null, definition, nextDueAt, now),
                    null,
                    cancellationToken)),
                cancellationToken);
            return Job.Create(new JobId(id), client, definition, now) with { NextDueAt = nextDueAt };
        }
        catch (DbException ex) when (_dialect.IsUniqueViolation(ex, JobsUniqueName, "jobs"))
        {
            throw new DuplicateJobNameException(client, definition.Name);
        }
    }

    // The parameters of the job insert and update statements (the insert has no @jobId).
    private object JobWriteParameters(ClientId client, JobId? jobId, JobDefinition definition, DateTimeOffset? nextDueAt, DateTimeOffset now) => new
    {
        client = client.Value,
        jobId = jobId?.Value,
        name = definition.Name,
        description = definition.Description,
        priority = definition.Priority,
        maxAttempts = definition.MaxAttempts,
        schedule = definition.Schedule,
        nextDueAt = ToDbOrNull(nextDueAt),
        now = _dialect.ToDb(now),
    };

    /// <inheritdoc />
    public async Task<Job?> GetJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken)
    {
        var row = await ConnectAsync(
            connection => connection.QuerySingleOrDefaultAsync<JobRow>(Command(
                _jobSql.GetJob, new { client = client.Value, jobId = jobId.Value }, null, cancellationToken)),
            cancellationToken);
        return row?.ToJob(_dialect);
    }

    /// <inheritdoc />
    public async Task<Job?> GetJobByNameAsync(ClientId client, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var row = await ConnectAsync(
            connection => connection.QuerySingleOrDefaultAsync<JobRow>(Command(
                _jobSql.GetJobByName, new { client = client.Value, name = name.Trim() }, null, cancellationToken)),
            cancellationToken);
        return row?.ToJob(_dialect);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Job>> ListJobsAsync(ClientId client, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var rows = await ConnectAsync(
            connection => connection.QueryAsync<JobRow>(Command(
                _jobSql.ListJobs, new { client = client.Value, after = after?.Value ?? 0L, limit }, null, cancellationToken)),
            cancellationToken);
        return rows.Select(r => r.ToJob(_dialect)).ToArray();
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement updates the job and copies the priority to its active run. The schedule text is read before anything is
    /// written, even when unchanged. Jobs with a schedule but no due time are those migrated from before schedules were read
    /// (migration 2026112603).
    /// </remarks>
    public async Task<Job> UpdateJobAsync(ClientId client, JobId jobId, JobDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        now = now.ToUniversalTime();
        var nextDueAt = JobSchedules.NextDueAt(definition.Schedule, now);
        try
        {
            return await WriteAsync(
                async (connection, transaction) =>
                {
                    // Result sets: the updated job (none when the client has no such job).
                    await using var grid = await connection.QueryMultipleAsync(Command(
                        _jobSql.UpdateJob,
                        JobWriteParameters(client, jobId, definition, nextDueAt, now),
                        transaction,
                        cancellationToken));
                    var row = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
                    return row.ToJob(_dialect);
                },
                cancellationToken);
        }
        catch (DbException ex) when (_dialect.IsUniqueViolation(ex, JobsUniqueName, "jobs"))
        {
            throw new DuplicateJobNameException(client, definition.Name);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One batch: the job row locked, then its pending run, if any, made to wait for one thing more (the pause: see
    /// RelationalOrderLibStore), then <c>paused_at</c> set. Every transaction that creates a run of the job locks its row
    /// first, so a run created concurrently either exists already (and is counted here) or sees the pause.
    /// </remarks>
    public Task<Job> PauseJobAsync(ClientId client, JobId jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                // Result sets: the locked job id; the job as it is now.
                await using var grid = await connection.QueryMultipleAsync(Command(
                    _jobSql.PauseJob, new { client = client.Value, jobId = jobId.Value, now = _dialect.ToDb(now.ToUniversalTime()) }, transaction, cancellationToken));
                _ = await grid.ReadAsync<long>();
                var row = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
                return row.ToJob(_dialect);
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// One batch like <see cref="PauseJobAsync"/>, undoing it; a pending run it leaves waiting on nothing is announced to
    /// other processes' workers (a second statement, only then).
    /// </remarks>
    public Task<Job> ResumeJobAsync(ClientId client, JobId jobId, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                JobRow? row;
                int[] stillWaitingOn;
                // Result sets: the locked job id; the released pending run's count (none when the job was not paused or has no
                // pending run); the job as it is now.
                await using (var grid = await connection.QueryMultipleAsync(Command(
                                 _jobSql.ResumeJob, new { client = client.Value, jobId = jobId.Value }, transaction, cancellationToken)))
                {
                    _ = await grid.ReadAsync<long>();
                    stillWaitingOn = (await grid.ReadAsync<int>()).ToArray();
                    row = await grid.ReadSingleOrDefaultAsync<JobRow>();
                }

                if (row is null)
                {
                    throw new JobNotFoundException(jobId);
                }

                if (stillWaitingOn is [0])
                {
                    await NotifyRunsReadyAsync(connection, transaction, client, cancellationToken);
                }

                return row.ToJob(_dialect);
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Takes the client's graph lock first (PostgreSQL: a transaction-scoped advisory lock), then locks the job row, which
    /// keeps a new run from being created meanwhile; the active run read with it can only be claimed, still active.
    /// </remarks>
    public Task DeleteJobAsync(ClientId client, JobId jobId, JobDeletion deletion, CancellationToken cancellationToken) =>
        WriteAsync(
            async (connection, transaction) =>
            {
                await _dialect.LockClientGraphAsync(connection, transaction, client, cancellationToken);
                var param = new { client = client.Value, jobId = jobId.Value };
                JobRow job;
                string[] dependents;
                RunRow? active;
                // Result sets: the job; the names of its dependents; its active run.
                await using (var grid = await connection.QueryMultipleAsync(Command(_jobSql.LockJobForDelete, param, transaction, cancellationToken)))
                {
                    job = await grid.ReadSingleOrDefaultAsync<JobRow>() ?? throw new JobNotFoundException(jobId);
                    dependents = (await grid.ReadAsync<string>()).ToArray();
                    active = await grid.ReadSingleOrDefaultAsync<RunRow>();
                }

                if (dependents.Length > 0 && !deletion.HasFlag(JobDeletion.RemoveDependencies))
                {
                    throw new JobHasDependentsException(jobId, dependents);
                }

                if (active is not null && !deletion.HasFlag(JobDeletion.CancelActiveRun))
                {
                    throw new JobHasActiveRunException(jobId, new RunId(active.Id), StatusText.Parse(active.Status));
                }

                // Dependents counted this job while its latest run was not a success; with the edge gone they stop waiting.
                var releases = dependents.Length > 0 && job.LatestStatus != StatusText.Succeeded;
                await connection.ExecuteAsync(Command(releases ? _jobSql.DeleteJobReleasingDependents : _jobSql.DeleteJob, param, transaction, cancellationToken));
                if (releases)
                {
                    await NotifyRunsReadyAsync(connection, transaction, client, cancellationToken);
                }

                return true;
            },
            cancellationToken);

    /// <summary>The statements of the job operations, beside the code that reads their results.</summary>
    private sealed class JobSql
    {
        public JobSql(SqlDialect dialect, SharedSql shared)
        {
            var jobColumns = JobColumns("j.");

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

            // Pausing and resuming: the job row locked first (job rows before run rows), then its pending run (its latest run,
            // when Pending) counted one more or one less, only when the job's state changes, then paused_at; the job is
            // read back as it is now.
            var lockJob = $"""
                SELECT j.id FROM jobs j WHERE j.id = @jobId AND j.client_id = @client{dialect.ForUpdateOf("j")};
                """;
            string ShiftPendingRun(string delta, string pausedNow, string returning) => $"""
                UPDATE job_runs SET waiting_on = waiting_on {delta}
                WHERE id = (SELECT pj.latest_run_id FROM jobs pj WHERE pj.id = @jobId AND pj.client_id = @client AND pj.paused_at IS {pausedNow})
                  AND {StatusIs("status", "Pending")}{returning};
                """;
            var readJob = $"SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client;";
            PauseJob = lockJob + ShiftPendingRun("+ 1", "NULL", "") + """
                UPDATE jobs SET paused_at = @now WHERE id = @jobId AND client_id = @client AND paused_at IS NULL;
                """ + readJob;
            ResumeJob = lockJob + ShiftPendingRun("- 1", "NOT NULL", " RETURNING waiting_on") + """
                UPDATE jobs SET paused_at = NULL WHERE id = @jobId AND client_id = @client AND paused_at IS NOT NULL;
                """ + readJob;

            LockJobForDelete = $"""
                SELECT {jobColumns} FROM jobs j WHERE j.id = @jobId AND j.client_id = @client{dialect.ForUpdateOf("j")};
                SELECT j.name FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
                WHERE d.depends_on_job_id = @jobId AND j.client_id = @client
                ORDER BY j.id;
                SELECT {RunColumns("r.")} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                WHERE r.job_id = @jobId AND j.client_id = @client AND r.status IN ('Pending', 'Running');
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
            // a cascade that reaches both). Every run of the job is in that pass too, whatever its status, since the delete
            // locks them all (a shift or cascade may hold one it no longer changes): the transaction's one run-row pass.
            DeleteJobReleasingDependents = shared.LockedRuns(
                "SELECT dj.latest_run_id FROM job_dependencies d JOIN jobs dj ON dj.id = d.job_id WHERE d.depends_on_job_id = @jobId",
                "SELECT h.id FROM job_runs h WHERE h.job_id = @jobId") + ";\n" + shared.ShiftDependents("- 1", "SELECT @jobId") + deleteJob;
        }

        public string GetJob { get; }

        public string GetJobByName { get; }

        public string ListJobs { get; }

        public string InsertJob { get; }

        public string UpdateJob { get; }

        public string PauseJob { get; }

        public string ResumeJob { get; }

        public string LockJobForDelete { get; }

        public string DeleteJob { get; }

        public string DeleteJobReleasingDependents { get; }
    }
}
