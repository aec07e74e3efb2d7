namespace OrderLib;

/// <summary>What created a pipeline run.</summary>
public enum PipelineTriggerKind
{
    /// <summary>A call of <c>RunService.TriggerAsync</c>.</summary>
    Manual,

    /// <summary>A scheduled occurrence of a job that created its run.</summary>
    Schedule,
}

/// <summary>
/// Where a pipeline run stands, derived from the latest attempt of each of its jobs: Running while any is Pending or
/// Running; otherwise Failed when any failed, else Cancelled when any was cancelled, else Succeeded.
/// </summary>
public enum PipelineRunState
{
    /// <summary>Some job's latest attempt is Pending or Running.</summary>
    Running,

    /// <summary>No attempt is active and every job's latest attempt Succeeded.</summary>
    Succeeded,

    /// <summary>No attempt is active and some job's latest attempt Failed.</summary>
    Failed,

    /// <summary>No attempt is active, none failed, and some job's latest attempt was Cancelled.</summary>
    Cancelled,
}

/// <summary>What a manual trigger records besides its jobs: an optional label and an optional input for the runs it creates.</summary>
public sealed record TriggerOptions
{
    /// <summary>The longest label accepted, in text elements: 200.</summary>
    public const int MaxLabelLength = 200;

    /// <summary>The input every run the trigger creates receives (its retries too); null for none.</summary>
    public RunPayload? Input { get; init; }

    /// <summary>A caller's label for the pipeline run (e.g. <c>backfill 2026-12</c>), compared exactly; null for none.</summary>
    public string? Label { get; init; }

    /// <summary>Checks the label: when set, not empty, well formed (<see cref="TextRules"/>) and at most <see cref="MaxLabelLength"/> text elements.</summary>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">The label is empty, holds a NUL or a lone surrogate, or is too long; the error names <c>label</c>.</exception>
    public TriggerOptions Validate()
    {
        RequireLabel(Label, "label");
        return this;
    }

    /// <summary>Checks a label as <see cref="Validate"/> does, naming <paramref name="paramName"/> in the error.</summary>
    /// <exception cref="OrderLibValidationException">The label is empty, holds a NUL or a lone surrogate, or is too long.</exception>
    public static void RequireLabel(string? label, string paramName)
    {
        if (label is null)
        {
            return;
        }

        if (label.Length == 0)
        {
            throw new OrderLibValidationException(paramName, "A pipeline run label must not be empty; leave it null for none.");
        }

        TextRules.RequireWellFormed(label, paramName, "A pipeline run label");
        TextRules.RequireMaxLength(label, MaxLabelLength, paramName, "A pipeline run label");
    }
}

/// <summary>A job of a pipeline run, by id and by the name it had when the pipeline run was created.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Name">The job's name at the trigger.</param>
public sealed record PipelineRunJobRef(JobId Id, string Name);

