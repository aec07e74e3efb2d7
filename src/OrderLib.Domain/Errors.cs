namespace OrderLib;

/// <summary>The base of every error OrderLib raises on purpose. When one is thrown, nothing was written.</summary>
public abstract class OrderLibException : Exception
{
    /// <summary>Creates the error with its message.</summary>
    protected OrderLibException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>An input value breaks a rule (empty name, max attempts 0, ...).</summary>
public sealed class OrderLibValidationException : OrderLibException
{
    /// <summary>Creates the error for the named input.</summary>
    public OrderLibValidationException(string paramName, string message)
        : base(message) => ParamName = paramName;

    /// <summary>The input that broke the rule.</summary>
    public string ParamName { get; }
}

/// <summary>No job with that id or name exists for the client (a job of another client counts as not existing).</summary>
public sealed class JobNotFoundException : OrderLibException
{
    /// <summary>Creates the error for a job looked up by id.</summary>
    public JobNotFoundException(JobId jobId)
        : base($"Job {jobId} was not found.") => JobId = jobId;

    /// <summary>Creates the error for a job looked up by name.</summary>
    public JobNotFoundException(string jobName)
        : base($"Job '{jobName}' was not found.") => JobName = jobName;

    /// <summary>The id looked up, when the look-up was by id.</summary>
    public JobId? JobId { get; }

    /// <summary>The name looked up, when the look-up was by name.</summary>
    public string? JobName { get; }
}

/// <summary>No run with that id exists for the client.</summary>
public sealed class RunNotFoundException : OrderLibException
{
    /// <summary>Creates the error for the run id.</summary>
    public RunNotFoundException(RunId runId)
        : base($"Run {runId} was not found.") => RunId = runId;

    /// <summary>The id looked up.</summary>
    public RunId RunId { get; }
}

/// <summary>No pipeline run with that id exists for the client.</summary>
public sealed class PipelineRunNotFoundException : OrderLibException
{
    /// <summary>Creates the error for the pipeline run id.</summary>
    public PipelineRunNotFoundException(PipelineRunId pipelineRunId)
        : base($"Pipeline run {pipelineRunId} was not found.") => PipelineRunId = pipelineRunId;

    /// <summary>The id looked up.</summary>
    public PipelineRunId PipelineRunId { get; }
}

/// <summary>The client already has a job with that name.</summary>
public sealed class DuplicateJobNameException : OrderLibException
{
    /// <summary>Creates the error for the clashing name.</summary>
    public DuplicateJobNameException(ClientId clientId, string name)
        : base($"Client '{clientId}' already has a job named '{name}'.")
    {
        ClientId = clientId;
        Name = name;
    }

    /// <summary>The client.</summary>
    public ClientId ClientId { get; }

    /// <summary>The clashing name.</summary>
    public string Name { get; }
}

/// <summary>A dependency was refused; the subclass says why.</summary>
public abstract class DependencyRefusedException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    protected DependencyRefusedException(JobId jobId, JobId dependsOnJobId, string message)
        : base(message)
    {
        JobId = jobId;
        DependsOnJobId = dependsOnJobId;
    }

    /// <summary>The dependent job.</summary>
    public JobId JobId { get; }

    /// <summary>The job it was to depend on.</summary>
    public JobId DependsOnJobId { get; }
}

/// <summary>A job cannot depend on itself.</summary>
public sealed class SelfDependencyException : DependencyRefusedException
{
    /// <summary>Creates the error.</summary>
    public SelfDependencyException(JobId jobId)
        : base(jobId, jobId, $"Job {jobId} cannot depend on itself.")
    {
    }
}

/// <summary>The dependency exists already.</summary>
public sealed class DuplicateDependencyException : DependencyRefusedException
{
    /// <summary>Creates the error.</summary>
    public DuplicateDependencyException(JobId jobId, JobId dependsOnJobId)
        : base(jobId, dependsOnJobId, $"Job {jobId} already depends on job {dependsOnJobId}.")
    {
    }
}

