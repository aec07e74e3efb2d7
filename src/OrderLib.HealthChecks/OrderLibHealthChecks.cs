using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrderLib.Ports;

namespace OrderLib.HealthChecks;

/// <summary>The database is reachable: one cheap read (the list of clients). A schema that does not match is left to the schema check.</summary>
internal sealed class DatabaseHealthCheck(IHistoryStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ListClientsAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The OrderLib database answers.");
        }
        catch (OrderLibSchemaVersionException)
        {
            return HealthCheckResult.Healthy("The OrderLib database answers (its schema is checked separately).");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The OrderLib database cannot be reached.", exception);
        }
    }
}

/// <summary>The schema has exactly this library's migrations (<see cref="IOrderLibMigrator.CheckSchema"/>); healthy when the store has no schema.</summary>
internal sealed class SchemaHealthCheck(IOrderLibMigrator? migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (migrator is null)
        {
            return HealthCheckResult.Healthy("The OrderLib store has no schema.");
        }

        try
        {
            var status = await Task.Run(migrator.CheckSchema, cancellationToken).ConfigureAwait(false);
            if (status.IsCurrent)
            {
                return HealthCheckResult.Healthy("The OrderLib schema is at the latest migration.");
            }

            var data = new Dictionary<string, object>
            {
                ["missing"] = string.Join(",", status.Missing),
                ["unknown"] = string.Join(",", status.Unknown),
            };
            var what = status.Unknown.Count > 0
                ? $"The database has migrations this library does not know ({string.Join(", ", status.Unknown)}): the library is older than the database."
                : $"The database lacks migrations {string.Join(", ", status.Missing)}: apply them (IOrderLibMigrator.MigrateUp or ApplyMigrationsAtStartup).";
            return new HealthCheckResult(context.Registration.FailureStatus, what, data: data);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The OrderLib schema could not be read.", exception);
        }
    }
}

/// <summary>Every running hosted worker went round its claim loop within <see cref="OrderLibHealthCheckOptions.WorkerStaleAfter"/>.</summary>
internal sealed class WorkerHealthCheck(OrderLibWorkerHeartbeats heartbeats, TimeProvider time, OrderLibHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = heartbeats.Workers;
        if (workers.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No OrderLib worker is running."));
        }

        var now = time.GetUtcNow();
        var data = workers.ToDictionary(w => w.Key, w => (object)w.Value);
        var stale = workers.Where(w => now - w.Value > options.WorkerStaleAfter).Select(w => w.Key).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(stale.Count == 0
            ? HealthCheckResult.Healthy($"{workers.Count} OrderLib worker(s) alive.", data)
            : new HealthCheckResult(
                context.Registration.FailureStatus,
                $"OrderLib worker(s) {string.Join(", ", stale)} made no pass of the claim loop for more than {options.WorkerStaleAfter}.",
                data: data));
    }
}

/// <summary>
/// The ready backlog is within the thresholds: Degraded beyond them. Reads through <see cref="OrderLibQueueMetrics"/>,
/// refreshing it only when its values are older than its refresh interval (so health probes and metric scrapes share
/// one read per interval).
/// </summary>
internal sealed class BacklogHealthCheck(OrderLibQueueMetrics queue, TimeProvider time, TimeSpan refreshInterval, OrderLibHealthCheckOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (time.GetUtcNow() - queue.ReadAt >= refreshInterval)
            {
                await queue.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The OrderLib queue depth could not be read.", exception);
        }

        var depths = queue.Last;
        var ready = depths.Sum(d => d.Depth.Ready);
        var oldest = depths.Select(d => d.Depth.OldestReadySince).Where(s => s is not null).Min();
        var age = oldest is { } since && queue.ReadAt > since ? queue.ReadAt - since : TimeSpan.Zero;
        var data = new Dictionary<string, object> { ["ready"] = ready, ["oldest_ready_age_seconds"] = age.TotalSeconds };
        var problems = new List<string>();
        if (options.MaxReadyRuns is { } maxReady && ready > maxReady)
        {
            problems.Add($"{ready} runs are ready (more than {maxReady})");
        }

        if (options.MaxOldestReadyAge is { } maxAge && age > maxAge)
        {
            problems.Add($"the oldest ready run has waited {age} (more than {maxAge})");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{ready} OrderLib run(s) ready.", data)
            : HealthCheckResult.Degraded($"OrderLib backlog: {string.Join("; ", problems)}.", data: data);
    }
}
