using System.Globalization;
using NUnit.Framework;
using OrderLib.Migrations.Versions;
using OrderLib.Ports;

namespace OrderLib.Tests.Migrations;

/// <summary>
/// Upgrades of databases that hold data: a database at the previous version, filled with plain SQL the way that version's
/// store would have left it, is migrated up and back, and every row must come through unchanged.
/// </summary>
public abstract partial class MigrationTests
{
    private static readonly string[] JobColumnsAt2602 =
    [
        "id", "client_id", "name", "description", "priority", "max_attempts", "schedule", "latest_run_id", "latest_status", "created_at", "updated_at",
    ];

    private static readonly string[] DependencyColumnsAt2602 = ["job_id", "depends_on_job_id", "created_at"];

    private static readonly string[] RunColumnsAt2602 =
    [
        "id", "job_id", "status", "attempt", "priority", "waiting_on", "enqueued_at", "available_at", "started_at", "finished_at",
        "lease_expires_at", "worker_id", "error", "cancel_requested",
    ];

    /// <summary>A job store over this test's database, as a host app would build it.</summary>
    protected abstract IJobStore CreateStore();

    [Test]
    public async Task Upgrading_a_2026112602_database_with_data_to_2026112603_keeps_every_row_and_adds_next_due_at_as_null()
    {
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(RunCancellationRequests.Version);
        Assert.That(Migrator.ListMigrations().Where(m => m.IsApplied).Select(m => m.Version).Max(), Is.EqualTo(RunCancellationRequests.Version));
        await AssertNoNextDueAtAsync();

        var ids = await InsertVersion2602DataAsync();
        var before = await SnapshotAsync();
        Assert.That(before.Jobs, Has.Count.EqualTo(6));
        Assert.That(before.Dependencies, Has.Count.EqualTo(5));
        Assert.That(before.Runs, Has.Count.EqualTo(8));

        Migrator.MigrateUp();

        Assert.That(Migrator.ListMigrations().Single(m => m.Version == JobScheduleNextDueTimes.Version).IsApplied, Is.True);
        await AssertSnapshotAsync(before, "after the upgrade");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE next_due_at IS NULL"), Is.EqualTo(6), "every job, scheduled or not, starts with no due time");
        await AssertSchemaPresentAsync(true);

        // The ids go on from where they were.
        Assert.That(await InsertJobAsync("c1", "after-upgrade"), Is.GreaterThan(ids.Max()));
        await ExecAsync("DELETE FROM jobs WHERE name = 'after-upgrade'");

        Migrator.MigrateDownTo(RunCancellationRequests.Version);

        await AssertNoNextDueAtAsync();
        await AssertSnapshotAsync(before, "after rolling the upgrade back");

        Migrator.MigrateUp();

        await AssertSnapshotAsync(before, "after upgrading again");
    }

    [Test]
    public async Task Upgrading_a_2026112603_database_with_data_to_2026120601_keeps_every_row_and_gives_each_run_its_jobs_client()
    {
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(JobScheduleNextDueTimes.Version);
        await AssertNoRunClientsAsync();

        var ids = await InsertVersion2602DataAsync();
        var before = await SnapshotAsync();
        Assert.That(before.Runs, Has.Count.EqualTo(8));

        Migrator.MigrateUp();

        Assert.That(Migrator.ListMigrations().Single(m => m.Version == RunHistorySearch.Version).IsApplied, Is.True);
        await AssertSnapshotAsync(before, "after the upgrade");
        await AssertSchemaPresentAsync(true);
        Assert.That(
            await RowsAsync("SELECT r.id, r.client_id FROM job_runs r ORDER BY r.id"),
            Is.EqualTo(await RowsAsync("SELECT r.id, j.client_id FROM job_runs r JOIN jobs j ON j.id = r.job_id ORDER BY r.id")),
            "every run carries its job's client");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE client_id = 'c2'"), Is.EqualTo(2));

        // A run inserted after the upgrade must name its client: no default fills it in on PostgreSQL.
        var job = ids[0];
        await AssertRefusedAsync(
            () => ExecAsync($"INSERT INTO job_runs (job_id, client_id, status, attempt, priority, enqueued_at, available_at) VALUES ({job}, NULL, 'Succeeded', 9, 0, {T}, {T})"),
            "client_id");

        Migrator.MigrateDownTo(JobScheduleNextDueTimes.Version);

        await AssertNoRunClientsAsync();
        await AssertSnapshotAsync(before, "after rolling the upgrade back");

        Migrator.MigrateUp();

        await AssertSnapshotAsync(before, "after upgrading again");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE client_id = 'c1'"), Is.EqualTo(6));
    }