/// <summary>How many runs of a pipeline run (every attempt of every job) are in each status.</summary>
/// <param name="Pending">Pending runs.</param>
/// <param name="Running">Running runs.</param>
/// <param name="Succeeded">Succeeded runs.</param>
/// <param name="Failed">Failed runs.</param>
/// <param name="Cancelled">Cancelled runs.</param>
public sealed record PipelineRunCounts(int Pending, int Running, int Succeeded, int Failed, int Cancelled)
{
    /// <summary>Counts nothing.</summary>
    public static PipelineRunCounts None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>These counts with one more run in <paramref name="status"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a run status.</exception>
    public PipelineRunCounts Add(RunStatus status) => status switch
    {
        RunStatus.Pending => this with { Pending = Pending + 1 },
        RunStatus.Running => this with { Running = Running + 1 },
        RunStatus.Succeeded => this with { Succeeded = Succeeded + 1 },
        RunStatus.Failed => this with { Failed = Failed + 1 },
        RunStatus.Cancelled => this with { Cancelled = Cancelled + 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a run status."),
    };
}

/// <summary>One pipeline run (one trigger, like Airflow's DagRun) as listings show it.</summary>
/// <param name="Id">The pipeline run's id.</param>
/// <param name="ClientId">Its client.</param>
/// <param name="Roots">The jobs it was triggered from, in its topological order.</param>
/// <param name="TriggerKind">Manual or Schedule.</param>
/// <param name="Label">The caller's label, or null.</param>
/// <param name="HasInput">True when the trigger gave an input.</param>
/// <param name="CreatedAt">When it was triggered (UTC).</param>
/// <param name="FinishedAt">When no run of it is active any more: the latest finish among its runs; otherwise null.</param>
/// <param name="State">Its derived state (<see cref="PipelineRunState"/>).</param>
/// <param name="Counts">Its runs (every attempt of every job, joined runs included) per status.</param>
public sealed record PipelineRunSummary(
    PipelineRunId Id,
    ClientId ClientId,
    IReadOnlyList<PipelineRunJobRef> Roots,
    PipelineTriggerKind TriggerKind,
    string? Label,
    bool HasInput,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    PipelineRunState State,
    PipelineRunCounts Counts)
{
    /// <summary>Derives a pipeline run's state from the latest attempt of each of its jobs (<see cref="PipelineRunState"/>).</summary>
    public static PipelineRunState StateOf(IEnumerable<RunStatus> latestAttempts)
    {
        ArgumentNullException.ThrowIfNull(latestAttempts);
        var statuses = latestAttempts.ToHashSet();
        return statuses.Any(s => s.IsActive()) ? PipelineRunState.Running
            : statuses.Contains(RunStatus.Failed) ? PipelineRunState.Failed
            : statuses.Contains(RunStatus.Cancelled) ? PipelineRunState.Cancelled
            : PipelineRunState.Succeeded;
    }
}

/// <summary>One job of a pipeline run, at its position in the run's topological order, with its runs.</summary>
/// <param name="Position">0 for the first job, upstream before downstream, ties by job id.</param>
/// <param name="Job">The job, with its name at the trigger.</param>
/// <param name="IsRoot">True for a job the trigger named.</param>
/// <param name="Joined">True when the job already had an active run, which the pipeline run joined instead of creating one.</param>
/// <param name="Runs">Every attempt of the chain it created or joined, oldest first (the joined run and its retries; pruned runs are missing).</param>
public sealed record PipelineRunJob(int Position, PipelineRunJobRef Job, bool IsRoot, bool Joined, IReadOnlyList<JobRun> Runs);

/// <summary>One pipeline run with its input and its jobs.</summary>
/// <param name="Summary">What listings show of it.</param>
/// <param name="Input">The trigger's input, or null.</param>
/// <param name="Jobs">Its jobs in topological order.</param>
public sealed record PipelineRunDetail(PipelineRunSummary Summary, RunPayload? Input, IReadOnlyList<PipelineRunJob> Jobs);

/// <summary>What cancelling a pipeline run as a whole did.</summary>
/// <param name="Id">The pipeline run.</param>
/// <param name="Cancelled">Its own pending runs, cancelled at once, in run id order.</param>
/// <param name="CancelRequested">Its own running runs, marked <see cref="JobRun.CancelRequested"/>, in run id order.</param>
/// <param name="CancelledDownstream">Pending runs outside it that the cascade cancelled (dependents of its cancelled runs), in run id order.</param>
/// <param name="JoinedLeftAlone">The runs it joined, which belong to another trigger and were not asked to stop (unless the cascade reached them: then they are in <paramref name="CancelledDownstream"/> instead), in run id order.</param>
public sealed record PipelineCancellation(
    PipelineRunId Id,
    IReadOnlyList<RunId> Cancelled,
    IReadOnlyList<RunId> CancelRequested,
    IReadOnlyList<RunId> CancelledDownstream,
    IReadOnlyList<RunId> JoinedLeftAlone);

/// <summary>
/// Which pipeline runs a listing matches: every property left null matches everything, and those set must all hold.
/// Time ranges include their <c>From</c> and exclude their <c>To</c>.
/// </summary>
public sealed record PipelineRunFilter
{
    /// <summary>Pipeline runs in one of these derived states; null or empty for any.</summary>
    public IReadOnlySet<PipelineRunState>? States { get; init; }

    /// <summary>Pipeline runs triggered from this job (one of their roots).</summary>
    public JobId? RootJobId { get; init; }

    /// <summary>Pipeline runs of this trigger kind.</summary>
    public PipelineTriggerKind? TriggerKind { get; init; }

    /// <summary>Pipeline runs with exactly this label (ordinal).</summary>
    public string? Label { get; init; }

    /// <summary>Pipeline runs created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Pipeline runs created before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Checks the filter: known states and kind, a valid label, the creation range the right way round.</summary>
    /// <returns>This filter, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">A rule is broken; the error names the property (camelCase), and nothing was read.</exception>
    public PipelineRunFilter Validate()
    {
        foreach (var state in States ?? new HashSet<PipelineRunState>())
        {
            if (!Enum.IsDefined(state))
            {
                throw new OrderLibValidationException("states", $"{(int)state} is not a pipeline run state; use Running, Succeeded, Failed or Cancelled.");
            }
        }

        if (TriggerKind is { } kind && !Enum.IsDefined(kind))
        {
            throw new OrderLibValidationException("triggerKind", $"{(int)kind} is not a trigger kind; use Manual or Schedule.");
        }

        TriggerOptions.RequireLabel(Label, "label");
        HistoryRules.RequireOrdered(CreatedFrom, CreatedTo, "createdTo", "The end of the creation range", "its start");
        return this;
    }
}
