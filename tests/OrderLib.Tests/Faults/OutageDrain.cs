using OrderLib.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderLib.Tests.MultiProcess;

namespace OrderLib.Tests.Faults;

/// <summary>How a fault test's database is reached, and how it is taken away and given back.</summary>
internal sealed record OutageScenario
{
    /// <summary>Names the store in the output, e.g. "Postgres".</summary>
    public required string Name { get; init; }

    /// <summary>Picks the store on the builder (<c>UsePostgres</c> / <c>UseSqlite</c>).</summary>
    public required Action<OrderLibBuilder> UseStore { get; init; }

    /// <summary>A plain connection for the test's own queries (never used while the database is unavailable).</summary>
    public required Func<DbConnection> CreateConnection { get; init; }

    /// <summary>A table's name as the test's queries spell it (schema-qualified where needed).</summary>
    public required Func<string, string> Table { get; init; }

    /// <summary>Layers of the DAG below the root, and jobs per layer.</summary>
    public required (int Layers, int Width) Dag { get; init; }

    /// <summary>How many service calls create the graph at once.</summary>
    public required int CreationParallelism { get; init; }

    /// <summary>Makes the database unavailable; returns once it is (what it did, for the output).</summary>
    public required Func<Task<string>> BeginOutage { get; init; }

    /// <summary>Makes the database available again; returns once it is (what it did, for the output).</summary>
    public required Func<Task<string>> EndOutage { get; init; }

    /// <summary>How long the database stays unavailable (between <see cref="BeginOutage"/> returning and <see cref="EndOutage"/> being called).</summary>
    public required TimeSpan OutageDuration { get; init; }
}

/// <summary>
/// A fault test's body: a hosted worker (in-process generic host, 8 slots, one HandleAny handler) drains a triggered
/// layered DAG whose jobs have one attempt each, and its database becomes unavailable mid-drain. The outage starts
/// once a quarter of the jobs succeeded, at a moment when every slot holds a run whose handler is about to return:
/// handlers that start then wait at a gate until the database is down, so their outcomes are produced while it is
/// unavailable and must be kept until it is back. Afterwards every job must have exactly one run, Succeeded; no
/// handler may have run twice for a job; and the drain must finish within <see cref="RecoveryBound"/> after the
/// database is back. Prints per-phase timings, the outage's start and end, and the worker's warnings.
/// </summary>
internal static class OutageDrain
{
    /// <summary>The lease of every run: far longer than the outage, so no outcome may be given up within it.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long after the database is back the drain may take to finish: the held outcomes are to be recorded "the moment
    /// the database is back" (plus a backoff step), and the rest of the DAG drains in a few seconds when healthy.
    /// </summary>
    public static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(45);