/// <summary>The dependency would close a cycle; <see cref="Cycle"/> names the jobs on it.</summary>
public sealed class DependencyCycleException : DependencyRefusedException
{
    /// <summary>Creates the error with the cycle it would close, starting and ending at the dependent job.</summary>
    public DependencyCycleException(JobId jobId, JobId dependsOnJobId, IReadOnlyList<JobId> cycle)
        : base(jobId, dependsOnJobId, $"Job {jobId} cannot depend on job {dependsOnJobId}: that would close the cycle {string.Join(" -> ", cycle)}.")
        => Cycle = cycle;

    /// <summary>The jobs on the cycle, each depending on the next, first and last the same.</summary>
    public IReadOnlyList<JobId> Cycle { get; }
}

/// <summary>Jobs of different clients cannot depend on each other.</summary>
public sealed class CrossClientDependencyException : DependencyRefusedException
{
    /// <summary>Creates the error.</summary>
    public CrossClientDependencyException(JobId jobId, JobId dependsOnJobId)
        : base(jobId, dependsOnJobId, $"Job {jobId} and job {dependsOnJobId} belong to different clients and cannot depend on each other.")
    {
    }
}

/// <summary>
/// A graph definition (<see cref="GraphDefinition"/>) was refused as a whole, before anything was written; the subclass
/// names the first problem, and its message names the jobs by name.
/// </summary>
public abstract class GraphRefusedException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    protected GraphRefusedException(string message)
        : base(message)
    {
    }
}

/// <summary>The graph defines two jobs with the same (trimmed) name.</summary>
public sealed class DuplicateJobInGraphException : GraphRefusedException
{
    /// <summary>Creates the error for the name defined twice.</summary>
    public DuplicateJobInGraphException(string name)
        : base($"The graph defines job '{name}' more than once; each name may appear once.") => Name = name;

    /// <summary>The name defined twice.</summary>
    public string Name { get; }
}

/// <summary>A dependency of the graph was refused; the subclass says why.</summary>
public abstract class GraphDependencyRefusedException : GraphRefusedException
{
    /// <summary>Creates the error for the dependency "<paramref name="jobName"/> depends on <paramref name="dependsOnName"/>".</summary>
    protected GraphDependencyRefusedException(string jobName, string dependsOnName, string why)
        : base($"Job '{jobName}' cannot depend on '{dependsOnName}': {why}")
    {
        JobName = jobName;
        DependsOnName = dependsOnName;
    }

    /// <summary>The dependent job's name.</summary>
    public string JobName { get; }

    /// <summary>The name of the job it was to depend on.</summary>
    public string DependsOnName { get; }
}

/// <summary>A dependency of the graph names the same job at both ends.</summary>
public sealed class SelfDependencyInGraphException : GraphDependencyRefusedException
{
    /// <summary>Creates the error.</summary>
    public SelfDependencyInGraphException(string jobName)
        : base(jobName, jobName, "a job cannot depend on itself.")
    {
    }
}

/// <summary>The graph lists the same dependency twice.</summary>
public sealed class DuplicateDependencyInGraphException : GraphDependencyRefusedException
{
    /// <summary>Creates the error.</summary>
    public DuplicateDependencyInGraphException(string jobName, string dependsOnName)
        : base(jobName, dependsOnName, "the graph lists this dependency more than once.")
    {
    }
}

/// <summary>A dependency of the graph names a job that the graph does not define and the client does not have.</summary>
public sealed class UnknownJobInGraphException : GraphDependencyRefusedException
{
    /// <summary>Creates the error for the dependency and the end of it that names no job.</summary>
    public UnknownJobInGraphException(string jobName, string dependsOnName, string unknownName)
        : base(jobName, dependsOnName, $"job '{unknownName}' is neither defined in the graph nor a job of the client.")
        => UnknownName = unknownName;

    /// <summary>The name that names no job: <see cref="GraphDependencyRefusedException.DependsOnName"/> (an unknown upstream job) or <see cref="GraphDependencyRefusedException.JobName"/>.</summary>
    public string UnknownName { get; }
}

