using OrderLib.Adapters.Sqlite;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Benchmarks;

// OrderLib claim + complete benchmark; see docs/benchmarks.md and --help.
BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (settings.Help)
{
    Console.WriteLine(BenchSettings.Usage);
    return 0;
}

var runner = new BenchRunner(settings);

// Ctrl+C or kill: stop the throwaway PostgreSQL server and remove the work directory before the process ends.
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => runner.Interrupted());
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => runner.Interrupted());
return await runner.RunAsync();

namespace OrderLib.Benchmarks
{
    /// <summary>Builds the templates, runs every selected case on a fresh copy, and prints the report.</summary>
    internal sealed class BenchRunner(BenchSettings settings)
    {
        private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Report _report = new(settings);
        private TimeSpan _waitedForQuiet;
        private string? _ownedWorkDirectory;

        /// <summary>Called on SIGINT/SIGTERM: stops the PostgreSQL server and deletes the work directory the harness created.</summary>
        public void Interrupted()
        {
            Log("interrupted: stopping the PostgreSQL server and removing the work directory");
            PostgresCluster.StopAll();
            if (_ownedWorkDirectory is { } directory)
            {
                TryDelete(directory);
            }
        }

        public async Task<int> RunAsync()
        {
            var workDirectory = settings.WorkDirectory ?? Path.Combine("/tmp", "orderlib-bench-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(workDirectory);
            _ownedWorkDirectory = settings.WorkDirectory is null ? workDirectory : null;
            Log($"work directory {workDirectory}; {settings.Describe()}");
            _report.Machine = MachineInfo.Collect();
            var failed = false;
            try
            {
                foreach (var provider in settings.Providers)
                {
                    await using BenchDatabase database = provider == "sqlite" ? new SqliteBench(workDirectory) : PostgresBench.Start(workDirectory);
                    try
                    {
                        await RunProviderAsync(database);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        failed = true;
                        Log($"{database.Name}: FAILED: {ex}");
                        _report.Failures.Add($"{database.Name}: {ex.GetType().Name}: {ex.Message}");
                    }
                }
            }
            finally
            {
                if (settings.WorkDirectory is null)
                {
                    TryDelete(workDirectory);
                }
            }

            _report.TotalTime = _clock.Elapsed;
            _report.WaitedForQuiet = _waitedForQuiet;
            var text = _report.ToMarkdown();
            Console.WriteLine(text);
            if (settings.OutputPath is not null)
            {
                await File.WriteAllTextAsync(settings.OutputPath, text);
                Log($"report written to {settings.OutputPath}");
            }

            return failed ? 1 : 0;
        }

        private async Task RunProviderAsync(BenchDatabase database)
        {
            var ct = CancellationToken.None;
            _report.Environments[database.Name] = await database.DescribeAsync(ct);
            var probes = new Probes(settings, _report, Log);
            var warmedUp = false;
            var dagRuns = settings.DagLayers * settings.DagWidth + 1;
            var onceDone = false;

            foreach (var history in settings.Histories)
            {
                var drains = settings.DrainsAt(history);
                var sqliteSync = drains && settings.Has("sync") && database is SqliteBench;
                var prune = drains && settings.Has("prune");
                var indexCost = drains && settings.Has("index-cost");
                var queue = (drains && (settings.Has("queue") || settings.Has("raw") || settings.Has("hosted"))) || settings.Has("claim") || sqliteSync || prune || indexCost;
                var dag = drains && (settings.Has("dag") || settings.Has("hosted-dag"));
                var once = !onceDone; // trigger, add-dep, predecessor and idle: at the first history only
                var trigger = once && settings.Has("trigger");
                onceDone = true;
                var tag = history.ToString(CultureInfo.InvariantCulture);
                var setup = new SetupResult(database.Name, history);
                _report.Setups.Add(setup);

                // 1. The history: migrations, then one set-based INSERT of finished runs.
                var baseDb = "base_" + tag;
                await database.CreateMigratedAsync(baseDb, ct);
                var started = Stopwatch.GetTimestamp();
                await database.LoadHistoryAsync(baseDb, history, settings.HistoryJobs, ct);
                setup.LoadHistory = Stopwatch.GetElapsedTime(started);
                await database.SealAsync(baseDb, ct);
                Log($"{database.Name}: loaded {history:N0} finished runs in {setup.LoadHistory.TotalSeconds:0.0} s");

                // 2. The queue template: jobs inserted set-based; runs enqueued through the public API (all of them, or a
                //    timed sample and the rest set-based, checked column by column against what the API wrote).
                var queueDb = "queue_" + tag;
                if (queue)
                {
                    await BuildQueueTemplateAsync(database, baseDb, queueDb, setup, ct);
                }

                // 3. The DAG: jobs and edges inserted set-based (template "dagdef", no runs); the DAG template gets its runs
                //    from one Runs.TriggerAsync of the root.
                var dagDefDb = "dagdef_" + tag;
                var dagDb = "dag_" + tag;
                var rootId = 0L;
                if (dag || trigger)
                {
                    await database.CopyAsync(baseDb, dagDefDb, ct);
                    (rootId, setup.DagEdges) = await database.CreateDagAsync(dagDefDb, settings.DagLayers, settings.DagWidth, ct);
                    await database.SealAsync(dagDefDb, ct);
                }

                if (dag)
                {
                    await database.CopyAsync(dagDefDb, dagDb, ct);
                    started = Stopwatch.GetTimestamp();
                    var enqueued = await database.WithServicesAsync(dagDb, async services =>
                    {
                        var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
                        var results = await lib.Runs.TriggerAsync(new JobId(rootId), cancellationToken: ct);
                        return results.Runs.Count(r => r.Created);
                    });
                    setup.DagTrigger = Stopwatch.GetElapsedTime(started);
                    setup.DagRuns = enqueued;
                    if (enqueued != dagRuns)
                    {
                        throw new InvalidOperationException($"TriggerAsync created {enqueued} runs; the DAG has {dagRuns} jobs.");
                    }

                    await database.SealAsync(dagDb, ct);
                    Log($"{database.Name}: DAG of {dagRuns:N0} jobs and {setup.DagEdges:N0} edges triggered in {setup.DagTrigger.Value.TotalSeconds:0.0} s");
                }

                if (settings.Has("queries"))
                {
                    await new HistoryQueries(settings, _report, Log).RunAsync(database, baseDb, history, ct);
                }

                if (settings.Has("dashboard"))
                {
                    await new DashboardPages(settings, _report, Log).RunAsync(database, baseDb, history, ct);
                }

                var noIndexDb = "queue_noidx_" + tag;
                if (indexCost)
                {
                    await MigrationCostAsync(database, baseDb, history, ct);
                    await database.CopyAsync(queueDb, noIndexDb, ct);
                    await DropHistoryIndexesAsync(database, noIndexDb, ct);
                    await database.SealAsync(noIndexDb, ct);
                }

                if (!warmedUp && (queue || dag))
                {
                    // JIT, connection pools and the database caches; not reported.
                    await RunCaseAsync(database, queue ? queueDb : dagDb, "warm-up", history, workers: 2, batch: 5, Math.Min(500, queue ? settings.Runs : dagRuns), report: false, round: 0);
                    warmedUp = true;
                }

                for (var round = 1; round <= settings.Repeat; round++)
                {
                    if (drains && settings.Has("raw"))
                    {
                        foreach (var workers in settings.RawWorkers)
                        {
                            await RunCaseAsync(database, queueDb, "raw", history, workers, settings.RawBatch, settings.Runs, report: true, round);
                        }
                    }

                    if (drains && settings.Has("queue"))
                    {
                        foreach (var workers in settings.Workers)
                        {
                            foreach (var batch in settings.Batches)
                            {
                                await RunCaseAsync(database, queueDb, "queue", history, workers, batch, settings.RunsFor(batch), report: true, round);
                            }
                        }
                    }

                    if (drains && settings.Has("hosted"))
                    {
                        await RunCaseAsync(database, queueDb, "hosted", history, settings.HostedSlots, settings.HostedBatch, settings.Runs, report: true, round);
                    }

                    if (sqliteSync)
                    {
                        await SqliteSyncCaseAsync((SqliteBench)database, queueDb, history, round);
                    }

                    if (dag)
                    {
                        foreach (var workers in settings.Has("dag") ? settings.DagWorkers : [])
                        {
                            foreach (var batch in settings.DagBatches)
                            {
                                await RunCaseAsync(database, dagDb, "dag", history, workers, batch, dagRuns, report: true, round);
                            }
                        }

                        if (settings.Has("hosted-dag"))
                        {
                            await RunCaseAsync(database, dagDb, "hosted-dag", history, settings.HostedSlots, settings.HostedBatch, dagRuns, report: true, round);
                        }
                    }

                    if (settings.Has("claim"))
                    {
                        await probes.ClaimAsync(database, queueDb, history, round);
                    }

                    if (prune)
                    {
                        await PruneCaseAsync(database, queueDb, history, round, ct);
                    }

                    if (indexCost)
                    {
                        await IndexCostCaseAsync(database, queueDb, noIndexDb, history, round);
                    }
                }

                if (trigger)
                {
                    await probes.TriggerAsync(database, dagDefDb, rootId, dagRuns, setup.DagEdges);
                }

                if (queue && settings.Explain && database is PostgresBench postgres && history == settings.Histories.Max())
                {
                    await database.CopyAsync(queueDb, "explain", ct);
                    var capture = await postgres.ExplainClaimAsync("explain", 100, ct);
                    await database.DropAsync("explain", ct);
                    if (capture is null)
                    {
                        _report.ExplainNote = $"EXPLAIN skipped: the server comes from {PostgresBench.ConnectionStringVariable}, whose log the harness cannot read.";
                    }
                    else
                    {
                        _report.Explain = (history, capture);
                        Log($"{database.Name}: captured {capture.Plans.Count} plans of one claim (limit 100) and one completion");
                    }
                }

                foreach (var db in (string[])[queueDb, dagDb, dagDefDb, noIndexDb])
                {
                    await database.DropAsync(db, ct);
                }

                if (once && settings.Has("add-dep"))
                {
                    const string bigDb = "big";
                    await database.CopyAsync(baseDb, bigDb, ct);
                    started = Stopwatch.GetTimestamp();
                    var (_, bigEdges) = await database.CreateDagAsync(bigDb, settings.AddDepLayers, settings.AddDepWidth, ct);
                    await database.SealAsync(bigDb, ct);
                    var jobs = settings.AddDepLayers * settings.AddDepWidth + 1;
                    Log($"{database.Name}: bulk-loaded a graph of {jobs:N0} jobs and {bigEdges:N0} edges in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
                    await probes.AddDependencyAsync(database, bigDb, jobs, bigEdges);
                    await database.DropAsync(bigDb, ct);
                }

                if (once && (settings.Has("predecessor") || settings.Has("define") || (settings.Has("idle") && database is PostgresBench)))
                {
                    const string emptyDb = "empty";
                    await database.CreateMigratedAsync(emptyDb, ct);
                    await database.SealAsync(emptyDb, ct);
                    if (settings.Has("predecessor"))
                    {
                        await probes.PredecessorAsync(database, emptyDb);
                    }

                    if (settings.Has("define"))
                    {
                        await probes.DefineAsync(database, emptyDb);
                    }

                    if (settings.Has("idle") && database is PostgresBench pg)
                    {
                        await probes.IdleAsync(pg, emptyDb);
                    }

                    await database.DropAsync(emptyDb, ct);
                }

                await database.DropAsync(baseDb, ct);
            }
        }

        // The hosted drain on SQLite with synchronous FULL (the default) and NORMAL in the same round; the NORMAL/FULL
        // ratio of the round is a figure of its own.
        private async Task SqliteSyncCaseAsync(SqliteBench sqlite, string queueDb, int history, int round)
        {
            var rates = new Dictionary<SqliteSynchronous, double>();
            foreach (var level in (SqliteSynchronous[])[SqliteSynchronous.Full, SqliteSynchronous.Normal])
            {
                sqlite.Synchronous = level;
                var scenario = "hosted sync=" + level.ToString().ToUpperInvariant();
                await RunCaseAsync(sqlite, queueDb, scenario, history, settings.HostedSlots, settings.HostedBatch, settings.Runs, report: true, round);
                rates[level] = _report.Cases.Last(c => c.Scenario == scenario).Drain.RunsPerSecond;
            }

            sqlite.Synchronous = SqliteSynchronous.Full;
            var ratio = rates[SqliteSynchronous.Normal] / rates[SqliteSynchronous.Full];
            _report.Figures.Add(new FigureResult(sqlite.Name, "hosted drain, synchronous NORMAL / FULL", "×", [ratio],
                string.Create(CultureInfo.InvariantCulture, $"round {round}: FULL {rates[SqliteSynchronous.Full]:N0} runs/s, NORMAL {rates[SqliteSynchronous.Normal]:N0} runs/s")));
            Log(string.Create(CultureInfo.InvariantCulture, $"SQLite sync round {round}: NORMAL/FULL = {ratio:0.00}×"));
        }

        // prune: History.PruneAsync of 90 % of the history (OlderThan = the finish time of the run at that rank) on the case's
        // database while the hosted drain runs, and the hosted drain alone, in alternating order; the ratio of the round is
        // the figure.
        private async Task PruneCaseAsync(BenchDatabase database, string queueDb, int history, int round, CancellationToken ct)
        {
            DateTimeOffset olderThan;
            long expected;
            await using (var connection = await database.OpenAsync(queueDb, ct))
            {
                var finished = await Sql.ScalarAsync<long>(connection, null, "SELECT COUNT(*) FROM job_runs WHERE finished_at IS NOT NULL", ct);
                expected = finished * 9 / 10;
                await using var command = Sql.Create(connection, null, "SELECT finished_at FROM job_runs WHERE finished_at IS NOT NULL ORDER BY finished_at, id LIMIT 1 OFFSET @rank", [("rank", expected)]);
                olderThan = BenchDatabase.ReadTime((await command.ExecuteScalarAsync(ct))!);
            }

            var rates = new Dictionary<bool, double>();
            (PruneReport Report, TimeSpan Time)? pruned = null;
            foreach (var withPrune in round % 2 == 1 ? (bool[])[false, true] : [true, false])
            {
                var scenario = withPrune ? "hosted + prune" : "hosted (no prune)";
                var (drain, outlived) = await RunCaseAsync(database, queueDb, scenario, history, settings.HostedSlots, settings.HostedBatch, settings.Runs, report: true, round, withPrune
                    ? async db => pruned = await database.WithServicesAsync(db, async services =>
                    {
                        var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            var request = new PruneRequest(olderThan) { PauseBetweenBatches = TimeSpan.FromMilliseconds(settings.PrunePauseMs) };
                            return (await lib.History.PruneAsync(request, ct), Stopwatch.GetElapsedTime(started));
                        }
                        catch (NotImplementedException)
                        {
                            return ((PruneReport, TimeSpan)?)null;
                        }
                    })
                    : null);
                rates[withPrune] = drain.RunsPerSecond;
                if (withPrune && pruned is { } p)
                {
                    _report.Figures.Add(new FigureResult(database.Name, "prune: History.PruneAsync while the hosted drain runs", "s", [p.Time.TotalSeconds], string.Create(
                        CultureInfo.InvariantCulture,
                        $"round {round}: {p.Report.RunsDeleted:N0} runs deleted (expected {expected:N0}) in {p.Report.Batches:N0} batches of {p.Report.Request.BatchSize} with {p.Report.Request.PauseBetweenBatches.TotalMilliseconds:0} ms pauses, {p.Report.RunsDeleted / p.Time.TotalSeconds:N0} runs/s; " +
                        $"the drain ({drain.Elapsed.TotalSeconds:0.0} s) {(outlived ? "ran entirely within the prune" : "OUTLASTED the prune")}")));
                    if (p.Report.RunsDeleted != expected)
                    {
                        _report.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{database.Name} prune round {round}: deleted {p.Report.RunsDeleted:N0} runs, expected {expected:N0}."));
                    }
                }
            }

            if (pruned is null)
            {
                _report.Notes.Add($"{database.Name} prune round {round}: PruneAsync is not implemented in the store yet; no ratio.");
                return;
            }

            var ratio = rates[true] / rates[false];
            _report.Figures.Add(new FigureResult(database.Name, $"prune: hosted drain during the prune / alone (pause {settings.PrunePauseMs} ms)", "×", [ratio],
                string.Create(CultureInfo.InvariantCulture, $"round {round}: alone {rates[false]:N0} runs/s, during the prune {rates[true]:N0} runs/s; target >= 0.8")));
            Log(string.Create(CultureInfo.InvariantCulture, $"{database.Name} prune round {round}: drain during the prune / alone = {ratio:0.00}×"));
        }

        // index-cost: the queue drain on the template as migrated and on a copy without the history indexes, alternated.
        private async Task IndexCostCaseAsync(BenchDatabase database, string queueDb, string noIndexDb, int history, int round)
        {
            var drains = new Dictionary<bool, DrainResult>();
            foreach (var indexed in round % 2 == 1 ? (bool[])[true, false] : [false, true])
            {
                var scenario = indexed ? "queue, as migrated" : "queue, history indexes dropped";
                (drains[indexed], _) = await RunCaseAsync(database, indexed ? queueDb : noIndexDb, scenario, history, settings.HostedSlots, settings.HostedBatch, settings.Runs, report: true, round);
            }

            var (with, without) = (drains[true], drains[false]);
            _report.Figures.Add(new FigureResult(database.Name, "index cost: queue drain as migrated / without the history indexes", "×", [with.RunsPerSecond / without.RunsPerSecond], string.Create(
                CultureInfo.InvariantCulture,
                $"round {round}: {with.RunsPerSecond:N0} / {without.RunsPerSecond:N0} runs/s; claim p50 {with.Claim.P50:0.00} / {without.Claim.P50:0.00} ms, report p50 {with.Complete.P50:0.00} / {without.Complete.P50:0.00} ms")));
            Log(string.Create(CultureInfo.InvariantCulture, $"{database.Name} index cost round {round}: {with.RunsPerSecond / without.RunsPerSecond:0.00}×"));
        }

        // The history migration on the history template: reverted (Rollback(1)) on a copy, then MigrateUp timed.
        private async Task MigrationCostAsync(BenchDatabase database, string baseDb, int history, CancellationToken ct)
        {
            const string migrateDb = "migrate";
            await database.CopyAsync(baseDb, migrateDb, ct);
            var migrator = database.Migrator(migrateDb);
            await Task.Run(() => migrator.Rollback(1), ct);
            database.ServicesDisposed();
            var started = Stopwatch.GetTimestamp();
            await Task.Run(migrator.MigrateUp, ct);
            var elapsed = Stopwatch.GetElapsedTime(started);
            database.ServicesDisposed();
            await database.DropAsync(migrateDb, ct);
            _report.Figures.Add(new FigureResult(database.Name, "index cost: the history migration (MigrateUp of 2026120601)", "s", [elapsed.TotalSeconds],
                string.Create(CultureInfo.InvariantCulture, $"on a copy of the {history:N0}-run history template, reverted first: job_runs.client_id filled from the jobs, its indexes built")));
            Log(string.Create(CultureInfo.InvariantCulture, $"{database.Name}: the history migration took {elapsed.TotalSeconds:0.0} s on {history:N0} runs"));
        }

        // A copy without the history migration's indexes (every ix_job_runs_client_*, whatever else the schema has); their
        // names go to the report.
        private async Task DropHistoryIndexesAsync(BenchDatabase database, string db, CancellationToken ct)
        {
            await using var connection = await database.OpenAsync(db, ct);
            var indexes = (await Sql.RowsAsTextAsync(connection, null, database.JobRunIndexesSql, ct)).Where(n => n.StartsWith("ix_job_runs_client_", StringComparison.Ordinal)).ToList();
            if (indexes.Count < 4)
            {
                throw new InvalidOperationException($"Found {indexes.Count} ix_job_runs_client_* indexes ({string.Join(", ", indexes)}); the history migration adds at least 4.");
            }

            foreach (var index in indexes)
            {
                await Sql.ExecuteAsync(connection, null, "DROP INDEX " + index, ct);
            }

            _report.Notes.Add($"{database.Name} index cost: the copy without the history indexes dropped {indexes.Count}: {string.Join(", ", indexes)}.");
        }

        private async Task BuildQueueTemplateAsync(BenchDatabase database, string baseDb, string queueDb, SetupResult setup, CancellationToken ct)
        {
            await database.CopyAsync(baseDb, queueDb, ct);
            var jobIds = await database.CreateQueueJobsAsync(queueDb, settings.Runs, ct);
            var sample = settings.Fill == "api" ? jobIds.Count : Math.Min(settings.ApiSample, jobIds.Count);
            var started = Stopwatch.GetTimestamp();
            await database.WithServicesAsync(queueDb, services => EnqueueAllAsync(services, jobIds.Take(sample).ToArray(), settings.EnqueueWorkers, ct));
            setup.ApiEnqueue = (sample, Stopwatch.GetElapsedTime(started));
            if (sample < jobIds.Count)
            {
                var now = TimeProvider.System.GetUtcNow();
                now = now.AddTicks(-(now.Ticks % 10)); // whole microseconds, as the services write
                started = Stopwatch.GetTimestamp();
                var bulk = await database.BulkEnqueueAsync(queueDb, now, ct);
                setup.BulkEnqueue = (bulk, Stopwatch.GetElapsedTime(started));
                if (bulk != jobIds.Count - sample)
                {
                    throw new InvalidOperationException($"The set-based enqueue created {bulk} runs; expected {jobIds.Count - sample}.");
                }

                // Job i has priority (i + 1) % 3: compare the first API job with a bulk job of the same priority.
                var twin = sample + ((3 - (sample % 3)) % 3);
                if (twin < jobIds.Count)
                {
                    var differences = await database.CompareEnqueuedAsync(queueDb, jobIds[0], jobIds[twin], ct);
                    if (differences.Count > 0)
                    {
                        throw new InvalidOperationException(
                            "The set-based enqueue does not write what Runs.EnqueueAsync writes (run with --fill api, or fix the harness): " +
                            string.Join("; ", differences));
                    }

                    setup.FillChecked = true;
                }
            }

            setup.QueueRuns = jobIds.Count;
            await database.SealAsync(queueDb, ct);
            setup.TemplateRuns = await database.CountRunsAsync(queueDb, ct);
            Log($"{database.Name}: queue of {jobIds.Count:N0} ready runs: {setup.DescribeFill()}");
        }

        // alongside: started on the case's database 1 s before the drain (so that it is under way), awaited after it; the
        // result says whether it was still running when the drain ended.
        private async Task<(DrainResult Drain, bool AlongsideOutlived)> RunCaseAsync(BenchDatabase database, string template, string scenario, int history, int workers, int batch, int runs, bool report, int round, Func<string, Task>? alongside = null)
        {
            for (var attempt = 1; ; attempt++)
            {
                var (drain, quiet, foreign, outlived) = await RunCaseOnceAsync(database, template, scenario, workers, batch, runs, alongside);
                Log(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{database.Name} {scenario} round {round} history={history:N0} workers={workers} batch={batch}: {runs:N0} runs in {drain.Elapsed.TotalSeconds:0.00} s = {drain.RunsPerSecond:N0} runs/s; " +
                    $"claim {drain.Claim.Mean:0.00} ms mean / {drain.Claim.P99:0.00} p99 / {drain.Claim.Max:0} max ({drain.ClaimCalls:N0} calls, {drain.EmptyClaims:N0} empty); " +
                    $"complete {drain.Complete.Mean:0.00} ms mean / {drain.Complete.P99:0.00} p99 / {drain.Complete.Max:0} max; other processes: {quiet:P0} of the CPU before, {foreign:P0} during"));
                if (report && foreign > settings.NoisyAbove && attempt <= settings.NoisyRetries)
                {
                    // Another process took CPU while the case ran: its figure says little about OrderLib. Measure it again.
                    Log(string.Create(CultureInfo.InvariantCulture, $"  disturbed ({foreign:P0} > {settings.NoisyAbove:P0}): repeating ({attempt} of {settings.NoisyRetries})"));
                    _report.Repeats++;
                    continue;
                }

                if (report)
                {
                    _report.Cases.Add(new CaseResult(database.Name, scenario, history, workers, batch, drain, foreign, round));
                }

                return (drain, outlived);
            }
        }

