using OrderLib.Adapters.Postgres;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Benchmarks;

/// <summary>One measured figure that is not a drain: samples in <see cref="Unit"/> (usually ms), with a note for the report.</summary>
internal sealed record FigureResult(string Provider, string Name, string Unit, IReadOnlyList<double> Samples, string Note)
{
    public double Percentile(double p) => Percentiles.Of(Samples, p);
}

/// <summary>Nearest-rank percentiles of samples.</summary>
internal static class Percentiles
{
    /// <summary>The smallest sample that at least <paramref name="p"/> of the samples do not exceed; NaN without samples.</summary>
    public static double Of(IEnumerable<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>A job graph to define: job names, and edges as (job index, depends-on job index).</summary>
internal sealed record GraphSpec(IReadOnlyList<string> Names, IReadOnlyList<(int Job, int DependsOn)> Edges, IReadOnlyList<int> Roots)
{
    /// <summary>
    /// The Python predecessor's workload: <paramref name="jobs"/> jobs in layers of <paramref name="layerSize"/>; every job
    /// after the first layer depends on 1 or 2 distinct random jobs (fixed <paramref name="seed"/>) of the layer above.
    /// </summary>
    public static GraphSpec Layered(int jobs, int layerSize, int seed)
    {
        var random = new Random(seed);
        var names = new List<string>(jobs);
        var edges = new List<(int, int)>();
        for (var i = 0; i < jobs; i++)
        {
            var layer = i / layerSize;
            names.Add(string.Create(CultureInfo.InvariantCulture, $"p-{layer:000}-{i % layerSize:000}"));
            if (layer == 0)
            {
                continue;
            }

            var above = (layer - 1) * layerSize;
            var first = above + random.Next(layerSize);
            edges.Add((i, first));
            if (random.Next(2) == 1)
            {
                var second = above + random.Next(layerSize);
                if (second != first)
                {
                    edges.Add((i, second));
                }
            }
        }

        return new GraphSpec(names, edges, Enumerable.Range(0, Math.Min(layerSize, jobs)).ToArray());
    }

    /// <summary>
    /// The big graph of the <c>define</c> scenario: <paramref name="jobs"/> jobs in layers of <paramref name="layerSize"/>, and
    /// <paramref name="edges"/> edges dealt round-robin over the jobs after the first layer, each to a distinct job of the
    /// layer above (consecutive from a random start, fixed <paramref name="seed"/>).
    /// </summary>
    public static GraphSpec Wide(int jobs, int edges, int layerSize, int seed)
    {
        var dependents = jobs - layerSize;
        if (dependents <= 0 || (edges + dependents - 1) / dependents > layerSize)
        {
            throw new ArgumentException($"{edges} edges do not fit {jobs} jobs in layers of {layerSize}.");
        }

        var random = new Random(seed);
        var names = Enumerable.Range(0, jobs).Select(i => string.Create(CultureInfo.InvariantCulture, $"w-{i / layerSize:000}-{i % layerSize:0000}")).ToArray();
        var start = Enumerable.Range(0, dependents).Select(_ => random.Next(layerSize)).ToArray();
        var list = new List<(int, int)>(edges);
        for (var k = 0; k < edges; k++)
        {
            var job = layerSize + (k % dependents);
            var above = ((job / layerSize) - 1) * layerSize;
            list.Add((job, above + ((start[job - layerSize] + (k / dependents)) % layerSize)));
        }

        return new GraphSpec(names, list, Enumerable.Range(0, layerSize).ToArray());
    }

    /// <summary>The graph as the library's bulk call takes it.</summary>
    public GraphDefinition ToDefinition() => new(
        Names.Select(n => new JobDefinition(n)),
        Edges.Select(e => new GraphDependency(Names[e.Job], Names[e.DependsOn])));
}

/// <summary>
/// THE SEAM for a bulk "define graph" call: how the predecessor workload defines its jobs and dependencies. Today
/// <see cref="PerCallGraphDefiner"/> (one <c>Jobs.CreateAsync</c> per job, one <c>Dependencies.AddAsync</c> per edge); when
/// the library has a bulk API, add an implementation that makes one call and select it in <see cref="Probes.Definers"/>.
/// </summary>
internal interface IGraphDefiner
{
    /// <summary>Shown in the report.</summary>
    string Name { get; }

    /// <summary>Creates the jobs and edges; returns the job ids in <see cref="GraphSpec.Names"/> order.</summary>
    Task<IReadOnlyList<JobId>> DefineAsync(IOrderLib lib, GraphSpec spec, CancellationToken cancellationToken);
}

/// <summary>Today's public API: one <c>Jobs.CreateAsync</c> per job, then one <c>Dependencies.AddAsync</c> per edge, each timed.</summary>
internal sealed class PerCallGraphDefiner : IGraphDefiner
{
    public string Name => "Jobs.CreateAsync per job + Dependencies.AddAsync per edge";

    public List<double> CreateMs { get; } = [];

    public List<double> AddMs { get; } = [];

    public async Task<IReadOnlyList<JobId>> DefineAsync(IOrderLib lib, GraphSpec spec, CancellationToken cancellationToken)
    {
        var ids = new JobId[spec.Names.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            ids[i] = (await lib.Jobs.CreateAsync(new JobDefinition(spec.Names[i]), cancellationToken)).Id;
            CreateMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        foreach (var (job, dependsOn) in spec.Edges)
        {
            var started = Stopwatch.GetTimestamp();
            await lib.Dependencies.AddAsync(ids[job], ids[dependsOn], cancellationToken);
            AddMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return ids;
    }
}

/// <summary>The bulk call: one <c>Jobs.DefineGraphAsync</c> with every job and edge.</summary>
internal sealed class BulkGraphDefiner : IGraphDefiner
{
    public string Name => "one Jobs.DefineGraphAsync";

    public async Task<IReadOnlyList<JobId>> DefineAsync(IOrderLib lib, GraphSpec spec, CancellationToken cancellationToken)
    {
        var result = await lib.Jobs.DefineGraphAsync(spec.ToDefinition(), cancellationToken);
        return result.Jobs.Select(j => j.Job.Id).ToArray();
    }
}

/// <summary>One way of running the predecessor workload's triggered runs to the end: its name, a note for the report, and the run itself.</summary>
internal sealed record PredecessorRunner(string Name, string Note, Func<IServiceProvider, int, Task<DrainResult>> RunAsync);

/// <summary>The measurements that are not drains: predecessor workload, TriggerAsync, AddAsync on a big graph, claim probe, idle worker.</summary>
internal sealed class Probes(BenchSettings settings, Report report, Action<string> log)
{
    private const string CaseDb = "probe";

    /// <summary>The graph definers to measure: the bulk call, and the per-call API beside it for comparison.</summary>
    public static IReadOnlyList<Func<IGraphDefiner>> Definers { get; } = [() => new BulkGraphDefiner(), () => new PerCallGraphDefiner()];

    /// <summary>
    /// The predecessor workload: define, trigger the whole graph with one multi-root <c>Runs.TriggerAsync</c> of the first
    /// layer, run everything to the end — each round once per way of running it (<see cref="PredecessorRunners"/>), each on
    /// a fresh copy of the empty template.
    /// </summary>
    public async Task PredecessorAsync(BenchDatabase engine, string emptyTemplate)
    {
        var spec = GraphSpec.Layered(settings.PredJobs, settings.PredLayer, settings.PredSeed);
        foreach (var makeDefiner in Definers)
        {
            var definer = makeDefiner();
            var runners = PredecessorRunners(engine);
            var samples = runners.ToDictionary(r => r.Name, _ => (Define: new List<double>(), Trigger: new List<double>(), Run: new List<double>(), Total: new List<double>()));
            for (var round = 1; round <= settings.Repeat; round++)
            {
                foreach (var runner in runners)
                {
                    var times = await PredecessorRoundAsync(engine, emptyTemplate, spec, definer, runner);
                    var (define, trigger, run, total) = samples[runner.Name];
                    define.Add(times.Define.TotalMilliseconds);
                    trigger.Add(times.Trigger.TotalMilliseconds);
                    run.Add(times.Run.TotalMilliseconds);
                    total.Add(times.Total.TotalMilliseconds);
                    log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} predecessor ({definer.Name}; {runner.Name}) round {round}: define {times.Define.TotalMilliseconds:0} ms, trigger {times.Trigger.TotalMilliseconds:0} ms, run {times.Run.TotalMilliseconds:0} ms, end to end {times.Total.TotalMilliseconds:0} ms"));
                }
            }

            var shape = string.Create(CultureInfo.InvariantCulture, $"{spec.Names.Count} jobs, {spec.Edges.Count} edges, layers of {settings.PredLayer}, seed {settings.PredSeed}");
            foreach (var runner in runners)
            {
                var (define, trigger, run, total) = samples[runner.Name];
                report.Figures.Add(new FigureResult(engine.Name, $"predecessor ({definer.Name}; {runner.Name}): define", "ms", define, $"{shape}; {definer.Name}"));
                report.Figures.Add(new FigureResult(engine.Name, $"predecessor ({definer.Name}; {runner.Name}): trigger", "ms", trigger, $"one Runs.TriggerAsync of the {spec.Roots.Count} first-layer jobs"));
                report.Figures.Add(new FigureResult(engine.Name, $"predecessor ({definer.Name}; {runner.Name}): run", "ms", run, runner.Note));
                report.Figures.Add(new FigureResult(engine.Name, $"predecessor ({definer.Name}; {runner.Name}): trigger + run", "ms", trigger.Zip(run, (t, r) => t + r).ToList(), "everything but the definition"));
                report.Figures.Add(new FigureResult(engine.Name, $"predecessor ({definer.Name}; {runner.Name}): end to end", "ms", total, "define + trigger + run, one process"));
            }

            if (definer is PerCallGraphDefiner perCall)
            {
                report.Figures.Add(new FigureResult(engine.Name, "predecessor: one Jobs.CreateAsync", "ms", perCall.CreateMs, "every call of every round"));
                report.Figures.Add(new FigureResult(engine.Name, "predecessor: one Dependencies.AddAsync", "ms", perCall.AddMs, "every call of every round (small graph)"));
            }
        }
    }

    /// <summary>
    /// <c>define</c>: <c>--define-jobs</c> jobs and <c>--define-edges</c> edges (<see cref="GraphSpec.Wide"/>) in one
    /// <c>Jobs.DefineGraphAsync</c> (the <see cref="GraphDefinition"/> built inside the timing), and the hand-written
    /// reference writing the same rows (<see cref="BenchDatabase.ReferenceDefineAsync"/>), each on a fresh copy of the empty
    /// migrated database, in alternating order, <c>--repeat</c> rounds; the rows are counted after each. The ratio
    /// library / reference of each round is a figure of its own.
    /// </summary>
    public async Task DefineAsync(BenchDatabase engine, string emptyTemplate)
    {
        var spec = GraphSpec.Wide(settings.DefineJobs, settings.DefineEdges, settings.DefineLayer, settings.PredSeed);
        var (library, reference, ratios) = (new List<double>(), new List<double>(), new List<double>());
        for (var round = 1; round <= settings.Repeat; round++)
        {
            var times = new Dictionary<string, double>();
            foreach (var which in round % 2 == 1 ? (string[])["library", "reference"] : ["reference", "library"])
            {
                await engine.CopyAsync(emptyTemplate, CaseDb, CancellationToken.None);
                var ms = which == "library"
                    ? await engine.WithServicesAsync(CaseDb, async services =>
                    {
                        var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
                        var started = Stopwatch.GetTimestamp();
                        var result = await lib.Jobs.DefineGraphAsync(spec.ToDefinition(), CancellationToken.None);
                        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        if (result.Jobs.Count != spec.Names.Count || result.DependenciesAdded != spec.Edges.Count)
                        {
                            throw new InvalidOperationException($"define: the call reported {result.Jobs.Count} jobs and {result.DependenciesAdded} edges added.");
                        }

                        return elapsed;
                    })
                    : await engine.ReferenceDefineAsync(CaseDb, spec, CancellationToken.None);
                var (jobs, edges) = await engine.CountGraphAsync(CaseDb, CancellationToken.None);
                await engine.DropAsync(CaseDb, CancellationToken.None);
                if (jobs != spec.Names.Count || edges != spec.Edges.Count)
                {
                    throw new InvalidOperationException($"define ({which}): {jobs} jobs and {edges} edges stored; expected {spec.Names.Count} and {spec.Edges.Count}.");
                }

                times[which] = ms;
            }

            library.Add(times["library"]);
            reference.Add(times["reference"]);
            ratios.Add(times["library"] / times["reference"]);
            log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} define round {round}: DefineGraphAsync {times["library"]:0} ms, reference {times["reference"]:0} ms, ratio {times["library"] / times["reference"]:0.00}"));
        }

        var shape = string.Create(CultureInfo.InvariantCulture, $"{spec.Names.Count:N0} jobs, {spec.Edges.Count:N0} edges, layers of {settings.DefineLayer}; fresh copy of the empty database per call; rows counted after");
        report.Figures.Add(new FigureResult(engine.Name, "define: one Jobs.DefineGraphAsync", "ms", library, shape));
        report.Figures.Add(new FigureResult(engine.Name, "define: hand-written reference", "ms", reference, engine.ReferenceDefineDescription));
        report.Figures.Add(new FigureResult(engine.Name, "define: DefineGraphAsync / reference", "×", ratios, "one sample per round, both measured in the same round"));
    }

    // The ways the predecessor workload's runs are run, each measured every round: the worker API as a hand-written loop
    // (WorkerRunService claim, then one batched ReportOutcomesAsync per claim), and the hosted worker (AddWorker, a no-op
    // handler; its time runs from starting the host until no run is Pending or Running).
    private List<PredecessorRunner> PredecessorRunners(BenchDatabase engine) =>
    [
        new(
            "WorkerRunService",
            string.Create(CultureInfo.InvariantCulture, $"WorkerRunService claim + one batched ReportOutcomesAsync per claim, {settings.PredWorkers} workers, claim limit {settings.PredBatch}"),
            (services, runs) => Drain.RunAsync(services.GetRequiredService<WorkerRunService>(), settings.PredWorkers, settings.PredBatch, runs, TimeSpan.FromMinutes(5))),
        new(
            "hosted worker",
            string.Create(CultureInfo.InvariantCulture, $"one hosted worker (AddWorker, no-op handler), Concurrency {settings.HostedSlots}, BatchSize {settings.HostedBatch}; host start to no run Pending or Running"),
            (_, runs) => HostedWorker.DrainAsync(engine, CaseDb, settings.HostedSlots, settings.HostedBatch, settings.HostedReports, runs, TimeSpan.FromMinutes(5))),
    ];

    // One round of the predecessor workload on a fresh copy of the empty template: define, one multi-root trigger, run.
    private static async Task<(TimeSpan Define, TimeSpan Trigger, TimeSpan Run, TimeSpan Total)> PredecessorRoundAsync(
        BenchDatabase engine, string emptyTemplate, GraphSpec spec, IGraphDefiner definer, PredecessorRunner runner)
    {
        await engine.CopyAsync(emptyTemplate, CaseDb, CancellationToken.None);
        var times = await engine.WithServicesAsync(CaseDb, async services =>
        {
            var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
            var clock = Stopwatch.StartNew();
            var ids = await definer.DefineAsync(lib, spec, CancellationToken.None);
            var defined = clock.Elapsed;
            var created = (await lib.Runs.TriggerAsync(spec.Roots.Select(root => ids[root]).ToArray(), cancellationToken: CancellationToken.None)).Runs.Count(r => r.Created);
            var triggered = clock.Elapsed;
            if (created != spec.Names.Count)
            {
                throw new InvalidOperationException($"Triggering the {spec.Roots.Count} roots created {created} runs; the graph has {spec.Names.Count} jobs.");
            }

            await runner.RunAsync(services, spec.Names.Count);
            return (defined, triggered - defined, clock.Elapsed - triggered, clock.Elapsed);
        });
        var outcome = await engine.CountOutcomesAsync(CaseDb, CancellationToken.None);
        await engine.DropAsync(CaseDb, CancellationToken.None);
        if (outcome.Succeeded != spec.Names.Count || outcome.Pending != 0 || outcome.Running != 0)
        {
            throw new InvalidOperationException($"predecessor ({runner.Name}): {outcome.Succeeded} of {spec.Names.Count} runs Succeeded, {outcome.Pending} Pending, {outcome.Running} Running.");
        }

        return times;
    }

    /// <summary>One <c>Runs.TriggerAsync</c> of the DAG's root, on a fresh copy of the DAG template without runs, repeated.</summary>
    public async Task TriggerAsync(BenchDatabase engine, string dagDefinitionTemplate, long rootId, int expectedRuns, long edges)
    {
        var samples = new List<double>();
        for (var round = 1; round <= settings.Repeat; round++)
        {
            await engine.CopyAsync(dagDefinitionTemplate, CaseDb, CancellationToken.None);
            var (ms, created) = await engine.WithServicesAsync(CaseDb, async services =>
            {
                var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
                var started = Stopwatch.GetTimestamp();
                var results = await lib.Runs.TriggerAsync(new JobId(rootId), cancellationToken: CancellationToken.None);
                return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, results.Runs.Count(r => r.Created));
            });
            await engine.DropAsync(CaseDb, CancellationToken.None);
            if (created != expectedRuns)
            {
                throw new InvalidOperationException($"TriggerAsync created {created} runs; the DAG has {expectedRuns} jobs.");
            }

            samples.Add(ms);
            log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} TriggerAsync of the {expectedRuns:N0}-job DAG, round {round}: {ms:0} ms"));
        }

        report.Figures.Add(new FigureResult(engine.Name, $"TriggerAsync of a {expectedRuns:N0}-job DAG", "ms", samples, string.Create(CultureInfo.InvariantCulture, $"{edges:N0} edges; fresh copy per call, each a first call on new services")));
    }