/// <summary>The graph's new dependencies close a cycle; <see cref="Cycle"/> names the jobs on it.</summary>
public sealed class GraphCycleException : GraphDependencyRefusedException
{
    /// <summary>Creates the error for the first new dependency on a cycle and the cycle, which starts and ends at its dependent job.</summary>
    public GraphCycleException(string jobName, string dependsOnName, IReadOnlyList<string> cycle)
        : base(jobName, dependsOnName, $"that would close the cycle {string.Join(" -> ", cycle.Select(n => $"'{n}'"))}.")
        => Cycle = cycle;

    /// <summary>The names of the jobs on the cycle, each depending on the next, first and last the same.</summary>
    public IReadOnlyList<string> Cycle { get; }
}

/// <summary>The dependency to remove does not exist.</summary>
public sealed class DependencyNotFoundException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public DependencyNotFoundException(JobId jobId, JobId dependsOnJobId)
        : base($"Job {jobId} does not depend on job {dependsOnJobId}.")
    {
        JobId = jobId;
        DependsOnJobId = dependsOnJobId;
    }

    /// <summary>The dependent job.</summary>
    public JobId JobId { get; }

    /// <summary>The upstream job.</summary>
    public JobId DependsOnJobId { get; }
}

/// <summary>A job that other jobs depend on cannot be deleted unless the caller asks for those dependencies to be removed.</summary>
public sealed class JobHasDependentsException : OrderLibException
{
    /// <summary>Creates the error naming the dependents.</summary>
    public JobHasDependentsException(JobId jobId, IReadOnlyList<string> dependentNames)
        : base($"Job {jobId} cannot be deleted: {string.Join(", ", dependentNames.Select(n => $"'{n}'"))} depend(s) on it. Delete with {nameof(JobDeletion)}.{nameof(JobDeletion.RemoveDependencies)} to remove those dependencies too.")
    {
        JobId = jobId;
        DependentNames = dependentNames;
    }

    /// <summary>The job that was to be deleted.</summary>
    public JobId JobId { get; }

    /// <summary>The names of the jobs that depend on it.</summary>
    public IReadOnlyList<string> DependentNames { get; }
}

/// <summary>A job whose run is Pending or Running cannot be deleted unless the caller asks for the run to be cancelled.</summary>
public sealed class JobHasActiveRunException : OrderLibException
{
    /// <summary>Creates the error naming the job's active run and its status.</summary>
    public JobHasActiveRunException(JobId jobId, RunId runId, RunStatus status)
        : base($"Job {jobId} cannot be deleted: its run {runId} is {status}. Wait for the run to end (or cancel it), or delete with {nameof(JobDeletion)}.{nameof(JobDeletion.CancelActiveRun)} to end it with the job.")
    {
        JobId = jobId;
        RunId = runId;
        Status = status;
    }

    /// <summary>The job that was to be deleted.</summary>
    public JobId JobId { get; }

    /// <summary>Its active run.</summary>
    public RunId RunId { get; }

    /// <summary>The run's status: Pending or Running.</summary>
    public RunStatus Status { get; }
}

/// <summary>A run cannot move between these two states.</summary>
public sealed class IllegalRunTransitionException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public IllegalRunTransitionException(RunId runId, RunStatus from, RunStatus to)
        : base($"Run {runId} cannot go from {from} to {to}.")
    {
        RunId = runId;
        From = from;
        To = to;
    }

    /// <summary>The run.</summary>
    public RunId RunId { get; }

    /// <summary>Its current status.</summary>
    public RunStatus From { get; }

    /// <summary>The status asked for.</summary>
    public RunStatus To { get; }
}

/// <summary>
/// A run cannot be retried: only a Failed or Cancelled run can, and only while its job has no active (Pending or Running)
/// run. Nothing was written.
/// </summary>
public sealed class RunNotRetryableException : OrderLibException
{
    /// <summary>Creates the error for a run whose status does not allow a retry.</summary>
    public RunNotRetryableException(RunId runId, RunStatus status)
        : base($"Run {runId} cannot be retried: it is {status}; only a Failed or Cancelled run can be retried.")
    {
        RunId = runId;
        Status = status;
    }

