using OrderLib.Tests.Infrastructure;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Ports;

namespace OrderLib.Tests.MultiProcess;

/// <summary>
/// Several worker processes (<c>OrderLib.Tests.WorkerProcess</c>) against one real database: they run a triggered
/// pipeline of 2,001 jobs while one of them is killed with SIGKILL mid-run. Afterwards the database must show that
/// every job succeeded exactly once, that no job ever had two runs at once, that no run started before its upstream
/// jobs had succeeded, and that the killed worker's runs were rescued as "worker lost" and retried. Each database is
/// a tiny subclass that says how to create, reach and drop it.
/// </summary>
public abstract class MultiProcessWorkerTests
{
    private const int Layers = 20;
    private const int Width = 100;
    private const int WorkerCount = 3;
    private const int MaxAttempts = 3;
    private const string WarmUpClient = "warm-up";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PipelineTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan VictimTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The provider name for <c>OrderLib:Provider</c>: <c>Sqlite</c> or <c>Postgres</c>.</summary>
    protected abstract string ProviderName { get; }

    /// <summary>
    /// How far a run's recorded start may precede its upstream job's recorded finish. Both are read from the clock by
    /// the worker before its transaction, so a claim that waited for a lock (the upstream's completion held it) carries
    /// a start time from before that wait; the claim itself came after the completion committed.
    /// </summary>
    protected abstract TimeSpan ClockReadTolerance { get; }

    /// <summary>How many service calls create the graph at once (SQLite has one writer: 1).</summary>
    protected abstract int CreationParallelism { get; }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    /// <summary>Drops the database again.</summary>
    protected abstract Task DropDatabaseAsync(string connectionString);

    /// <summary>Picks the store on the builder (<c>UseSqlite</c> / <c>UsePostgres</c>).</summary>
    protected abstract void UseStore(OrderLibBuilder builder, string connectionString);

    /// <summary>The migrator for the database.</summary>
    protected abstract IOrderLibMigrator CreateMigrator(string connectionString);

    /// <summary>A plain ADO.NET connection to the database, for the queries that watch the workers.</summary>
    protected abstract DbConnection CreateConnection(string connectionString);

