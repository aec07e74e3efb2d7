using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace OrderLib.Tests.Concurrency;

/// <summary>
/// Interleavings of set-based run-row lockers on PostgreSQL, forced step by step with row locks held from a raw
/// connection, through the public services. Each must end with both calls completed (no 40P01) and every pending run's
/// waiting_on equal to a count recomputed from scratch.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresLockOrderTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private readonly MigratedPostgresDatabase _database = new();
    private ServiceProvider? _services;
    private IOrderLib? _client;

    private IOrderLib Client => _client ?? throw new InvalidOperationException("No services yet.");

    private WorkerRunService Workers => _services!.GetRequiredService<WorkerRunService>();

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    [SetUp]
    public void BuildServices()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(builder => builder.UsePostgres(_database.ConnectionString));
        _services = services.BuildServiceProvider();
        _client = _services.GetRequiredService<IOrderLib>().ForClient(new ClientId("lock-order-" + Guid.NewGuid().ToString("N")));
    }

    [TearDown]
    public async Task DisposeServices()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    /// <summary>
    /// U succeeded; A1, K and M depend on U, L on U and K; their pending runs are W &lt; X &lt; Q &lt; P. Enqueueing U
    /// shifts W, X, Q, P (+1) and waits on W; a worker claims X; W is released, so the shift locks W and X (Running now,
    /// dropped by the re-check, its lock kept) and waits on Q; the success of X locks K, and must not take P before X;
    /// Q is released. Before the fix the success held P and waited on X, the shift held X and waited on P: 40P01.
    /// </summary>
    [Test]
    public async Task Enqueue_shift_holding_a_claimed_run_and_its_success_do_not_deadlock()
    {
        var u = await CreateJobAsync("U");
        var a1 = await CreateJobAsync("A1");
        var k = await CreateJobAsync("K");
        var m = await CreateJobAsync("M");
        var l = await CreateJobAsync("L");
        await Client.Dependencies.AddAsync(a1, u);
        await Client.Dependencies.AddAsync(k, u);
        await Client.Dependencies.AddAsync(m, u);
        await Client.Dependencies.AddAsync(l, u);
        await Client.Dependencies.AddAsync(l, k);
        await SucceedAsync(u);

        var w = (await Client.Runs.EnqueueAsync(a1)).Run.Id;
        var x = (await Client.Runs.EnqueueAsync(k)).Run.Id;
        var q = (await Client.Runs.EnqueueAsync(m)).Run.Id;
        var p = (await Client.Runs.EnqueueAsync(l)).Run.Id;
        Assert.That(new[] { w.Value, x.Value, q.Value, p.Value }, Is.Ordered.Ascending);

        await using var holdW = await HoldRunAsync(w);
        await using var holdQ = await HoldRunAsync(q);

        // (1) The shift of U's new run waits on W.
        var enqueue = Client.Runs.EnqueueAsync(u);
        var enqueuePid = await WaitUntilBlockedByAsync(holdW.Pid, exceptPids: []);

        // (2) A worker claims X (W and Q are held, so the claim skips them; P waits on K).
        var worker = new WorkerId("lock-order-worker");
        var claimed = await Workers.ClaimAsync(worker, 1, Clients.Only(Client.ClientId));
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { x }));

        // (3) W released: the shift locks W, then X (no longer Pending), and waits on Q.
        await holdW.ReleaseAsync();
        await WaitUntilPidBlockedByAsync(enqueuePid, holdQ.Pid);

        // (4) The success of X, which waits for the shift (it holds X).
        var success = Workers.ReportSucceededAsync(x, worker);
        await WaitUntilBlockedByAsync(enqueuePid, exceptPids: [enqueuePid]);

        // (5) Q released: the shift needs P.
        await holdQ.ReleaseAsync();

        await AssertBothCompleteAsync(enqueue, success);
        Assert.That((await Client.Runs.GetAsync(x)).Status, Is.EqualTo(RunStatus.Succeeded));
        await AssertWaitingOnRecomputesAsync();
        Assert.That(await WaitingOnAsync(p), Is.EqualTo(1), "L waits on U again, no longer on K.");
    }

    /// <summary>
    /// The mirror image, which rules out ending a run by locking its own row alone before its dependents': L's pending
    /// run P is below B's run Y and K's run X. The shift of U's new run locks P and waits on Y; a worker claims X and reports
    /// it succeeded (it must lock P, below X, before X); Y is released, so the shift goes on to X.
    /// </summary>
    [Test]
    public async Task Success_whose_dependent_run_is_below_its_own_run_does_not_deadlock_with_a_shift()
    {
        var u = await CreateJobAsync("U");
        var k = await CreateJobAsync("K");
        var l = await CreateJobAsync("L");
        var b = await CreateJobAsync("B");
        await Client.Dependencies.AddAsync(k, u);
        await Client.Dependencies.AddAsync(l, u);
        await Client.Dependencies.AddAsync(l, k);
        await Client.Dependencies.AddAsync(b, u);
        await SucceedAsync(u);

        var p = (await Client.Runs.EnqueueAsync(l)).Run.Id;
        var y = (await Client.Runs.EnqueueAsync(b)).Run.Id;
        var x = (await Client.Runs.EnqueueAsync(k)).Run.Id;
        Assert.That(new[] { p.Value, y.Value, x.Value }, Is.Ordered.Ascending);

        await using var holdY = await HoldRunAsync(y);

        // The shift locks P and waits on Y.
        var enqueue = Client.Runs.EnqueueAsync(u);
        var enqueuePid = await WaitUntilBlockedByAsync(holdY.Pid, exceptPids: []);

        var worker = new WorkerId("lock-order-worker");
        var claimed = await Workers.ClaimAsync(worker, 1, Clients.Only(Client.ClientId));
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { x }));

        // The success of X waits for the shift (it holds P).
        var success = Workers.ReportSucceededAsync(x, worker);
        await WaitUntilBlockedByAsync(enqueuePid, exceptPids: [enqueuePid]);

        await holdY.ReleaseAsync();

        await AssertBothCompleteAsync(enqueue, success);
        await AssertWaitingOnRecomputesAsync();
        Assert.That(await WaitingOnAsync(p), Is.EqualTo(1), "L waits on U again, no longer on K.");
    }

    /// <summary>
    /// A deadlock the store's lock order cannot rule out, because another program takes the rows the other way round (a
    /// raw connection locks a job's active run, then the job; the store's update locks the job, then its run), aborts the
    /// store's transaction with 40P01. The store runs the whole transaction again, counts the retry in
    /// <c>orderlib.store.transaction.retries</c> (reason <c>deadlock</c>), and the call succeeds.
    /// </summary>
    /// <summary>
    /// A pause and an upstream success both change J's pending run R: the pause holds J's row and waits for R, the success
    /// holds U's row and waits for R (its one run-row pass); neither waits for the other's job row, so once R is released
    /// both complete, and R counts the pause on top of its upstream jobs.
    /// </summary>
    [Test]
    public async Task Pause_and_an_upstream_success_both_waiting_for_the_pending_run_do_not_deadlock()
    {
        var u = await CreateJobAsync("U");
        var j = await CreateJobAsync("J");
        await Client.Dependencies.AddAsync(j, u);
        await SucceedAsync(u);
        var r = (await Client.Runs.EnqueueAsync(j)).Run.Id;
        var x = (await Client.Runs.EnqueueAsync(u)).Run.Id;
        var worker = new WorkerId("lock-order-worker");
        Assert.That((await Workers.ClaimAsync(worker, 1, Clients.Only(Client.ClientId))).Select(c => c.Run.Id), Is.EqualTo(new[] { x }));

        await using var holdR = await HoldRunAsync(r);
        var pause = Client.Jobs.PauseAsync(j);
        var pausePid = await WaitUntilBlockedByAsync(holdR.Pid, exceptPids: []);
        // The success queues for R behind the pause (the first waiter for a row holds its tuple lock).
        var success = Workers.ReportSucceededAsync(x, worker);
        await WaitUntilBlockedByAsync(pausePid, exceptPids: [pausePid]);

        await holdR.ReleaseAsync();

        await AssertBothCompleteAsync(pause, success);
        await AssertWaitingOnRecomputesAsync();
        Assert.That(await WaitingOnAsync(r), Is.EqualTo(1), "U succeeded; J is paused.");
    }

    [Test]
    public async Task A_write_aborted_by_a_deadlock_is_run_again_counted_and_succeeds()
    {
        var job = await CreateJobAsync("J");
        var run = (await Client.Runs.EnqueueAsync(job)).Run.Id;
        using var retries = new TransactionRetryListener();

        // The raw connection never detects the deadlock itself (its deadlock_timeout is long): the store's backend does,
        // after the server's deadlock_timeout, and is the one aborted.
        await using var hold = await HoldRunAsync(run, "SET deadlock_timeout = '10min';");
        var update = Client.Jobs.UpdateAsync(job, new JobDefinition("J") { Priority = 7 });
        await WaitUntilBlockedByAsync(hold.Pid, []);
        await hold.LockJobAsync(job).WaitAsync(StepTimeout); // returns once the store's transaction was aborted
        Assert.That(update.IsCompleted, Is.False, "the store's aborted transaction is being run again, waiting for the job row");
        await hold.ReleaseAsync();

        var updated = await update.WaitAsync(StepTimeout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated.Priority, Is.EqualTo(7));
            Assert.That((await Client.Jobs.GetAsync(job)).Priority, Is.EqualTo(7));
            Assert.That(retries.Count("deadlock"), Is.GreaterThanOrEqualTo(1), "the retry is counted with reason deadlock");
        }
    }

    private async Task<JobId> CreateJobAsync(string name) => (await Client.Jobs.CreateAsync(new JobDefinition(name))).Id;

    private async Task SucceedAsync(JobId job)
    {
        var run = (await Client.Runs.EnqueueAsync(job)).Run;
        var worker = new WorkerId("setup-worker");
        var claimed = await Workers.ClaimAsync(worker, 1, Clients.Only(Client.ClientId));
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { run.Id }));
        await Workers.ReportSucceededAsync(run.Id, worker);
    }

    private static async Task AssertBothCompleteAsync(Task first, Task second)
    {
        var both = Task.WhenAll(first, second);
        var finished = await Task.WhenAny(both, Task.Delay(StepTimeout));
        Assert.That(finished, Is.SameAs(both), "Both calls should complete.");
        await both; // rethrows a 40P01 (PostgresException) or any other failure
    }

    // Every pending run of the client: waiting_on recomputed from scratch (its job's upstream jobs whose latest run is not
    // a success, plus one when its job is paused) equals the stored count.
    private async Task AssertWaitingOnRecomputesAsync()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT r.id, r.waiting_on,
                (SELECT COUNT(*) FROM job_dependencies d JOIN jobs u ON u.id = d.depends_on_job_id
                 LEFT JOIN job_runs ur ON ur.id = u.latest_run_id
                 WHERE d.job_id = r.job_id AND (ur.status IS NULL OR ur.status <> 'Succeeded'))
                + CASE WHEN j.paused_at IS NULL THEN 0 ELSE 1 END AS recomputed
            FROM job_runs r JOIN jobs j ON j.id = r.job_id
            WHERE j.client_id = @client AND r.status = 'Pending'
            ORDER BY r.id;
            """,
            connection);
        command.Parameters.AddWithValue("client", Client.ClientId.Value);
        var rows = new List<(long Id, int Stored, long Recomputed)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)));
            }
        }

        Assert.That(rows, Is.Not.Empty);
        Assert.That(rows.Select(r => (r.Id, (long)r.Stored)), Is.EqualTo(rows.Select(r => (r.Id, r.Recomputed))));
    }

    private async Task<int> WaitingOnAsync(RunId run)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT waiting_on FROM job_runs WHERE id = @id;", connection);
        command.Parameters.AddWithValue("id", run.Value);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    // A raw connection holding the run's row FOR UPDATE until released, after running sessionSetup when given.
    private async Task<RowHold> HoldRunAsync(RunId run, string? sessionSetup = null)
    {
        var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        if (sessionSetup is not null)
        {
            await using var setup = new NpgsqlCommand(sessionSetup, connection);
            await setup.ExecuteNonQueryAsync();
        }

        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM job_runs WHERE id = @id FOR UPDATE;", connection, transaction);
        command.Parameters.AddWithValue("id", run.Value);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(run.Value));
        return new RowHold(connection, transaction, connection.ProcessID);
    }

    // Waits until a backend (not one of exceptPids) waits for a lock that blockerPid holds; returns its pid.
    private async Task<int> WaitUntilBlockedByAsync(int blockerPid, int[] exceptPids)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        while (true)
        {
            await using (var command = new NpgsqlCommand(
                             """
                             SELECT pid FROM pg_stat_activity
                             WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                               AND @blocker = ANY(pg_blocking_pids(pid)) AND NOT (pid = ANY(@except))
                             ORDER BY pid LIMIT 1;
                             """,
                             connection))
            {
                command.Parameters.AddWithValue("blocker", blockerPid);
                command.Parameters.AddWithValue("except", exceptPids);
                if (await command.ExecuteScalarAsync() is int pid)
                {
                    return pid;
                }
            }

            if (waited.Elapsed > StepTimeout)
            {
                Assert.Fail($"No backend came to wait for a lock held by backend {blockerPid}.");
            }

            await Task.Delay(20);
        }
    }

    private async Task WaitUntilPidBlockedByAsync(int pid, int blockerPid)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        while (true)
        {
            await using (var command = new NpgsqlCommand("SELECT @blocker = ANY(pg_blocking_pids(@pid));", connection))
            {
                command.Parameters.AddWithValue("blocker", blockerPid);
                command.Parameters.AddWithValue("pid", pid);
                if (await command.ExecuteScalarAsync() is true)
                {
                    return;
                }
            }

            if (waited.Elapsed > StepTimeout)
            {
                Assert.Fail($"Backend {pid} did not come to wait for backend {blockerPid}.");
            }

            await Task.Delay(20);
        }
    }

    private sealed class RowHold(NpgsqlConnection connection, NpgsqlTransaction transaction, int pid) : IAsyncDisposable
    {
        private bool _released;

        public int Pid { get; } = pid;

        // Locks the job's row too, in the same transaction (waiting while another holds it).
        public async Task LockJobAsync(JobId job)
        {
            await using var command = new NpgsqlCommand("SELECT id FROM jobs WHERE id = @id FOR UPDATE;", connection, transaction);
            command.Parameters.AddWithValue("id", job.Value);
            await command.ExecuteScalarAsync();
        }

        public async Task ReleaseAsync()
        {
            if (!_released)
            {
                _released = true;
                await transaction.RollbackAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