    /// <summary>Creates the error for a run whose job already has an active run.</summary>
    public RunNotRetryableException(RunId runId, RunStatus status, RunId activeRunId, RunStatus activeStatus)
        : base($"Run {runId} cannot be retried: its job already has run {activeRunId}, which is {activeStatus}.")
    {
        RunId = runId;
        Status = status;
        ActiveRunId = activeRunId;
    }

    /// <summary>The run that was to be retried.</summary>
    public RunId RunId { get; }

    /// <summary>Its status.</summary>
    public RunStatus Status { get; }

    /// <summary>The job's active run that stands in the way, or null when the run's own status refused the retry.</summary>
    public RunId? ActiveRunId { get; }
}

/// <summary>A run cannot start because some job it depends on has no successful latest run.</summary>
public sealed class DependenciesNotSatisfiedException : OrderLibException
{
    /// <summary>Creates the error naming each unsatisfied dependency and its latest status.</summary>
    public DependenciesNotSatisfiedException(RunId runId, IReadOnlyList<UnsatisfiedDependency> unsatisfied)
        : base($"Run {runId} cannot start: {new WaitingOnUpstreamReason(unsatisfied)}.")
    {
        RunId = runId;
        Unsatisfied = unsatisfied;
    }

    /// <summary>The run.</summary>
    public RunId RunId { get; }

    /// <summary>Every upstream job whose latest run has not succeeded.</summary>
    public IReadOnlyList<UnsatisfiedDependency> Unsatisfied { get; }
}

/// <summary>A run cannot start because its job is paused (see <c>JobService.PauseAsync</c>); it stays pending until the job is resumed.</summary>
public sealed class JobPausedException : OrderLibException
{
    /// <summary>Creates the error naming the job and since when it is paused, in the words of <see cref="JobPausedReason"/>.</summary>
    public JobPausedException(RunId runId, JobId jobId, string jobName, DateTimeOffset pausedAt)
        : base($"Run {runId} cannot start: {new JobPausedReason(jobId, jobName, pausedAt)}.")
    {
        RunId = runId;
        JobId = jobId;
        JobName = jobName;
        PausedAt = pausedAt;
    }

    /// <summary>The run.</summary>
    public RunId RunId { get; }

    /// <summary>Its job.</summary>
    public JobId JobId { get; }

    /// <summary>The job's name.</summary>
    public string JobName { get; }

    /// <summary>When the job was paused (UTC).</summary>
    public DateTimeOffset PausedAt { get; }
}

/// <summary>A pending run is not available yet (it waits for a retry backoff).</summary>
public sealed class RunNotAvailableException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public RunNotAvailableException(RunId runId, DateTimeOffset availableAt)
        : base($"Run {runId} is not available before {availableAt:O}.")
    {
        RunId = runId;
        AvailableAt = availableAt;
    }

    /// <summary>The run.</summary>
    public RunId RunId { get; }

    /// <summary>The earliest time it may start.</summary>
    public DateTimeOffset AvailableAt { get; }
}

/// <summary>
/// A worker reported on a run it no longer holds: the run is not Running any more (it was rescued after its lease
/// expired, cancelled, or finished) or another worker holds it. Nothing was changed.
/// </summary>
public sealed class LeaseLostException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public LeaseLostException(RunId runId, WorkerId workerId, RunStatus status, WorkerId? holder)
        : base($"Worker '{workerId}' no longer holds run {runId}: it is {status}{(holder is null ? "" : $" and held by '{holder}'")}.")
    {
        RunId = runId;
        WorkerId = workerId;
        Status = status;
        Holder = holder;
    }

    /// <summary>The run.</summary>
    public RunId RunId { get; }

    /// <summary>The worker that reported.</summary>
    public WorkerId WorkerId { get; }

    /// <summary>The run's status now.</summary>
    public RunStatus Status { get; }

    /// <summary>The worker holding the run now, if any.</summary>
    public WorkerId? Holder { get; }
}

