using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using OrderLib.Ports;

namespace OrderLib.Adapters.Relational;

// Rows shaped like the tables. Dapper fills them through their setters (the SELECTs alias snake_case columns to
// these property names); they then map to the domain records, which carry no persistence concerns.
// Timestamp columns are typed object: the provider's raw value (ISO-8601 text on SQLite, DateTime on PostgreSQL),
// which the dialect converts, so no global Dapper type handler changes what another database receives.

/// <summary>A row of <c>jobs</c>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class JobRow
{
    public long Id { get; set; }

    public string ClientId { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public int Priority { get; set; }

    public int MaxAttempts { get; set; }

    public string? Schedule { get; set; }

    public long? LatestRunId { get; set; }

    public string? LatestStatus { get; set; }

    public object CreatedAt { get; set; } = null!;

    public object UpdatedAt { get; set; } = null!;

    public object? NextDueAt { get; set; }

    public object? PausedAt { get; set; }

    public Job ToJob(SqlDialect dialect) => new(
        new JobId(Id),
        new ClientId(ClientId),
        Name,
        Description,
        Priority,
        MaxAttempts,
        Schedule,
        dialect.FromDb(CreatedAt),
        dialect.FromDb(UpdatedAt))
    {
        NextDueAt = NextDueAt is null ? null : dialect.FromDb(NextDueAt),
        PausedAt = PausedAt is null ? null : dialect.FromDb(PausedAt),
    };
}

/// <summary>A row of <c>job_runs</c>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class RunRow
{
    public long Id { get; set; }

    public long JobId { get; set; }

    public string Status { get; set; } = "";

    public int Attempt { get; set; }

    public int Priority { get; set; }

    public int WaitingOn { get; set; }

    public object EnqueuedAt { get; set; } = null!;

    public object AvailableAt { get; set; } = null!;

    public object? StartedAt { get; set; }

    public object? FinishedAt { get; set; }

    public object? LeaseExpiresAt { get; set; }

    public string? WorkerId { get; set; }

    public string? Error { get; set; }

    // A boolean on PostgreSQL, an integer 0/1 on SQLite.
    public object CancelRequested { get; set; } = false;

    public bool IsCancelRequested => Convert.ToBoolean(CancelRequested, CultureInfo.InvariantCulture);

    public long? PipelineRunId { get; set; }

    // The run's input JSON, read only by the statements that may retry the run (the retry carries it); null elsewhere.
    public string? Input { get; set; }

    public string? TraceParent { get; set; }

    public string? TraceState { get; set; }

    /// <summary>The stored trace context of the enqueuing or triggering call, or null.</summary>
    public RunTraceContext? Trace => RunTraceContext.FromStored(TraceParent, TraceState);

    public JobRun ToRun(SqlDialect dialect) => new(
        new RunId(Id),
        new JobId(JobId),
        StatusText.Parse(Status),
        Attempt,
        dialect.FromDb(EnqueuedAt),
        dialect.FromDb(AvailableAt),
        StartedAt is null ? null : dialect.FromDb(StartedAt),
        FinishedAt is null ? null : dialect.FromDb(FinishedAt),
        WorkerId is null ? null : new WorkerId(WorkerId),
        LeaseExpiresAt is null ? null : dialect.FromDb(LeaseExpiresAt),
        Error)
    {
        CancelRequested = IsCancelRequested,
        PipelineRunId = PipelineRunId is { } pipelineRunId ? new PipelineRunId(pipelineRunId) : null,
    };
}

/// <summary>What a claim returns besides the run: the job's client, name and max attempts, and the run's input.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class ClaimJobRow
{
    public string ClientId { get; set; } = "";

    public string JobName { get; set; } = "";

    public int MaxAttempts { get; set; }

    public string? Input { get; set; }
}

/// <summary>A run's <c>input</c> and <c>output</c> columns.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class PayloadsRow
{
    public string? Input { get; set; }

    public string? Output { get; set; }

    public RunPayloads ToPayloads() => new(StoredPayload.Of(Input), StoredPayload.Of(Output));
}

/// <summary>An upstream job with its latest Succeeded run and that run's output; all null on the row of a job without upstream jobs.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class UpstreamOutputRow
{
    public long? JobId { get; set; }

    public string? JobName { get; set; }

    public long? RunId { get; set; }

    public string? Output { get; set; }

    public UpstreamOutput ToUpstreamOutput() =>
        new(new JobId(JobId!.Value), JobName!, RunId is { } runId ? new RunId(runId) : null, StoredPayload.Of(Output));
}

/// <summary>Payload columns as read back: the library wrote them through <see cref="RunPayload"/>, so they parse.</summary>
internal static class StoredPayload
{
    public static RunPayload? Of(string? json) => json is null ? null : RunPayload.Parse(json, "stored payload");
}

/// <summary>A run's status and holder, to explain a refused heartbeat or completion.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class RunHolderRow
{
    public string Status { get; set; } = "";

    public string? WorkerId { get; set; }
}

/// <summary>An upstream job of <see cref="JobId"/>: its id and latest status.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class UpstreamEdgeRow
{
    public long JobId { get; set; }

    public long Id { get; set; }

    public string? LatestStatus { get; set; }
}

/// <summary>A job reached downstream from the source with ordinal <see cref="Source"/>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class DescendantRow
{
    public int Source { get; set; }

    public long JobId { get; set; }
}

/// <summary>The pending run <see cref="RunId"/> of a job that depends directly on the job <see cref="UpstreamJobId"/>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class DependentRunRow
{
    public long RunId { get; set; }

    public long UpstreamJobId { get; set; }
}

/// <summary>A run id with its job id.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class RunOfJobRow
{
    public long Id { get; set; }

    public long JobId { get; set; }
}

/// <summary>An upstream job's id, name and latest status (a projection of <c>jobs</c>).</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class UpstreamRow
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public string? LatestStatus { get; set; }

    public bool Succeeded => LatestStatus == StatusText.Succeeded;

    public UnsatisfiedDependency ToUnsatisfied() =>
        new(new JobId(Id), Name, LatestStatus is null ? null : StatusText.Parse(LatestStatus));
}