        private async Task<(DrainResult Drain, double Quiet, double Foreign, bool AlongsideOutlived)> RunCaseOnceAsync(BenchDatabase database, string template, string scenario, int workers, int batch, int runs, Func<string, Task>? alongside)
        {
            const string caseDb = "case";
            await database.CopyAsync(template, caseDb, CancellationToken.None);
            var before = await database.CountOutcomesAsync(caseDb, CancellationToken.None);
            var (quiet, waited) = await CpuMonitor.WaitForQuietAsync(database.ServerPid, settings.QuietBelow, TimeSpan.FromSeconds(settings.QuietWaitSeconds), Log);
            _waitedForQuiet += waited;
            var cpuBefore = CpuMonitor.Take(database.ServerPid);
            var side = Task.CompletedTask;
            if (alongside is not null)
            {
                side = Task.Run(() => alongside(caseDb));
                await Task.Delay(1000);
            }

            DrainResult drain;
            if (scenario == "raw")
            {
                await using var raw = await RawQueue.OpenAsync(database, caseDb, workers, CancellationToken.None);
                drain = await Drain.RunAsync(raw, workers, batch, runs, DrainTimeout);
            }
            else if (scenario.StartsWith("hosted", StringComparison.Ordinal))
            {
                drain = await HostedWorker.DrainAsync(database, caseDb, workers, batch, settings.HostedReports, runs, DrainTimeout);
            }
            else
            {
                drain = await database.WithServicesAsync(caseDb, services =>
                    Drain.RunAsync(services.GetRequiredService<WorkerRunService>(), workers, batch, runs, DrainTimeout));
            }

            var outlived = !side.IsCompleted;
            await side;
            database.ServicesDisposed();
            var foreign = CpuMonitor.ForeignShare(cpuBefore, CpuMonitor.Take(database.ServerPid));
            var after = await database.CountOutcomesAsync(caseDb, CancellationToken.None);
            await database.DropAsync(caseDb, CancellationToken.None);
            if (after.Succeeded - before.Succeeded != runs || after.Running != 0 || before.Pending - after.Pending != runs)
            {
                throw new InvalidOperationException(
                    $"{scenario}: the database does not show {runs} runs completed: Succeeded by bench workers {before.Succeeded} -> {after.Succeeded}, " +
                    $"Pending {before.Pending} -> {after.Pending}, Running now {after.Running}.");
            }

            return (drain, quiet, foreign, outlived);
        }

        private static async Task<int> EnqueueAllAsync(IServiceProvider services, long[] jobIds, int parallelism, CancellationToken cancellationToken)
        {
            var lib = services.GetRequiredService<IOrderLib>().ForClient(new ClientId(BenchDatabase.Client));
            var next = -1;
            var created = 0;
            await Task.WhenAll(Enumerable.Range(0, parallelism).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < jobIds.Length)
                {
                    var result = await lib.Runs.EnqueueAsync(new JobId(jobIds[i]), cancellationToken);
                    if (result.Created)
                    {
                        Interlocked.Increment(ref created);
                    }
                }
            }, cancellationToken)));
            if (created != jobIds.Length)
            {
                throw new InvalidOperationException($"EnqueueAsync created {created} runs for {jobIds.Length} jobs.");
            }

            return created;
        }

        private void Log(string message) =>
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,7:0.0}s] {message}"));

        private static void TryDelete(string directory)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"Deleting {directory} failed: {ex.Message}");
            }
        }
    }
}
