using OrderLib.Ports;
using System.Diagnostics;

namespace OrderLib.Benchmarks;

/// <summary>
/// Drains runs with concurrent workers, the way a worker service would: each worker loops
/// <c>ClaimAsync(worker, limit)</c>, then <c>SucceedAsync(run, worker)</c> for every run it got (the port completes one run
/// per call). Workers stop once <c>total</c> runs were claimed between them; a claim that finds nothing ready (dependencies
/// still running, or rows skipped because another claim holds them) waits 1 ms and asks again.
/// </summary>
internal static class Drain
{
    public static Task<DrainResult> RunAsync(WorkerRunService queue, int workers, int batch, int total, TimeSpan timeout) =>
        RunAsync(new OrderLibDrainTarget(queue), workers, batch, total, timeout);

    /// <summary>Drains through any <see cref="IDrainTarget"/> (OrderLib's worker path, or a hand-written reference).</summary>
    public static async Task<DrainResult> RunAsync(IDrainTarget queue, int workers, int batch, int total, TimeSpan timeout)
    {
        var budget = new ClaimBudget(total);
        using var cancellation = new CancellationTokenSource(timeout);
        var logs = Enumerable.Range(1, workers).Select(_ => new WorkerLog()).ToArray();
        var start = Stopwatch.GetTimestamp();
        var tasks = logs.Select((log, i) => Task.Run(async () =>
        {
            try
            {
                await WorkAsync(queue, i, new WorkerId($"bench-w{i + 1:00}"), batch, budget, log, cancellation.Token);
            }
            catch
            {
                await cancellation.CancelAsync(); // stop the other workers; the first error is reported
                throw;
            }
        })).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException) when (!tasks.Any(t => t.IsFaulted))
        {
            throw new TimeoutException($"Draining {total} runs did not finish within {timeout.TotalSeconds:0} s ({budget.Claimed} claimed).");
        }
        catch (OperationCanceledException)
        {
            throw tasks.First(t => t.IsFaulted).Exception!.InnerExceptions[0];
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        var runIds = logs.SelectMany(l => l.RunIds).ToArray();
        var distinct = runIds.Distinct().Count();
        if (runIds.Length != total || distinct != total)
        {
            throw new InvalidOperationException($"Expected {total} distinct runs; workers completed {runIds.Length}, {distinct} distinct.");
        }

        return new DrainResult(
            total,
            elapsed,
            logs.Sum(l => l.ClaimCalls),
            logs.Sum(l => l.EmptyClaims),
            LatencyStats.Of(logs.SelectMany(l => l.ClaimTicks)),
            LatencyStats.Of(logs.SelectMany(l => l.CompleteTicks)));
    }

    private static async Task WorkAsync(IDrainTarget queue, int worker, WorkerId workerId, int batch, ClaimBudget budget, WorkerLog log, CancellationToken cancellationToken)
    {
        while (true)
        {
            var take = budget.Reserve(batch);
            if (take == 0)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var claimed = await queue.ClaimAsync(worker, workerId, take, cancellationToken);
            log.ClaimTicks.Add(Stopwatch.GetTimestamp() - started);
            log.ClaimCalls++;
            if (claimed.Count < take)
            {
                budget.Release(take - claimed.Count);
            }

            if (claimed.Count == 0)
            {
                log.EmptyClaims++;
                await Task.Delay(1, cancellationToken);
                continue;
            }

            await queue.CompleteAsync(worker, workerId, claimed, log.CompleteTicks, cancellationToken);
            log.RunIds.AddRange(claimed);
        }
    }

    /// <summary>How many runs may still be claimed, shared by the workers, so that exactly <c>total</c> runs are claimed.</summary>
    private sealed class ClaimBudget(int total)
    {
        private int _reserved;

        public int Claimed => Volatile.Read(ref _reserved);

        public int Reserve(int batch)
        {
            while (true)
            {
                var current = Volatile.Read(ref _reserved);
                if (current >= total)
                {
                    return 0;
                }

                var take = Math.Min(batch, total - current);
                if (Interlocked.CompareExchange(ref _reserved, current + take, current) == current)
                {
                    return take;
                }
            }
        }

        public void Release(int count) => Interlocked.Add(ref _reserved, -count);
    }

    /// <summary>OrderLib's worker path: <c>WorkerRunService.ClaimAsync</c>, then one <c>ReportSucceededAsync</c> per run (each timed).</summary>
    private sealed class OrderLibDrainTarget(WorkerRunService queue) : IDrainTarget
    {
        public async Task<IReadOnlyList<long>> ClaimAsync(int worker, WorkerId workerId, int limit, CancellationToken cancellationToken) =>
            (await queue.ClaimAsync(workerId, limit, null, cancellationToken)).Select(r => r.Run.Id.Value).ToArray();

        public async Task CompleteAsync(int worker, WorkerId workerId, IReadOnlyList<long> runIds, List<long> completeTicks, CancellationToken cancellationToken)
        {
            // One batched report per claim, as the hosted worker's completer does.
            var started = Stopwatch.GetTimestamp();
            await queue.ReportOutcomesAsync(runIds.Select(id => new RunOutcome(new RunId(id), workerId, RunStatus.Succeeded, null)).ToList(), cancellationToken);
            completeTicks.Add(Stopwatch.GetTimestamp() - started);
        }
    }

    private sealed class WorkerLog
    {
        public List<long> ClaimTicks { get; } = [];

        public List<long> CompleteTicks { get; } = [];

        public List<long> RunIds { get; } = [];

        public int ClaimCalls { get; set; }

        public int EmptyClaims { get; set; }
    }
}

/// <summary>What a drain claims from and reports to; worker indexes run from 0 to workers - 1.</summary>
internal interface IDrainTarget
{
    /// <summary>Claims at most <paramref name="limit"/> ready runs for the worker; returns their ids.</summary>
    Task<IReadOnlyList<long>> ClaimAsync(int worker, WorkerId workerId, int limit, CancellationToken cancellationToken);

    /// <summary>Marks the claimed runs Succeeded; adds the stopwatch ticks of every completion call to <paramref name="completeTicks"/>.</summary>
    Task CompleteAsync(int worker, WorkerId workerId, IReadOnlyList<long> runIds, List<long> completeTicks, CancellationToken cancellationToken);
}

/// <summary>What one drain measured.</summary>
internal sealed record DrainResult(int Runs, TimeSpan Elapsed, int ClaimCalls, int EmptyClaims, LatencyStats Claim, LatencyStats Complete)
{
    public double RunsPerSecond => Runs / Elapsed.TotalSeconds;
}

/// <summary>Latency of one kind of call, in milliseconds.</summary>
internal sealed record LatencyStats(int Count, double Mean, double P50, double P99, double Max)
{
    public static LatencyStats Of(IEnumerable<long> stopwatchTicks)
    {
        var ms = stopwatchTicks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        if (ms.Length == 0)
        {
            return new LatencyStats(0, 0, 0, 0, 0);
        }

        double Percentile(double p) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(p * ms.Length) - 1)];
        return new LatencyStats(ms.Length, ms.Average(), Percentile(0.50), Percentile(0.99), ms[^1]);
    }
}