    [Test]
    public async Task Upgrading_a_2026120601_database_with_data_to_2026120701_keeps_every_row_and_reads_it_as_unpaused_runs_outside_pipeline_runs()
    {
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(JobScheduleNextDueTimes.Version);
        var ids = await InsertVersion2602DataAsync();
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(RunHistorySearch.Version);
        await AssertNoPipelineRunsSchemaAsync();
        var before = await SnapshotAsync();
        Assert.That(before.Runs, Has.Count.EqualTo(8));

        Migrator.MigrateUp();

        Assert.That(Migrator.ListMigrations().Single(m => m.Version == PipelineRunsPayloadsAndPausing.Version).IsApplied, Is.True);
        await AssertSnapshotAsync(before, "after the upgrade");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE pipeline_run_id IS NULL AND input IS NULL AND output IS NULL"), Is.EqualTo(8), "old runs have no pipeline run, input or output");
            Assert.That(await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE paused_at IS NULL"), Is.EqualTo(ids.Length), "old jobs are not paused");
            Assert.That(await ScalarAsync<long>("SELECT count(*) FROM pipeline_runs"), Is.Zero);
            Assert.That(await ScalarAsync<long>("SELECT count(*) FROM pipeline_run_jobs"), Is.Zero);
            foreach (var index in PipelineIndexes)
            {
                Assert.That(await IndexDefinitionAsync(index), Is.Not.Null, $"index {index}");
            }
        }

        // The store reads the upgraded rows: nothing paused, no run in a pipeline run.
        var store = CreateStore();
        try
        {
            var client = new ClientId("c1");
            var jobs = await store.ListJobsAsync(client, null, 100, default);
            Assert.That(jobs.Select(j => j.PausedAt), Is.All.Null);
            var runs = await ((IRunStore)store).ListRunsAsync(client, new JobId(ids[0]), null, 100, default);
            Assert.That(runs, Has.Count.EqualTo(3));
            Assert.That(runs.Select(r => r.PipelineRunId), Is.All.Null);
        }
        finally
        {
            await DisposeAsync(store);
        }

        // Data in the new columns and tables goes with a rollback; every other row stays.
        await ExecAsync($"INSERT INTO pipeline_runs (client_id, trigger_kind, label, input, created_at) VALUES ('c1', 'Manual', 'nightly', '{{\"day\":1}}', {T})");
        var pipelineRun = await ScalarAsync<long>("SELECT max(id) FROM pipeline_runs");
        await ExecAsync($"INSERT INTO pipeline_run_jobs (pipeline_run_id, position, job_id, job_name, run_id, joined, is_root) VALUES ({pipelineRun}, 0, {ids[0]}, 'extract', 1, FALSE, TRUE)");
        await ExecAsync($"UPDATE job_runs SET pipeline_run_id = {pipelineRun}, input = '{{}}', output = '[1]' WHERE job_id = {ids[0]}");
        await ExecAsync($"UPDATE jobs SET paused_at = {T} WHERE id = {ids[1]}");

        Migrator.MigrateDownTo(RunHistorySearch.Version);

        await AssertNoPipelineRunsSchemaAsync();
        await AssertSnapshotAsync(before, "after rolling the upgrade back");

        Migrator.MigrateUp();

        await AssertSnapshotAsync(before, "after upgrading again");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM pipeline_runs"), Is.Zero);
    }