/// <summary>Thrown when a schema migration fails; the failing migration's changes are rolled back.</summary>
public sealed class OrderLibMigrationException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public OrderLibMigrationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown at start-up when OrderLib's configuration is missing or wrong; the message names the key to set.</summary>
public sealed class OrderLibConfigurationException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public OrderLibConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Thrown when a write kept colliding with concurrent writers (the same rows changed under it on every try) until
/// OrderLib's retry limit ran out; nothing was written. Calling again later is safe.
/// </summary>
public sealed class OrderLibConcurrencyException : OrderLibException
{
    /// <summary>Creates the error.</summary>
    public OrderLibConcurrencyException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Thrown when the database's OrderLib schema does not match this library: it is behind (migrations not applied yet)
/// or newer (it holds migrations this library does not know, applied by a newer OrderLib). Nothing was written.
/// </summary>
public sealed class OrderLibSchemaVersionException : OrderLibException
{
    /// <summary>Creates the error from what is missing and what is unknown.</summary>
    public OrderLibSchemaVersionException(IReadOnlyList<long> missingVersions, IReadOnlyList<long> unknownVersions)
        : base(Describe(missingVersions, unknownVersions))
    {
        MissingVersions = missingVersions;
        UnknownVersions = unknownVersions;
    }

    /// <summary>Migrations the database lacks, oldest first.</summary>
    public IReadOnlyList<long> MissingVersions { get; }

    /// <summary>Migrations the database has that this library does not know, oldest first.</summary>
    public IReadOnlyList<long> UnknownVersions { get; }

    private static string Describe(IReadOnlyList<long> missing, IReadOnlyList<long> unknown) => unknown.Count > 0
        ? $"The database is newer than this OrderLib: it has migrations {string.Join(", ", unknown)} applied, which this version does not know. Use the OrderLib version that applied them (or newer); this one refuses to run against it."
        : $"The database's OrderLib schema is behind this library: migrations {string.Join(", ", missing)} are not applied. Apply them with IOrderLibMigrator.MigrateUp(), or set OrderLib:ApplyMigrationsAtStartup=true.";
}

/// <summary>
/// The database could not be reached or cannot serve OrderLib right now: connection refused or broken, a timeout, the
/// server shutting down or refusing connections, a read-only database after a failover, a SQLite file that is locked
/// past its busy timeout, cannot be opened, written or grown. <see cref="Exception.InnerException"/> is the driver's
/// error. Unlike OrderLib's rule violations this says nothing about the request: a host application may retry it
/// (with backoff) once the database is back. The operation wrote nothing, except when the connection broke while its
/// commit was under way: then it may have committed, so read back before repeating a write that is not idempotent.
/// </summary>
public sealed class OrderLibDatabaseUnavailableException : OrderLibException
{
    /// <summary>Creates the error for the database <paramref name="provider"/> names, wrapping the driver's error.</summary>
    public OrderLibDatabaseUnavailableException(string provider, Exception innerException)
        : base($"OrderLib's {provider} database is unavailable: {innerException?.Message} Retry once it is back.", innerException)
        => Provider = provider;

    /// <summary>The store's provider (<c>Postgres</c>, <c>Sqlite</c>).</summary>
    public string Provider { get; }
}

/// <summary>A run's input or output is larger than <see cref="RunPayload.MaxBytes"/>; nothing was written.</summary>
public sealed class RunPayloadTooLargeException : OrderLibException
{
    /// <summary>Creates the error for the named input and its size.</summary>
    public RunPayloadTooLargeException(string paramName, int sizeBytes)
        : base($"The {paramName} is {sizeBytes:N0} bytes of UTF-8; the limit is {RunPayload.MaxBytes:N0} bytes (64 KiB).")
    {
        ParamName = paramName;
        SizeBytes = sizeBytes;
    }

    /// <summary>The input that is too large.</summary>
    public string ParamName { get; }

    /// <summary>Its size in bytes of UTF-8.</summary>
    public int SizeBytes { get; }

    /// <summary>The limit in bytes: <see cref="RunPayload.MaxBytes"/>.</summary>
    public int LimitBytes { get; } = RunPayload.MaxBytes;
}
