using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Concurrency;

/// <summary>
/// A prune on PostgreSQL while other transactions hold the locks that completions and job deletes take, held from a raw
/// connection: the prune must neither wait for them nor deadlock with them, finishing well within a short timeout, and
/// leave the runs it could not lock for a later prune.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresRetentionLockTests
{
    private static readonly TimeSpan PruneTimeout = TimeSpan.FromSeconds(5);
    private static readonly WorkerId Worker = new("retention-lock-worker");

    private readonly MigratedPostgresDatabase _database = new();
    private ServiceProvider? _services;
    private IOrderLib? _client;

    private IOrderLib Client => _client ?? throw new InvalidOperationException("No client yet.");

    // One database and one set of services for the fixture; each test works as a client of its own.
    [OneTimeSetUp]
    public async Task CreateDatabaseAndServices()
    {
        await _database.CreateAsync();
        var services = new ServiceCollection();
        services.AddOrderLib(builder => builder.UsePostgres(_database.ConnectionString));
        _services = services.BuildServiceProvider();
    }

    [OneTimeTearDown]
    public async Task DisposeServicesAndDropDatabase()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await _database.DropAsync();
    }

    [SetUp]
    public void UseANewClient() =>
        _client = _services!.GetRequiredService<IOrderLib>().ForClient(new ClientId("retention-lock-" + Guid.NewGuid().ToString("N")));

    [Test]
    public async Task A_prune_does_not_wait_for_a_completion_holding_the_job_row_and_its_running_run()
    {
        var job = await CreateJobAsync("busy");
        await SucceedRunsAsync(job, 3);
        var running = (await Client.Runs.EnqueueAsync(job)).Run.Id;
        await Client.Runs.StartAsync(running, Worker);

        // As a completion of the running run does: its job row, then its run.
        await using var held = await LockedRows.TakeAsync(_database.ConnectionString, ("jobs", job.Value), ("job_runs", running.Value));
        var report = await PruneEverythingAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.RunsDeleted, Is.EqualTo(3));
            Assert.That(report.Jobs, Is.EqualTo(new[] { new PrunedJob(job, "busy", 3, 0, 0) }));
            Assert.That(await RunIdsAsync(job), Is.EqualTo(new[] { running }));
        }

        await held.ReleaseAsync();
        Assert.That((await Client.Runs.MarkSucceededAsync(running)).Run.Status, Is.EqualTo(RunStatus.Succeeded), "the completion goes through after the prune");
    }

    [Test]
    public async Task A_prune_skips_a_finished_run_another_transaction_holds_and_deletes_it_next_time()
    {
        var job = await CreateJobAsync("history");
        var finished = await SucceedRunsAsync(job, 4);

        await using var held = await LockedRows.TakeAsync(_database.ConnectionString, ("job_runs", finished[1].Value));
        var first = await PruneEverythingAsync();
        await held.ReleaseAsync();
        var second = await PruneEverythingAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.RunsDeleted, Is.EqualTo(2), "the first and third runs; the second is held, the fourth is the latest");
            Assert.That(second.RunsDeleted, Is.EqualTo(1), "the second, no longer held");
            Assert.That(await RunIdsAsync(job), Is.EqualTo(new[] { finished[3] }));
        }
    }

    [Test]
    public async Task A_prune_does_not_wait_for_or_deadlock_with_a_job_delete_that_holds_some_of_its_candidates()
    {
        var doomed = await CreateJobAsync("doomed");
        var doomedRuns = await SucceedRunsAsync(doomed, 3);
        var other = await CreateJobAsync("other");
        var otherRuns = await SucceedRunsAsync(other, 3);

        // The delete takes the client's graph lock and the job row, deletes (and so locks) runs of the job, and waits for the
        // second one.
        await using var held = await LockedRows.TakeAsync(_database.ConnectionString, ("job_runs", doomedRuns[1].Value));
        var delete = Client.Jobs.DeleteAsync(doomed);
        await held.WaitUntilSomeoneWaitsAsync();

        // The runs the delete holds are skipped (which of the doomed job's runs it reached first depends on its plan).
        var report = await PruneEverythingAsync();
        Assert.That(report.Jobs.Where(j => j.JobId == other), Is.EqualTo(new[] { new PrunedJob(other, "other", 2, 0, 0) }));

        await held.ReleaseAsync();
        await delete.WaitAsync(PruneTimeout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await RunIdsAsync(other), Is.EqualTo(new[] { otherRuns[2] }));
            Assert.That((await PruneEverythingAsync()).RunsDeleted, Is.Zero);
        }
    }

    [Test]
    public async Task Prunes_beside_a_worker_that_claims_and_completes_dependent_runs_all_complete_and_keep_only_the_latest_runs()
    {
        var jobs = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            var up = await CreateJobAsync($"up-{i}");
            var down = await CreateJobAsync($"down-{i}");
            await Client.Dependencies.AddAsync(down, up);
            jobs.AddRange([up, down]);
        }

        var drain = DrainAsync(jobs, rounds: 15);
        var prunes = 0;
        while (!drain.IsCompleted)
        {
            await Client.History.PruneAsync(new PruneRequest(TimeProvider.System.GetUtcNow().AddHours(1)) { BatchSize = 3 }).WaitAsync(PruneTimeout);
            prunes++;
        }

        await drain;
        await PruneEverythingAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(prunes, Is.GreaterThan(1), "the prunes ran while the worker did");
            foreach (var job in jobs)
            {
                Assert.That(await RunIdsAsync(job), Has.Length.EqualTo(1), $"job {job}: its latest run only");
                Assert.That((await Client.Runs.ListForJobAsync(job)).Items.Single().Status, Is.EqualTo(RunStatus.Succeeded));
            }
        }
    }

    private async Task<JobId> CreateJobAsync(string name) => (await Client.Jobs.CreateAsync(new JobDefinition(name))).Id;

    // Runs the job `count` times to success; returns the runs, oldest first.
    private async Task<RunId[]> SucceedRunsAsync(JobId job, int count)
    {
        var runs = new RunId[count];
        for (var i = 0; i < count; i++)
        {
            runs[i] = (await Client.Runs.EnqueueAsync(job)).Run.Id;
            await Client.Runs.StartAsync(runs[i], Worker);
            await Client.Runs.MarkSucceededAsync(runs[i]);
        }

        return runs;
    }

    // Enqueues every job (the dependents wait for their upstream job), then claims and reports every ready run Succeeded
    // until none is left, `rounds` times.
    private async Task DrainAsync(IReadOnlyList<JobId> jobs, int rounds)
    {
        var workers = _services!.GetRequiredService<WorkerRunService>();
        var only = Clients.Only(Client.ClientId);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var job in jobs)
            {
                await Client.Runs.EnqueueAsync(job);
            }

            IReadOnlyList<ClaimedRun> claimed;
            while ((claimed = await workers.ClaimAsync(Worker, 10, only)).Count > 0)
            {
                foreach (var run in claimed)
                {
                    await workers.ReportSucceededAsync(run.Run.Id, Worker);
                }
            }
        }
    }

    // Prunes every finished run the client has (keeping each job's latest), failing when it takes longer than PruneTimeout.
    private Task<PruneReport> PruneEverythingAsync() =>
        Client.History.PruneAsync(new PruneRequest(TimeProvider.System.GetUtcNow().AddHours(1))).WaitAsync(PruneTimeout);

    private async Task<RunId[]> RunIdsAsync(JobId job) =>
        (await Client.Runs.ListForJobAsync(job)).Items.Select(r => r.Id).Reverse().ToArray();

    /// <summary>Rows of several tables locked FOR UPDATE in one open transaction of a raw connection, until released.</summary>
    private sealed class LockedRows(NpgsqlConnection connection) : IAsyncDisposable
    {
        // The open transaction; null once released.
        private NpgsqlTransaction? _open;

        /// <summary>Locks each (table, id) row, in the order given.</summary>
        public static async Task<LockedRows> TakeAsync(string connectionString, params (string Table, long Id)[] rows)
        {
            var locked = new LockedRows(new NpgsqlConnection(connectionString));
            await locked.LockAsync(rows);
            return locked;
        }

        /// <summary>Polls until another backend waits for a lock this transaction holds.</summary>
        public async Task WaitUntilSomeoneWaitsAsync()
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE @pid = ANY(pg_blocking_pids(pid));", connection, _open);
            command.Parameters.AddWithValue("pid", connection.ProcessID);
            for (var polls = 0; (long)(await command.ExecuteScalarAsync())! == 0; polls++)
            {
                Assert.That(polls, Is.LessThan(500), "nobody came to wait for the held rows");
                await Task.Delay(20);
            }
        }

        /// <summary>Rolls the transaction back, releasing the rows (once; later calls do nothing).</summary>
        public async Task ReleaseAsync()
        {
            if (Interlocked.Exchange(ref _open, null) is { } transaction)
            {
                await transaction.RollbackAsync();
                await transaction.DisposeAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await connection.DisposeAsync();
        }

        private async Task LockAsync((string Table, long Id)[] rows)
        {
            await connection.OpenAsync();
            _open = await connection.BeginTransactionAsync();
            foreach (var (table, id) in rows)
            {
                await using var command = new NpgsqlCommand($"SELECT id FROM {table} WHERE id = @id FOR UPDATE;", connection, _open);
                command.Parameters.AddWithValue("id", id);
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(id), $"{table} {id} is locked");
            }
        }
    }
}
