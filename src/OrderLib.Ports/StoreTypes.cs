
namespace OrderLib.Ports;

/// <summary>What a store adapter can and cannot do, stated rather than silently missing.</summary>
/// <param name="ProviderName">The adapter's name: <c>InMemory</c>, <c>Sqlite</c> or <c>Postgres</c>.</param>
/// <param name="HasSchema">True when the store has a schema that <see cref="IOrderLibMigrator"/> manages.</param>
/// <param name="SharedAcrossProcesses">True when several processes may use the same store at once.</param>
public sealed record StoreCapabilities(string ProviderName, bool HasSchema, bool SharedAcrossProcesses);

/// <summary>The result of asking for a run: the job's active run, and whether this call created it.</summary>
/// <param name="Run">The job's Pending or Running run.</param>
/// <param name="Created">True when this call created the run; false when it already existed.</param>
public sealed record EnqueueResult(JobRun Run, bool Created);

/// <summary>A job with its most recent run, or null when it never ran.</summary>
/// <param name="Job">The job.</param>
/// <param name="LatestRun">Its newest run, or null.</param>
public sealed record JobWithLatestRun(Job Job, JobRun? LatestRun);
