using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderLib.Benchmarks;

/// <summary>
/// Hosted workers as an application runs them: a generic host (<c>Host.CreateApplicationBuilder</c>, logging off) with
/// <c>services.AddOrderLib(o =&gt; o.UseXxx(cs).AddWorker(w =&gt; ...))</c> and one no-op handler for every job.
/// </summary>
internal static class HostedWorker
{
    /// <summary>
    /// Builds (not starts) a host whose one worker calls <paramref name="handler"/> for every run, with
    /// <paramref name="reports"/> reports in flight at most (null: the library's default).
    /// </summary>
    public static IHost Build(BenchDatabase engine, string database, string workerId, int slots, int batch, Func<JobExecutionContext, Task> handler, int? reports = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddOrderLib(o =>
        {
            engine.UseStore(o, database);
            o.AddWorker(w =>
            {
                w.WorkerId = workerId;
                w.Concurrency = slots;
                w.BatchSize = batch;
                if (reports is { } inFlight)
                {
                    w.CompletionConcurrency = inFlight;
                }

                w.HandleAny((context, _) => handler(context));
            });
        });
        return builder.Build();
    }

    /// <summary>
    /// Drains <paramref name="runs"/> ready runs with one hosted worker of <paramref name="slots"/> slots; the time is from
    /// starting the host until the database shows no Pending or Running run (checked every 2 ms once every handler ran).
    /// </summary>
    public static async Task<DrainResult> DrainAsync(BenchDatabase engine, string database, int slots, int batch, int? reports, int runs, TimeSpan timeout)
    {
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = Build(
            engine,
            database,
            "bench-hosted",
            slots,
            batch,
            _ =>
            {
                if (Interlocked.Increment(ref started) == runs)
                {
                    allStarted.TrySetResult();
                }

                return Task.CompletedTask;
            },
            reports);
        TimeSpan elapsed;
        try
        {
            await using var probe = await engine.OpenAsync(database, CancellationToken.None);
            using var cancellation = new CancellationTokenSource(timeout);
            var clock = Stopwatch.StartNew();
            await host.StartAsync(cancellation.Token);
            await allStarted.Task.WaitAsync(cancellation.Token);
            while (await Sql.ScalarAsync<long>(probe, null, "SELECT COUNT(*) FROM job_runs WHERE status IN ('Pending', 'Running')", cancellation.Token) > 0)
            {
                await Task.Delay(2, cancellation.Token);
            }

            elapsed = clock.Elapsed;
            await host.StopAsync(CancellationToken.None);
        }
        finally
        {
            host.Dispose();
            engine.ServicesDisposed();
        }

        var none = new LatencyStats(0, 0, 0, 0, 0);
        return new DrainResult(runs, elapsed, 0, 0, none, none);
    }
}