    /// <summary>
    /// <c>Dependencies.AddAsync</c> on a big layered graph bulk-loaded with SQL: each call adds a new edge from a random job
    /// to a random job at least two layers up (never a duplicate, never a cycle). 10 warm-up calls are not counted.
    /// </summary>
    public async Task AddDependencyAsync(BenchDatabase engine, string bigTemplate, int jobs, long edges)
    {
        await engine.CopyAsync(bigTemplate, CaseDb, CancellationToken.None);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var connection = await engine.OpenAsync(CaseDb, CancellationToken.None))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, id FROM jobs WHERE name LIKE 'dag-%'";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var random = new Random(7);
        var (layers, width) = (settings.AddDepLayers, settings.AddDepWidth);
        var samples = await engine.WithServicesAsync(CaseDb, async services =>
        {
            var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
            var added = new HashSet<(int, int, int, int)>();
            var ms = new List<double>();
            for (var i = 0; i < settings.AddDepCalls + 10; i++)
            {
                (int, int, int, int) edge;
                do
                {
                    var childLayer = random.Next(3, layers + 1);
                    edge = (childLayer, random.Next(width), random.Next(1, childLayer - 1), random.Next(width));
                }
                while (!added.Add(edge));

                var child = ids[string.Create(CultureInfo.InvariantCulture, $"dag-{edge.Item1}-{edge.Item2}")];
                var parent = ids[string.Create(CultureInfo.InvariantCulture, $"dag-{edge.Item3}-{edge.Item4}")];
                var started = Stopwatch.GetTimestamp();
                await lib.Dependencies.AddAsync(new JobId(child), new JobId(parent), CancellationToken.None);
                if (i >= 10)
                {
                    ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            return ms;
        });
        await engine.DropAsync(CaseDb, CancellationToken.None);
        var figure = new FigureResult(engine.Name, $"Dependencies.AddAsync on a {jobs:N0}-job graph", "ms", samples, string.Create(CultureInfo.InvariantCulture, $"{edges:N0} edges bulk-loaded with SQL ({layers} layers of {width}); a new edge from a random job to a random job at least 2 layers up; 10 warm-up calls not counted"));
        report.Figures.Add(figure);
        log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} AddAsync on {jobs:N0} jobs: p50 {figure.Percentile(0.5):0.00} ms, p99 {figure.Percentile(0.99):0.00} ms"));
    }