/// <summary>A row of <c>job_dependencies</c>: <see cref="JobId"/> depends on <see cref="DependsOnJobId"/>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class EdgeRow
{
    public long JobId { get; set; }

    public long DependsOnJobId { get; set; }
}

/// <summary>A job's id and name.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class JobNameRow
{
    public long Id { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>Run statuses as stored: their enum names, never numbers.</summary>
internal static class StatusText
{
    public const string Pending = nameof(RunStatus.Pending);
    public const string Running = nameof(RunStatus.Running);
    public const string Succeeded = nameof(RunStatus.Succeeded);
    public const string Failed = nameof(RunStatus.Failed);
    public const string Cancelled = nameof(RunStatus.Cancelled);

    public static string Of(RunStatus status) => status switch
    {
        RunStatus.Pending => Pending,
        RunStatus.Running => Running,
        RunStatus.Succeeded => Succeeded,
        RunStatus.Failed => Failed,
        RunStatus.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a run status."),
    };

    public static RunStatus Parse(string text) => text switch
    {
        Pending => RunStatus.Pending,
        Running => RunStatus.Running,
        Succeeded => RunStatus.Succeeded,
        Failed => RunStatus.Failed,
        Cancelled => RunStatus.Cancelled,
        _ => throw new InvalidOperationException($"Unknown run status '{text}' in the database."),
    };
}

/// <summary>A job of a graph picture: id, name, its latest run's status and id, when it was paused.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class GraphNodeRow
{
    public long JobId { get; set; }

    public string Name { get; set; } = "";

    public string? Status { get; set; }

    public long? RunId { get; set; }

    public object? PausedAt { get; set; }

    public JobGraphNode ToNode() => new(
        new JobId(JobId),
        Name,
        Status is null ? null : StatusText.Parse(Status),
        RunId is { } runId ? new RunId(runId) : null,
        PausedAt is not null);
}

/// <summary>A pipeline run as a listing reads it: its row, its runs counted per status, and its derived state and finish.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class PipelineRunRow
{
    public long Id { get; set; }

    public string ClientId { get; set; } = "";

    public string TriggerKind { get; set; } = "";

    public string? Label { get; set; }

    public string? Input { get; set; }

    // A boolean on PostgreSQL, an integer 0/1 on SQLite.
    public object HasInput { get; set; } = false;

    public object CreatedAt { get; set; } = null!;

    public object? FinishedAt { get; set; }

    public string State { get; set; } = "";

    public long Pending { get; set; }

    public long Running { get; set; }

    public long Succeeded { get; set; }

    public long Failed { get; set; }

    public long Cancelled { get; set; }

    public PipelineRunSummary ToSummary(SqlDialect dialect, IReadOnlyList<PipelineRunJobRef> roots) => new(
        new PipelineRunId(Id),
        new ClientId(ClientId),
        roots,
        Enum.Parse<PipelineTriggerKind>(TriggerKind),
        Label,
        Convert.ToBoolean(HasInput, CultureInfo.InvariantCulture),
        dialect.FromDb(CreatedAt),
        FinishedAt is null ? null : dialect.FromDb(FinishedAt),
        Enum.Parse<PipelineRunState>(State),
        new PipelineRunCounts((int)Pending, (int)Running, (int)Succeeded, (int)Failed, (int)Cancelled));
}

/// <summary>A job of a pipeline run (a row of <c>pipeline_run_jobs</c>).</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class PipelineMemberRow
{
    public long PipelineRunId { get; set; }

    public int Position { get; set; }

    public long JobId { get; set; }

    public string JobName { get; set; } = "";

    public long RunId { get; set; }

    // Booleans on PostgreSQL, integers 0/1 on SQLite.
    public object Joined { get; set; } = false;

    public object IsRoot { get; set; } = false;

    public bool HasJoined => Convert.ToBoolean(Joined, CultureInfo.InvariantCulture);

    public bool IsRootJob => Convert.ToBoolean(IsRoot, CultureInfo.InvariantCulture);

    public PipelineRunJobRef ToRef() => new(new JobId(JobId), JobName);
}

/// <summary>A job reached downstream from the pending run <see cref="SourceRunId"/>.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Dapper.")]
internal sealed class RunDescendantRow
{
    public long SourceRunId { get; set; }

    public long JobId { get; set; }
}