    private const int Concurrency = 8;
    private const double OutageAtFraction = 0.25;
    private static readonly TimeSpan HandlerDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(OutageScenario scenario)
    {
        var name = scenario.Name;
        void Say(string message) => TestContext.Progress.WriteLine($"[{name} fault] {message}");

        var total = Stopwatch.StartNew();
        var phase = Stopwatch.StartNew();
        var executions = new ConcurrentBag<(JobId Job, RunId Run)>();
        var returned = new ConcurrentDictionary<RunId, TimeSpan>();
        var gate = new Gate();
        var logs = new CapturedLogs();

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddOrderLib(o =>
        {
            scenario.UseStore(o);
            o.Configure(options => options.LeaseDuration = Lease);
            o.AddWorker(worker =>
            {
                worker.WorkerId = $"fault-{name.ToLowerInvariant()}";
                worker.Concurrency = Concurrency;
                worker.BatchSize = Concurrency;
                worker.IdlePollIntervalMin = TimeSpan.FromMilliseconds(20);
                worker.IdlePollIntervalMax = TimeSpan.FromMilliseconds(500);
                worker.RescueInterval = TimeSpan.FromSeconds(1);
                worker.ShutdownTimeout = TimeSpan.FromSeconds(10);
                worker.HandleAny(async (context, cancellationToken) =>
                {
                    executions.Add((context.JobId, context.RunId));
                    await gate.PassAsync(cancellationToken);
                    await Task.Delay(HandlerDelay, cancellationToken);
                    returned[context.RunId] = total.Elapsed;
                });
            });
        });
        using var host = builder.Build();
        var orderLib = host.Services.GetRequiredService<IOrderLib>();

        // 1. The graph: every job has one attempt, so an outcome given up (and its run rescued) fails the job for good.
        var dag = LayeredDag.Create(scenario.Dag.Layers, scenario.Dag.Width, seed: 20260415, isSlow: (_, _) => false);
        var (jobs, jobsTime) = await CreateGraphAsync(orderLib, dag, scenario.CreationParallelism);
        var graphTime = phase.Elapsed;
        Say($"graph: {dag.JobCount} jobs, {dag.Edges.Count} edges, max attempts 1, in {graphTime.TotalSeconds:0.0} s ({jobsTime.TotalSeconds:0.0} s jobs, {scenario.CreationParallelism} calls at a time)");

        var outageDescription = "none";
        var stopped = false;
        TimeSpan? outageStartedAt = null, outageEndedAt = null;
        try
        {
            // 2. The worker starts; the trigger enqueues the whole pipeline.
            phase.Restart();
            await host.StartAsync();
            var triggered = await orderLib.Runs.TriggerAsync(jobs[LayeredDag.Root].Id);
            var triggerTime = phase.Elapsed;
            var triggeredAt = total.Elapsed;
            Assert.That(triggered.Runs, Has.Count.EqualTo(dag.JobCount), "the trigger enqueues every job of the pipeline");
            Say($"worker started ({Concurrency} slots, lease {Lease.TotalSeconds:0} s) and pipeline triggered in {triggerTime.TotalSeconds:0.0} s");

            // 3. Healthy drain until a quarter succeeded; then the gate holds every handler that starts until the database is down.
            phase.Restart();
            var quarter = (int)Math.Ceiling(dag.JobCount * OutageAtFraction);
            await WaitUntilAsync(async () => await CountAsync(scenario, "Succeeded") >= quarter, $"{quarter} runs to succeed before the outage", scenario, logs);
            gate.Close();
            var clock = Stopwatch.StartNew();
            while (gate.Waiting < Concurrency && clock.Elapsed < PhaseTimeout)
            {
                await Task.Delay(5); // polls the gate's count (no database access, the worker is busy claiming)
            }

            Assert.That(gate.Waiting, Is.GreaterThan(0), $"no handler reached the gate within {PhaseTimeout.TotalSeconds:0} s, so no outcome would be produced during the outage");
            var heldAtGate = gate.Waiting;
            var succeededBefore = await CountAsync(scenario, "Succeeded");
            var healthyTime = phase.Elapsed;

            // 4. The outage: the database goes away, the held handlers return while it is away, and it comes back.
            phase.Restart();
            outageDescription = await scenario.BeginOutage();
            outageStartedAt = total.Elapsed;
            var downTime = phase.Elapsed;
            Say($"outage START at {outageStartedAt.Value.TotalSeconds:0.0} s ({downTime.TotalSeconds:0.00} s to take it down): {outageDescription}; " +
                $"{succeededBefore} of {dag.JobCount} succeeded, {executions.Count} handlers started, {heldAtGate} held at the gate and released now");
            gate.Open();
            await Task.Delay(scenario.OutageDuration); // the fault's length, not a synchronisation
            var returnedDuringOutage = returned.Count(r => r.Value >= outageStartedAt.Value);
            phase.Restart();
            var endDescription = await scenario.EndOutage();
            outageEndedAt = total.Elapsed;
            var upTime = phase.Elapsed;
            Say($"outage END at {outageEndedAt.Value.TotalSeconds:0.0} s ({upTime.TotalSeconds:0.00} s to bring it back): {endDescription}; " +
                $"{returnedDuringOutage} handler(s) returned while it was down, {executions.Count} handlers started so far");
            Assert.That(returnedDuringOutage, Is.GreaterThan(0), "the outage caught outcomes to record (handlers that returned while the database was down)");

            // 5. The drain must finish within the bound after the database is back.
            phase.Restart();
            var drained = false;
            var failedEarly = false;
            Dictionary<string, long> counts = [];
            var nextProgress = TimeSpan.FromSeconds(5);
            while (phase.Elapsed < RecoveryBound)
            {
                counts = await StatusCountsAsync(scenario);
                if (counts.GetValueOrDefault("Pending") == 0 && counts.GetValueOrDefault("Running") == 0)
                {
                    drained = true;
                    break;
                }

                if (counts.GetValueOrDefault("Failed") + counts.GetValueOrDefault("Cancelled") > 0)
                {
                    failedEarly = true; // with one attempt per job the drain cannot succeed any more: say which runs ended how
                    break;
                }

                if (phase.Elapsed > nextProgress)
                {
                    Say($"{phase.Elapsed.TotalSeconds:0} s after the outage: {FormatCounts(counts)}");
                    nextProgress += TimeSpan.FromSeconds(5);
                }

                await Task.Delay(100);
            }

            var recoveryTime = phase.Elapsed;
            var drainTime = total.Elapsed - triggeredAt;
            Say($"{(drained ? "drained" : failedEarly ? "runs FAILED; stopped waiting" : "NOT drained")} {recoveryTime.TotalSeconds:0.0} s after the database was back (bound {RecoveryBound.TotalSeconds:0} s); " +
                $"trigger to end {drainTime.TotalSeconds:0.0} s; runs: {FormatCounts(counts)}");
            if (!drained && !failedEarly)
            {
                Assert.Fail($"The drain did not finish within {RecoveryBound.TotalSeconds:0} s after the database was back. " +
                            await UnrecordedAsync(scenario, returned) + $"\nWorker log:{logs.Summary()}");
            }

            // 6. What the database and the handlers say.
            stopped = true;
            await host.StopAsync();
            phase.Restart();
            var problems = await VerifyAsync(scenario, dag, jobs, executions);
            Say($"phases: graph {graphTime.TotalSeconds:0.0} s, start+trigger {triggerTime.TotalSeconds:0.0} s, healthy drain to {succeededBefore} succeeded {healthyTime.TotalSeconds:0.0} s, " +
                $"take down {downTime.TotalSeconds:0.00} s, down {scenario.OutageDuration.TotalSeconds:0} s, bring back {upTime.TotalSeconds:0.00} s, recovery drain {recoveryTime.TotalSeconds:0.0} s, " +
                $"verify {phase.Elapsed.TotalSeconds:0.0} s, total {total.Elapsed.TotalSeconds:0.0} s; {executions.Count} handler executions for {dag.JobCount} jobs");
            Say("worker log:" + logs.Summary());
            Assert.That(problems, Is.Empty, () => $"{problems.Count} problem(s):\n" + string.Join('\n', problems.Take(30)));
        }
        finally
        {
            gate.Open();
            if (outageStartedAt is not null && outageEndedAt is null)
            {
                Say("the test ended during the outage: bringing the database back");
                await scenario.EndOutage();
            }

            if (!stopped)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await host.StopAsync(stop.Token);
            }
        }
    }

    /// <summary>Creates the jobs (max attempts 1) and their dependencies, deepest layer first as <see cref="LayeredDag.CreateAsync"/> does.</summary>
    private static async Task<(IReadOnlyDictionary<string, Job> Jobs, TimeSpan JobsTime)> CreateGraphAsync(IOrderLib orderLib, LayeredDag dag, int parallelism)
    {
        var clock = Stopwatch.StartNew();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism };
        var jobs = new ConcurrentDictionary<string, Job>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(dag.Names, parallel, async (jobName, cancellationToken) =>
            jobs[jobName] = await orderLib.Jobs.CreateAsync(new JobDefinition(jobName) { MaxAttempts = 1 }, cancellationToken));
        var jobsTime = clock.Elapsed;

        var layerOf = dag.Layers.SelectMany((names, layer) => names.Select(n => (n, layer))).ToDictionary(x => x.n, x => x.layer, StringComparer.Ordinal);
        foreach (var layer in dag.Edges.GroupBy(edge => layerOf[edge.Job]).OrderByDescending(group => group.Key))
        {
            await Parallel.ForEachAsync(layer, parallel, async (edge, cancellationToken) =>
                await orderLib.Dependencies.AddAsync(jobs[edge.Job].Id, jobs[edge.DependsOn].Id, cancellationToken));
        }

        return (jobs, jobsTime);
    }

    private static async Task<List<string>> VerifyAsync(OutageScenario scenario, LayeredDag dag, IReadOnlyDictionary<string, Job> jobs, ConcurrentBag<(JobId Job, RunId Run)> executions)
    {
        var problems = new List<string>();
        var runs = await QueryAsync(
            scenario,
            $"SELECT j.name, r.id, r.status, r.error, r.attempt, r.worker_id FROM {scenario.Table("job_runs")} r JOIN {scenario.Table("jobs")} j ON j.id = r.job_id",
            reader => (Job: reader.GetString(0), Run: Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture), Status: reader.GetString(2),
                       Error: reader.IsDBNull(3) ? null : reader.GetString(3), Attempt: Convert.ToInt32(reader.GetValue(4), CultureInfo.InvariantCulture),
                       Worker: reader.IsDBNull(5) ? null : reader.GetString(5)));
        var runsByJob = runs.ToLookup(r => r.Job, StringComparer.Ordinal);

        // Outcomes the worker could not record within their lease end rescued as "worker lost": there must be none.
        var lost = runs.Where(r => r is { Status: "Failed", Error: "worker lost" }).ToList();
        if (lost.Count > 0)
        {
            problems.Add($"{lost.Count} run(s) were rescued as 'worker lost' (their outcome was not recorded within the {Lease.TotalSeconds:0} s lease): " +
                         string.Join(", ", lost.Take(10).Select(r => $"{r.Job} run {r.Run}")));
        }

        foreach (var jobName in dag.Names)
        {
            var jobRuns = runsByJob[jobName].ToList();
            if (jobRuns.Count != 1 || jobRuns[0].Status != "Succeeded")
            {
                problems.Add($"{jobName}: expected exactly one run, Succeeded; got {string.Join("; ", jobRuns.Select(r => $"run {r.Run} attempt {r.Attempt} {r.Status} by {r.Worker} '{r.Error}'"))}");
            }
        }

        foreach (var run in runs.Where(r => r.Status is "Failed" or "Cancelled" && r.Error != "worker lost"))
        {
            problems.Add($"{run.Job}: run {run.Run} ended {run.Status} '{run.Error}'");
        }

        // The handler ran once per job: the bag holds each job exactly once (and only jobs of the DAG).
        var nameOf = jobs.ToDictionary(j => j.Value.Id, j => j.Key);
        foreach (var group in executions.GroupBy(e => e.Job))
        {
            var jobName = nameOf.GetValueOrDefault(group.Key, $"unknown job {group.Key}");
            if (group.Count() != 1)
            {
                problems.Add($"{jobName}: the handler ran {group.Count()} times (runs {string.Join(", ", group.Select(e => e.Run))})");
            }
        }

        var executed = executions.Select(e => e.Job).ToHashSet();
        var neverRan = jobs.Where(j => !executed.Contains(j.Value.Id)).Select(j => j.Key).ToList();
        if (neverRan.Count > 0)
        {
            problems.Add($"{neverRan.Count} job(s) never reached the handler: {string.Join(", ", neverRan.Take(10))}");
        }

        return problems;
    }

    /// <summary>For a drain that did not finish: which runs are still Running although their handler returned (outcomes not recorded), and the counts.</summary>
    private static async Task<string> UnrecordedAsync(OutageScenario scenario, ConcurrentDictionary<RunId, TimeSpan> returned)
    {
        var running = await QueryAsync(scenario, $"SELECT id FROM {scenario.Table("job_runs")} WHERE status = 'Running'", reader => new RunId(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture)));
        var unrecorded = running.Where(returned.ContainsKey).ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Runs: {FormatCounts(await StatusCountsAsync(scenario))}. ");
        text.Append(CultureInfo.InvariantCulture, $"{unrecorded.Count} of the {running.Count} Running run(s) had a handler that already returned, i.e. an outcome the worker has not recorded");
        if (unrecorded.Count > 0)
        {
            text.Append(" (runs ").Append(string.Join(", ", unrecorded.Take(10))).Append(')');
        }

        return text.Append('.').ToString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, OutageScenario scenario, CapturedLogs logs)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > PhaseTimeout)
            {
                Assert.Fail($"Waited {PhaseTimeout.TotalSeconds:0} s for {what}. Runs: {FormatCounts(await StatusCountsAsync(scenario))}. Worker log:{logs.Summary()}");
            }

            await Task.Delay(20);
        }
    }

    private static async Task<long> CountAsync(OutageScenario scenario, string status) =>
        (await StatusCountsAsync(scenario)).GetValueOrDefault(status);

    private static async Task<Dictionary<string, long>> StatusCountsAsync(OutageScenario scenario) =>
        (await QueryAsync(scenario, $"SELECT status, COUNT(*) FROM {scenario.Table("job_runs")} GROUP BY status",
            reader => (Status: reader.GetString(0), Count: Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture))))
        .ToDictionary(row => row.Status, row => row.Count, StringComparer.Ordinal);

    private static string FormatCounts(Dictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private static Task<List<T>> QueryAsync<T>(OutageScenario scenario, string sql, Func<DbDataReader, T> read) =>
        DbQuery.ListAsync(scenario.CreateConnection(), sql, read);

    /// <summary>Open: handlers pass. Closed: handlers wait (counted) until it opens again.</summary>
    private sealed class Gate
    {
        private volatile TaskCompletionSource _open = Opened();
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public async Task PassAsync(CancellationToken cancellationToken)
        {
            var open = _open.Task;
            if (open.IsCompleted)
            {
                return;
            }

            Interlocked.Increment(ref _waiting);
            await open.WaitAsync(cancellationToken);
        }

        private static TaskCompletionSource Opened()
        {
            var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            source.SetResult();
            return source;
        }
    }
}