    /// <summary>One worker, <c>ClaimAsync(limit 100)</c> repeated on a fresh copy of the queue template (5 warm-up claims not counted).</summary>
    public async Task ClaimAsync(BenchDatabase engine, string queueTemplate, int history, int round)
    {
        var calls = Math.Min(settings.ClaimCalls, (settings.Runs / 100) - 5); // every claim must find 100 ready runs
        if (calls < 1)
        {
            report.Notes.Add($"claim: skipped, --runs {settings.Runs} is too small for 100-run claims");
            return;
        }

        await engine.CopyAsync(queueTemplate, CaseDb, CancellationToken.None);
        var samples = await engine.WithServicesAsync(CaseDb, async services =>
        {
            var queue = services.GetRequiredService<WorkerRunService>();
            var ms = new List<double>();
            for (var i = 0; i < calls + 5; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var claimed = await queue.ClaimAsync(new WorkerId("bench-probe"), 100, null, CancellationToken.None);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (claimed.Count != 100)
                {
                    throw new InvalidOperationException($"A claim of 100 got {claimed.Count} runs; expected 100.");
                }

                if (i >= 5)
                {
                    ms.Add(elapsed);
                }
            }

            return ms;
        });
        await engine.DropAsync(CaseDb, CancellationToken.None);
        var figure = new FigureResult(engine.Name, string.Create(CultureInfo.InvariantCulture, $"ClaimAsync(100), 1 worker, history {history:N0}"), "ms", samples, $"round {round}");
        report.Figures.Add(figure);
        log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} claim probe @{history:N0} round {round}: p50 {figure.Percentile(0.5):0.00} ms"));
    }

    /// <summary>
    /// PostgreSQL only, for notifications <c>Listen</c> and <c>PollOnly</c>, <c>--repeat</c> rounds each: a hosted worker
    /// (default options) over a database with jobs but no runs. (1) For <c>--idle-seconds</c>, statements per second from
    /// <c>log_statement = all</c> lines of that database after a 2 s settling time (the LISTEN connection's included), and
    /// transactions per second from <c>pg_stat_database</c> over the host's whole life. (2) Enqueue → handler start latency
    /// of <c>--idle-enqueues</c> single enqueues spaced 0.2–1 s apart (random, fixed seed), each written through another
    /// store with its own data source (to PostgreSQL, another process): only a notification or the worker's poll wakes it.
    /// </summary>
    public async Task IdleAsync(PostgresBench engine, string emptyTemplate)
    {
        if (engine.LogPath is not { } logPath)
        {
            report.Notes.Add("idle: skipped (the server comes from " + PostgresBench.ConnectionStringVariable + "; its log is not readable)");
            return;
        }

        var p50 = new Dictionary<(PostgresNotifications, int), double>();
        for (var round = 1; round <= settings.Repeat; round++)
        {
            foreach (var mode in (PostgresNotifications[])[PostgresNotifications.Listen, PostgresNotifications.PollOnly])
            {
                engine.Notifications = mode;
                p50[(mode, round)] = await IdleRoundAsync(engine, emptyTemplate, logPath, mode, round);
            }
        }

        engine.Notifications = PostgresNotifications.Listen;
        var ratios = Enumerable.Range(1, settings.Repeat).Select(r => p50[(PostgresNotifications.Listen, r)] / p50[(PostgresNotifications.PollOnly, r)]).ToArray();
        report.Figures.Add(new FigureResult(engine.Name, "enqueue from another store → handler start p50, Listen / PollOnly", "×", ratios,
            "one sample per round: the Listen p50 over the PollOnly p50 of the same round"));
    }

    // One round of the idle probe with one notifications mode; returns the enqueue → handler start p50 in ms.
    private async Task<double> IdleRoundAsync(PostgresBench engine, string emptyTemplate, string logPath, PostgresNotifications mode, int round)
    {
        await engine.CopyAsync(emptyTemplate, CaseDb, CancellationToken.None);
        var names = Enumerable.Range(0, settings.IdleEnqueues).Select(i => string.Create(CultureInfo.InvariantCulture, $"idle-{i:000}")).ToArray();
        var jobIds = await engine.WithServicesAsync(CaseDb, async services =>
        {
            var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
            var list = new List<JobId>();
            foreach (var name in names)
            {
                list.Add((await lib.Jobs.CreateAsync(new JobDefinition(name))).Id);
            }

            return list;
        });
        await engine.AlterDatabaseAsync(CaseDb, "log_statement = 'all'", CancellationToken.None);
        var label = $"{mode}, round {round}";

        // (1) Idle: nothing to do.
        await Task.Delay(1000); // the job-creating backends have exited and flushed their counters
        var xactBefore = await engine.TransactionsAsync(CaseDb, CancellationToken.None);
        var life = Stopwatch.StartNew();
        string window;
        var host = HostedWorker.Build(engine, CaseDb, "bench-idle", Environment.ProcessorCount, 10, _ => Task.CompletedTask);
        try
        {
            await host.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            var from = new FileInfo(logPath).Length;
            await Task.Delay(TimeSpan.FromSeconds(settings.IdleSeconds));
            window = await ReadFromAsync(logPath, from);
            await host.StopAsync();
        }
        finally
        {
            host.Dispose();
            engine.ServicesDisposed();
        }

        var lifetime = life.Elapsed.TotalSeconds;
        await Task.Delay(1000); // exiting backends flush their counters
        var xact = await engine.TransactionsAsync(CaseDb, CancellationToken.None) - xactBefore;
        var statements = window.Split('\n').Where(l => l.Contains("LOG:  statement: ", StringComparison.Ordinal) || l.Contains("LOG:  execute ", StringComparison.Ordinal)).ToArray();
        var kinds = statements
            .Select(l => l[(l.IndexOf("LOG:  ", StringComparison.Ordinal) + 6)..])
            .Select(l => l.Length > 90 ? l[..90] : l)
            .GroupBy(l => l)
            .OrderByDescending(g => g.Count())
            .Take(4)
            .Select(g => $"{g.Count()}× `{g.Key.Replace('`', '\'')}`");
        report.Figures.Add(new FigureResult(engine.Name, $"idle hosted worker ({label}): statements/s (log_statement)", "1/s", [statements.Length / (double)settings.IdleSeconds],
            string.Create(CultureInfo.InvariantCulture, $"{statements.Length} statements in {settings.IdleSeconds} s after 2 s settling; {string.Join("; ", kinds)}")));
        report.Figures.Add(new FigureResult(engine.Name, $"idle hosted worker ({label}): transactions/s (pg_stat_database)", "1/s", [xact / lifetime],
            string.Create(CultureInfo.InvariantCulture, $"{xact} commits+rollbacks over the host's whole life of {lifetime:0.0} s, start and stop included")));
        log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} idle worker ({label}): {statements.Length} statements in {settings.IdleSeconds} s; {xact} transactions in {lifetime:0.0} s"));

        // (2) Enqueue through another store → handler start, one run at a time into the idle worker.
        await engine.AlterDatabaseAsync(CaseDb, "log_statement = 'none'", CancellationToken.None);
        var startedAt = new Dictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            startedAt[name] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var latencies = new List<double>();
        var enqueueMs = new List<double>();
        host = HostedWorker.Build(engine, CaseDb, "bench-idle", Environment.ProcessorCount, 10, context =>
        {
            startedAt[context.JobName].TrySetResult(Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        });
        try
        {
            await host.StartAsync();
            await using var other = engine.OtherStore(CaseDb);
            var client = new ClientId(BenchDatabase.Client);
            await Task.Delay(TimeSpan.FromSeconds(3)); // let the worker's idle back-off reach its maximum
            var random = new Random(11);
            for (var i = 0; i < names.Length; i++)
            {
                await Task.Delay(random.Next(200, 1000));
                var before = Stopwatch.GetTimestamp();
                await other.EnqueueRunAsync(client, jobIds[i], null, null, TimeProvider.System.GetUtcNow(), CancellationToken.None);
                enqueueMs.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                var handlerStart = await startedAt[names[i]].Task.WaitAsync(TimeSpan.FromSeconds(30));
                latencies.Add((handlerStart - before) * 1000.0 / Stopwatch.Frequency);
            }

            await host.StopAsync();
        }
        finally
        {
            host.Dispose();
            engine.ServicesDisposed();
        }

        await engine.DropAsync(CaseDb, CancellationToken.None);
        var figure = new FigureResult(engine.Name, $"enqueue from another store → handler start, idle hosted worker ({label})", "ms", latencies,
            string.Create(CultureInfo.InvariantCulture, $"{latencies.Count} single EnqueueRunAsync calls on a store with its own data source, 0.2–1 s apart; default worker options; the enqueue itself took {enqueueMs.Order().ElementAt(enqueueMs.Count / 2):0.0} ms p50"));
        report.Figures.Add(figure);
        log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} enqueue from another store → start ({label}): p50 {figure.Percentile(0.5):0} ms, p99 {figure.Percentile(0.99):0} ms"));
        return figure.Percentile(0.5);
    }

    private static async Task<string> ReadFromAsync(string path, long offset)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