    [Test]
    public async Task Upgrading_a_2026120701_database_with_data_to_2026120702_keeps_every_row_and_reads_it_without_trace_contexts()
    {
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(JobScheduleNextDueTimes.Version);
        var ids = await InsertVersion2602DataAsync();
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(PipelineRunsPayloadsAndPausing.Version);
        var before = await SnapshotAsync();
        Assert.That(before.Runs, Has.Count.EqualTo(8));

        Migrator.MigrateUp();

        Assert.That(Migrator.ListMigrations().Single(m => m.Version == RunTraceContexts.Version).IsApplied, Is.True);
        await AssertSnapshotAsync(before, "after the upgrade");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE trace_parent IS NULL AND trace_state IS NULL"), Is.EqualTo(8), "old runs have no trace context");

        // The store reads the upgraded rows, and writes and reads a context in the new columns.
        var store = CreateStore();
        try
        {
            var client = new ClientId("c1");
            var runs = await ((IRunStore)store).ListRunsAsync(client, new JobId(ids[0]), null, 100, default);
            Assert.That(runs, Has.Count.EqualTo(3));
        }
        finally
        {
            await DisposeAsync(store);
        }

        await ExecAsync("UPDATE job_runs SET trace_parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', trace_state = 'a=b'");

        Migrator.MigrateDownTo(PipelineRunsPayloadsAndPausing.Version);

        await AssertSnapshotAsync(before, "after rolling the upgrade back");
        Assert.That(Migrator.ListMigrations().Single(m => m.Version == RunTraceContexts.Version).IsApplied, Is.False);

        Migrator.MigrateUp();

        await AssertSnapshotAsync(before, "after upgrading again");
        Assert.That(await ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE trace_parent IS NULL"), Is.EqualTo(8), "the rollback dropped the contexts");
    }

    /// <summary>
    /// What migration 2026112603 documents for a job whose schedule text predates it: it is not due (next_due_at NULL) until
    /// its definition is saved again; saving the same valid text schedules it from then, an invalid text is refused.
    /// </summary>
    [Test]
    public async Task A_job_whose_schedule_text_predates_2026112603_is_scheduled_when_saved_again()
    {
        Migrator.MigrateUp();
        Migrator.MigrateDownTo(RunCancellationRequests.Version);
        var ids = await InsertVersion2602DataAsync();
        Migrator.MigrateUp();
        var (extract, manual, legacy) = (new JobId(ids[0]), new JobId(ids[2]), new JobId(ids[3]));
        var client = new ClientId("c1");
        var now = new DateTimeOffset(2026, 3, 1, 12, 4, 0, TimeSpan.Zero);

        var store = CreateStore();
        try
        {
            var schedules = (IScheduleStore)store;
            var job = await store.GetJobAsync(client, extract, default);
            Assert.That(job, Is.Not.Null);
            Assert.That((job!.Schedule, job.NextDueAt), Is.EqualTo(("every 10m", (DateTimeOffset?)null)));
            Assert.That((await store.ListJobsAsync(client, null, 100, default)).Select(j => j.NextDueAt), Is.All.Null);
            Assert.That(await schedules.GetEarliestDueAtAsync(Clients.All, default), Is.Null);
            Assert.That(await schedules.EnqueueDueRunsAsync(now.AddYears(10), Clients.All, 100, default), Is.Empty, "nothing is due after the upgrade");

            var saved = await store.UpdateJobAsync(client, extract, Definition(job), now, default);
            Assert.That(saved.NextDueAt, Is.EqualTo(new DateTimeOffset(2026, 3, 1, 12, 10, 0, TimeSpan.Zero)), "the same text, saved again, is scheduled from now");
            Assert.That((await store.GetJobAsync(client, extract, default))!.NextDueAt, Is.EqualTo(saved.NextDueAt));

            var unscheduled = await store.GetJobAsync(client, manual, default);
            Assert.That((await store.UpdateJobAsync(client, manual, Definition(unscheduled!), now, default)).NextDueAt, Is.Null);

            var old = await store.GetJobAsync(client, legacy, default);
            Assert.That(
                async () => await store.UpdateJobAsync(client, legacy, Definition(old!), now, default),
                Throws.InstanceOf<OrderLibValidationException>().With.Message.Contains("at dawn"));
            Assert.That(await store.GetJobAsync(client, legacy, default), Is.EqualTo(old), "a refused update writes nothing");
        }
        finally
        {
            await DisposeAsync(store);
        }

        static JobDefinition Definition(Job job) => new(job.Name)
        {
            Description = job.Description,
            Priority = job.Priority,
            MaxAttempts = job.MaxAttempts,
            Schedule = job.Schedule,
        };
    }

    /// <summary>
    /// Fills a database at version 2026112602 with plain SQL: jobs with and without a schedule (one whose text no parser
    /// accepts, as the stores of that version did not check), the same name in two clients, dependencies, and runs in every
    /// status with the columns their operations set, including a cancel request; jobs point at their latest run. Timestamps
    /// carry sub-second digits, so a lossy copy would show. Returns the job ids in insertion order.
    /// </summary>
    private async Task<long[]> InsertVersion2602DataAsync()
    {
        static string At(int second, int micro = 0) =>
            $"'2026-01-01T00:{second / 60:D2}:{second % 60:D2}.{micro:D6}0+00:00'";

        async Task<long> Job(string client, string name, string? description, int priority, int maxAttempts, string? schedule, int at) =>
            await ScalarAsync<long>(
                "INSERT INTO jobs (client_id, name, description, priority, max_attempts, schedule, created_at, updated_at) VALUES " +
                $"('{client}', '{name}', {Text(description)}, {priority}, {maxAttempts}, {Text(schedule)}, {At(at, 123456)}, {At(at + 1, 654321)}) RETURNING id");

        async Task<long> Run(long job, string status, int attempt, int priority, int waitingOn, int at, string? worker = null, string? error = null, bool cancelRequested = false)
        {
            var running = status == "Running";
            var ended = status is "Succeeded" or "Failed" or "Cancelled";
            return await ScalarAsync<long>(
                "INSERT INTO job_runs (job_id, status, attempt, priority, waiting_on, enqueued_at, available_at, started_at, finished_at, lease_expires_at, worker_id, error, cancel_requested) VALUES " +
                $"({job}, '{status}', {attempt}, {priority}, {waitingOn}, {At(at, 1)}, {At(at + 1, 2)}, " +
                $"{(worker is null ? "NULL" : At(at + 2, 3))}, {(ended ? At(at + 3, 4) : "NULL")}, {(running ? At(at + 60, 5) : "NULL")}, " +
                $"{Text(worker)}, {Text(error)}, {(cancelRequested ? "TRUE" : "FALSE")}) RETURNING id");
        }

        async Task Depends(long job, long on, int at) =>
            await ExecAsync($"INSERT INTO job_dependencies (job_id, depends_on_job_id, created_at) VALUES ({job}, {on}, {At(at, 777)})");

        async Task Latest(long job, long run, string status) =>
            await ExecAsync($"UPDATE jobs SET latest_run_id = {run}, latest_status = '{status}' WHERE id = {job}");

        var extract = await Job("c1", "extract", "pulls the files", 5, 3, "every 10m", 1);
        var load = await Job("c1", "load", null, 0, 1, "TZ=Europe/Paris 0 3 * * *", 2);
        var manual = await Job("c1", "manual", "no schedule", -2, 1, null, 3);
        var legacy = await Job("c1", "legacy", null, 0, 2, "at dawn, maybe", 4);
        var otherClient = await Job("c2", "extract", null, 1, 1, "every 10m", 5);
        var idle = await Job("c2", "never-ran", null, 0, 1, null, 6);

        await Depends(load, extract, 10);
        await Depends(manual, extract, 11);
        await Depends(manual, load, 12);
        await Depends(legacy, manual, 13);
        await Depends(idle, otherClient, 14);

        await Run(extract, "Succeeded", 1, 5, 0, 20, worker: "w-1");
        await Run(extract, "Failed", 1, 5, 0, 30, worker: "w-2", error: "boom: it's broken");
        await Latest(extract, await Run(extract, "Pending", 2, 5, 0, 40), "Pending");
        await Latest(load, await Run(load, "Running", 1, 0, 0, 41, worker: "w-3", cancelRequested: true), "Pending");
        await Latest(manual, await Run(manual, "Pending", 1, -2, 2, 42), "Pending");
        await Latest(legacy, await Run(legacy, "Cancelled", 1, 0, 1, 43, error: "Upstream job 'manual' was cancelled"), "Cancelled");
        await Run(otherClient, "Failed", 1, 1, 0, 44, worker: "w-1", error: "first");
        await Latest(otherClient, await Run(otherClient, "Succeeded", 1, 1, 0, 45, worker: "w-1"), "Succeeded");

        return [extract, load, manual, legacy, otherClient, idle];

        static string Text(string? value) => value is null ? "NULL" : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private async Task AssertNoRunClientsAsync()
    {
        await AssertRefusedAsync(() => ScalarAsync<object>("SELECT client_id FROM job_runs"), "client_id");
        foreach (var index in HistoryIndexes)
        {
            Assert.That(await IndexDefinitionAsync(index), Is.Null, $"index {index}");
        }
    }

    private static async Task DisposeAsync(IJobStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    private async Task AssertNoPipelineRunsSchemaAsync()
    {
        Assert.That(await TableExistsAsync("pipeline_runs"), Is.False);
        Assert.That(await TableExistsAsync("pipeline_run_jobs"), Is.False);
        foreach (var column in new[] { "pipeline_run_id", "input", "output" })
        {
            await AssertRefusedAsync(() => ScalarAsync<object>($"SELECT {column} FROM job_runs"), column);
        }

        await AssertRefusedAsync(() => ScalarAsync<object>("SELECT paused_at FROM jobs"), "paused_at");
        foreach (var index in PipelineIndexes)
        {
            Assert.That(await IndexDefinitionAsync(index), Is.Null, $"index {index}");
        }
    }

    private async Task AssertNoNextDueAtAsync()
    {
        await AssertRefusedAsync(() => ScalarAsync<object>("SELECT next_due_at FROM jobs"), "next_due_at");
        Assert.That(await IndexDefinitionAsync("ix_jobs_next_due"), Is.Null);
    }

    private async Task AssertSnapshotAsync(Snapshot expected, string when)
    {
        var actual = await SnapshotAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(actual.Jobs, Is.EqualTo(expected.Jobs), $"jobs {when}");
            Assert.That(actual.Dependencies, Is.EqualTo(expected.Dependencies), $"job_dependencies {when}");
            Assert.That(actual.Runs, Is.EqualTo(expected.Runs), $"job_runs {when}");
        }
    }

    // Every row of the three tables, in the columns version 2026112602 has, each value as invariant text.
    private async Task<Snapshot> SnapshotAsync() => new(
        await RowsAsync($"SELECT {string.Join(", ", JobColumnsAt2602)} FROM jobs ORDER BY id"),
        await RowsAsync($"SELECT {string.Join(", ", DependencyColumnsAt2602)} FROM job_dependencies ORDER BY job_id, depends_on_job_id"),
        await RowsAsync($"SELECT {string.Join(", ", RunColumnsAt2602)} FROM job_runs ORDER BY id"));

    private async Task<List<string>> RowsAsync(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values[i] = reader.GetValue(i) switch
                {
                    DBNull => "NULL",
                    DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture),
                    DateTimeOffset offset => offset.ToString("O", CultureInfo.InvariantCulture),
                    var value => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
                };
            }

            rows.Add(string.Join(" | ", values));
        }

        return rows;
    }

    private sealed record Snapshot(List<string> Jobs, List<string> Dependencies, List<string> Runs);
}