    [Test]
    public async Task Worker_processes_run_a_2000_job_pipeline_exactly_once_in_dependency_order_while_one_is_killed()
    {
        var connectionString = await CreateDatabaseAsync();
        var workers = new List<WorkerProcess>();
        ServiceProvider? services = null;
        try
        {
            var total = Stopwatch.StartNew();
            CreateMigrator(connectionString).MigrateUp();
            var collection = new ServiceCollection();
            collection.AddOrderLib(o =>
            {
                UseStore(o, connectionString);
                o.Configure(options => options.LeaseDuration = Lease);
            });
            services = collection.BuildServiceProvider();
            var orderLib = services.GetRequiredService<IOrderLib>();

            // 1. The graph: slow jobs (0.8 s) only in the first half, so the kill comes early and the rest runs fast.
            var phase = Stopwatch.StartNew();
            var dag = LayeredDag.Create(Layers, Width, seed: 20260301, isSlow: (layer, index) => layer <= Layers / 2 && index % 20 == 7);
            var (jobs, jobsTime, edgesTime) = await dag.CreateAsync(orderLib, CreationParallelism);

            // 2. The workers, warmed up on another client's jobs until each has claimed and completed a run, so that no
            //    first claim of a cold process (connection set-up, JIT) overlaps the pipeline.
            phase.Restart();
            var dll = WorkerProcess.LocateDll();
            for (var i = 1; i <= WorkerCount; i++)
            {
                var workerId = string.Create(CultureInfo.InvariantCulture, $"{ProviderName.ToLowerInvariant()}-worker-{i}");
                workers.Add(WorkerProcess.Start(dll, workerId, WorkerArguments(workerId), new Dictionary<string, string>
                {
                    ["OrderLib__Provider"] = ProviderName,
                    ["ConnectionStrings__OrderLib"] = connectionString,
                }));
            }

            await WarmUpAsync(orderLib.ForClient(new ClientId(WarmUpClient)), connectionString, workers);
            var warmUpTime = phase.Elapsed;

            // 3. The pipeline; the first worker is killed once it is in the middle of a slow run.
            phase.Restart();
            var triggered = await orderLib.Runs.TriggerAsync(jobs[LayeredDag.Root].Id);
            var triggerTime = phase.Elapsed;
            Assert.That(triggered.Runs, Has.Count.EqualTo(dag.JobCount), "the trigger enqueues every job of the pipeline");

            var victim = workers[0];
            var survivors = workers.Skip(1).ToList();
            await WaitForFreshSlowRunAsync(connectionString, victim, workers);
            victim.Kill();
            var killedAt = phase.Elapsed;
            var heldAtKill = await HeldRunIdsAsync(connectionString, victim.WorkerId);
            Assert.That(heldAtKill, Is.Not.Empty, "the killed worker held running runs");

            // 4. The survivors finish the pipeline, rescuing the killed worker's runs when their leases expire.
            await WaitForPipelineAsync(connectionString, survivors, phase);
            var pipelineTime = phase.Elapsed;
            foreach (var survivor in survivors)
            {
                var stoppedByItself = await survivor.StopAsync(TimeSpan.FromSeconds(30));
                Assert.That(stoppedByItself && survivor.ExitCode == 0, Is.True, $"{survivor.WorkerId} stopped gracefully. Output:\n{survivor.OutputTail}");
            }

            // 5. What the database says.
            phase.Restart();
            var runsByJob = new Dictionary<string, IReadOnlyList<JobRun>>(StringComparer.Ordinal);
            foreach (var (name, job) in jobs)
            {
                runsByJob[name] = (await orderLib.Runs.ListForJobAsync(job.Id, limit: 100)).Items.OrderBy(r => r.Attempt).ToList();
            }

            var report = Verify(dag, runsByJob, victim.WorkerId, heldAtKill.ToHashSet());
            var verifyTime = phase.Elapsed;
            TestContext.Progress.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[{ProviderName}] {dag.JobCount} jobs, {dag.Edges.Count} edges, {WorkerCount} worker processes, {report.Runs} runs, {report.Retries} retries; " +
                $"killed {victim.WorkerId} at {killedAt.TotalSeconds:0.0} s holding {heldAtKill.Count} run(s); {report.LostBySurvivors} run(s) of survivors lost their lease; " +
                $"graph {jobsTime.TotalSeconds:0.0} s jobs + {edgesTime.TotalSeconds:0.0} s dependencies, worker start and warm-up {warmUpTime.TotalSeconds:0.0} s, trigger {triggerTime.TotalSeconds:0.0} s, pipeline {pipelineTime.TotalSeconds:0.0} s, " +
                $"verify {verifyTime.TotalSeconds:0.0} s, total {total.Elapsed.TotalSeconds:0.0} s; " +
                $"{report.EarlyStarts} start time(s) before the upstream finish time, at most {report.WorstEarlyStart.TotalMilliseconds:0.###} ms (tolerated: {ClockReadTolerance.TotalMilliseconds:0} ms)"));
            Assert.That(report.Problems, Is.Empty, () => $"{report.Problems.Count} problem(s):\n" + string.Join('\n', report.Problems.Take(30)));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }

            if (services is not null)
            {
                await services.DisposeAsync();
            }

            await DropDatabaseAsync(connectionString);
        }
    }

    private static IEnumerable<string> WorkerArguments(string workerId) =>
    [
        $"--OrderLib:LeaseDuration={Lease:c}",
        "--OrderLib:RetryBaseDelay=00:00:00.100",
        "--OrderLib:RetryMaxDelay=00:00:01",
        "--OrderLib:RetryJitter=0",
        $"--Worker:WorkerId={workerId}",
        "--Worker:Concurrency=4",
        "--Worker:BatchSize=4",
        "--Worker:HeartbeatInterval=00:00:00.500",
        "--Worker:RescueInterval=00:00:00.500",
        "--Worker:IdlePollIntervalMin=00:00:00.020",
        "--Worker:IdlePollIntervalMax=00:00:00.500",
        "--Worker:ShutdownTimeout=00:00:10",
        $"--Handler:SlowMarker={LayeredDag.SlowMarker}",
        "--Handler:SlowMilliseconds=800",
        "--Handler:MinMilliseconds=1",
        "--Handler:MaxMilliseconds=10",
        "--Handler:CheckUpstream=true",
        "--StopOnStdinClose=true",
        "--Logging:LogLevel:Default=Warning",
    ];

    /// <summary>
    /// Enqueues batches of slow jobs of the warm-up client until every worker has completed one of them and none is left
    /// active. Each worker takes at most its concurrency at a time, so a batch of 3 × 4 slow jobs leaves room for all.
    /// </summary>
    private async Task WarmUpAsync(IOrderLib warmUp, string connectionString, IReadOnlyList<WorkerProcess> workers)
    {
        var clock = Stopwatch.StartNew();
        var batch = 0;
        var sql = $"SELECT r.worker_id, r.status FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.client_id = '{WarmUpClient}'";
        while (true)
        {
            var runs = await QueryAsync(connectionString, sql, reader => (Worker: reader.IsDBNull(0) ? null : reader.GetString(0), Status: reader.GetString(1)));
            var active = runs.Count(r => r.Status is "Pending" or "Running");
            var warm = runs.Where(r => r.Status == "Succeeded").Select(r => r.Worker).ToHashSet();
            if (active == 0 && workers.All(w => warm.Contains(w.WorkerId)))
            {
                return;
            }

            FailIfAnyExited(workers);
            if (clock.Elapsed > VictimTimeout)
            {
                Assert.Fail($"The workers did not all complete a warm-up run within {VictimTimeout.TotalSeconds} s. {await DiagnosticsAsync(connectionString, workers)}");
            }

            if (active == 0)
            {
                batch++;
                for (var i = 0; i < WorkerCount * 4; i++)
                {
                    var job = await warmUp.Jobs.CreateAsync(new JobDefinition(string.Create(CultureInfo.InvariantCulture, $"warm-up-{batch}-{i}-{LayeredDag.SlowMarker}")));
                    await warmUp.Runs.EnqueueAsync(job.Id);
                }
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the worker holds a Running run of a slow job that started less than 300 ms ago, so a kill now catches it mid-run.</summary>
    private async Task WaitForFreshSlowRunAsync(string connectionString, WorkerProcess victim, IReadOnlyList<WorkerProcess> workers)
    {
        var clock = Stopwatch.StartNew();
        var sql = $"SELECT r.started_at FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.worker_id = '{victim.WorkerId}' AND r.status = 'Running' AND j.name LIKE '%{LayeredDag.SlowMarker}%'";
        while (true)
        {
            var now = TimeProvider.System.GetUtcNow();
            var starts = await QueryAsync(connectionString, sql, reader => ToUtc(reader.GetValue(0)));
            if (starts.Any(started => now - started < TimeSpan.FromMilliseconds(300)))
            {
                return;
            }

            FailIfAnyExited(workers);
            if (clock.Elapsed > VictimTimeout)
            {
                Assert.Fail($"{victim.WorkerId} never held a fresh slow run within {VictimTimeout.TotalSeconds} s. {await DiagnosticsAsync(connectionString, workers)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The runs a (dead) worker still held: Running, or already rescued as "worker lost" should a survivor have been
    /// quicker than this query (the worker was alive and heart-beating until the kill).
    /// </summary>
    private async Task<IReadOnlyList<RunId>> HeldRunIdsAsync(string connectionString, string workerId) =>
        await QueryAsync(
            connectionString,
            $"SELECT id FROM job_runs WHERE worker_id = '{workerId}' AND (status = 'Running' OR (status = 'Failed' AND error = 'worker lost')) ORDER BY id",
            reader => new RunId(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture)));

    /// <summary>Waits until no run is Pending or Running any more.</summary>
    private async Task WaitForPipelineAsync(string connectionString, IReadOnlyList<WorkerProcess> survivors, Stopwatch clock)
    {
        var nextProgress = TimeSpan.FromSeconds(15);
        while (true)
        {
            var counts = await StatusCountsAsync(connectionString);
            if (counts.GetValueOrDefault("Pending") == 0 && counts.GetValueOrDefault("Running") == 0)
            {
                return;
            }

            FailIfAnyExited(survivors);
            if (clock.Elapsed > PipelineTimeout)
            {
                Assert.Fail($"The pipeline did not finish within {PipelineTimeout.TotalMinutes} minutes. {await DiagnosticsAsync(connectionString, survivors)}");
            }

            if (clock.Elapsed > nextProgress)
            {
                TestContext.Progress.WriteLine($"[{ProviderName}] {clock.Elapsed.TotalSeconds:0} s: {FormatCounts(counts)}");
                nextProgress += TimeSpan.FromSeconds(15);
            }

            await Task.Delay(200);
        }
    }

    private static void FailIfAnyExited(IEnumerable<WorkerProcess> workers)
    {
        foreach (var worker in workers)
        {
            if (worker.HasExited)
            {
                Assert.Fail($"{worker.WorkerId} exited early with code {worker.ExitCode}. Output:\n{worker.OutputTail}");
            }
        }
    }

    private async Task<Dictionary<string, long>> StatusCountsAsync(string connectionString) =>
        (await QueryAsync(connectionString, "SELECT status, COUNT(*) FROM job_runs GROUP BY status", reader => (Status: reader.GetString(0), Count: Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture))))
        .ToDictionary(row => row.Status, row => row.Count);

    private static string FormatCounts(Dictionary<string, long> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private async Task<string> DiagnosticsAsync(string connectionString, IEnumerable<WorkerProcess> workers)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Runs: {FormatCounts(await StatusCountsAsync(connectionString))}.");
        var active = await QueryAsync(
            connectionString,
            "SELECT r.id, j.name, r.status, r.attempt, r.worker_id, r.waiting_on FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.status IN ('Pending', 'Running') ORDER BY r.id LIMIT 10",
            reader => $"run {reader.GetValue(0)} {reader.GetValue(1)} {reader.GetValue(2)} attempt {reader.GetValue(3)} worker {reader.GetValue(4)} waiting_on {reader.GetValue(5)}");
        text.AppendLine("Some active runs: " + string.Join("; ", active));
        foreach (var worker in workers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"--- {worker.WorkerId} (exited: {worker.HasExited}):").AppendLine(worker.OutputTail);
        }

        return text.ToString();
    }

    private Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<DbDataReader, T> read) =>
        DbQuery.ListAsync(CreateConnection(connectionString), sql, read);

    private static DateTimeOffset ToUtc(object value) => value switch
    {
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        DateTimeOffset offset => offset.ToUniversalTime(),
        string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime(),
        _ => throw new InvalidOperationException($"Unexpected timestamp value {value} ({value.GetType()})."),
    };

    /// <summary>Checks every run against the rules; returns the problems found and the figures for the summary.</summary>
    private VerificationReport Verify(LayeredDag dag, Dictionary<string, IReadOnlyList<JobRun>> runsByJob, string victim, HashSet<RunId> heldAtKill)
    {
        var problems = new List<string>();
        var succeeded = new Dictionary<string, JobRun>(StringComparer.Ordinal);
        var runs = 0;
        var retries = 0;
        var lostBySurvivors = 0;
        foreach (var (name, jobRuns) in runsByJob)
        {
            runs += jobRuns.Count;
            retries += jobRuns.Count(r => r.Attempt > 1);
            var successes = jobRuns.Where(r => r.Status == RunStatus.Succeeded).ToList();
            if (successes.Count != 1)
            {
                problems.Add($"{name}: {successes.Count} succeeded runs ({Describe(jobRuns)})");
                continue;
            }

            succeeded[name] = successes[0];
            if (!jobRuns.Select(r => r.Attempt).SequenceEqual(Enumerable.Range(1, jobRuns.Count)) || jobRuns.Count > MaxAttempts || jobRuns[^1].Status != RunStatus.Succeeded)
            {
                problems.Add($"{name}: attempts are not 1..n ending in the success: {Describe(jobRuns)}");
            }

            foreach (var run in jobRuns.Where(r => r.Status != RunStatus.Succeeded))
            {
                if (run.Status != RunStatus.Failed || run.Error != "worker lost")
                {
                    // Includes the handler's own check: "InvalidOperationException: dependency rule violated: ..."
                    problems.Add($"{name}: run {run.Id} ended {run.Status} '{run.Error}', expected only successes and 'worker lost' failures");
                }
                else if (run.WorkerId?.Value != victim)
                {
                    lostBySurvivors++; // legal (its heartbeats fell behind its lease), but reported
                }
                else if (!heldAtKill.Contains(run.Id))
                {
                    problems.Add($"{name}: run {run.Id} of the killed worker was lost but was not running when it was killed");
                }
            }

            for (var i = 0; i < jobRuns.Count; i++)
            {
                if (jobRuns[i].StartedAt is null || jobRuns[i].FinishedAt is null)
                {
                    problems.Add($"{name}: run {jobRuns[i].Id} lacks a start or finish time");
                }
                else if (i > 0 && jobRuns[i - 1].FinishedAt > jobRuns[i].StartedAt)
                {
                    problems.Add($"{name}: runs {jobRuns[i - 1].Id} and {jobRuns[i].Id} overlap ({Describe(jobRuns)})");
                }
            }
        }

        // The killed worker's runs: every one it held ended "worker lost", and its job then succeeded in a later attempt.
        var allRuns = runsByJob.SelectMany(pair => pair.Value.Select(run => (Job: pair.Key, Run: run))).ToDictionary(x => x.Run.Id);
        foreach (var id in heldAtKill)
        {
            if (!allRuns.TryGetValue(id, out var held))
            {
                problems.Add($"run {id} held by the killed worker is gone");
            }
            else if (held.Run.Status != RunStatus.Failed || held.Run.Error != "worker lost")
            {
                problems.Add($"{held.Job}: run {id} held by the killed worker ended {held.Run.Status} '{held.Run.Error}', expected Failed 'worker lost'");
            }
            else if (!succeeded.TryGetValue(held.Job, out var success) || success.Attempt <= held.Run.Attempt)
            {
                problems.Add($"{held.Job}: run {id} held by the killed worker was not retried to success");
            }
        }

        // Dependency order: no run of a job started before the success of each job it depends on finished.
        var earlyStarts = 0;
        var worst = TimeSpan.Zero;
        foreach (var (job, dependsOn) in dag.Edges)
        {
            if (!succeeded.TryGetValue(dependsOn, out var upstream) || upstream.FinishedAt is not { } upstreamFinished)
            {
                continue; // reported above
            }

            foreach (var run in runsByJob[job])
            {
                if (run.StartedAt is not { } started || started >= upstreamFinished)
                {
                    continue;
                }

                var early = upstreamFinished - started;
                earlyStarts++;
                worst = early > worst ? early : worst;
                if (early > ClockReadTolerance)
                {
                    problems.Add($"{job}: run {run.Id} started at {started:O}, {early.TotalMilliseconds:0.###} ms before its upstream {dependsOn} succeeded (run {upstream.Id} finished {upstreamFinished:O})");
                }
            }
        }

        return new VerificationReport(problems, runs, retries, lostBySurvivors, earlyStarts, worst);
    }

    private static string Describe(IEnumerable<JobRun> runs) =>
        string.Join("; ", runs.Select(r => $"run {r.Id} attempt {r.Attempt} {r.Status} by {r.WorkerId} {r.StartedAt:HH:mm:ss.ffffff}-{r.FinishedAt:HH:mm:ss.ffffff} '{r.Error}'"));

    private sealed record VerificationReport(IReadOnlyList<string> Problems, int Runs, int Retries, int LostBySurvivors, int EarlyStarts, TimeSpan WorstEarlyStart);
}
