namespace OrderLib;

/// <summary>
/// Which finished runs a prune deletes: Succeeded, Failed or Cancelled runs that finished before
/// <paramref name="OlderThan"/>, except each job's <paramref name="KeepLatestPerJob"/> newest runs (by run id, whatever
/// their age or status) and, always, each job's latest run, which readiness and "latest status" read.
/// </summary>
/// <param name="OlderThan">Runs that finished before this time may go.</param>
/// <param name="KeepLatestPerJob">How many of each job's newest runs are kept however old; 0 keeps only the latest run.</param>
public sealed record PruneRequest(DateTimeOffset OlderThan, int KeepLatestPerJob = 0)
{
    /// <summary>The default number of runs deleted per transaction.</summary>
    public const int DefaultBatchSize = 1000;

    /// <summary>The most runs deleted per transaction.</summary>
    public const int MaxBatchSize = 50_000;

    /// <summary>The longest pause between batches.</summary>
    public static TimeSpan MaxPauseBetweenBatches { get; } = TimeSpan.FromHours(1);

    /// <summary>Runs deleted per transaction (1 to <see cref="MaxBatchSize"/>): each batch is one short transaction, so claims and completions never wait long behind a prune.</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>A pause after each batch, leaving the database to other work: zero (the default) for none, at most <see cref="MaxPauseBetweenBatches"/>.</summary>
    public TimeSpan PauseBetweenBatches { get; init; } = TimeSpan.Zero;

    /// <summary>Checks the request: a keep count of 0 or more, a batch size in range, a pause in range.</summary>
    /// <returns>This request, for chaining.</returns>
    /// <exception cref="OrderLibValidationException">A rule is broken; the error names the property (camelCase), and nothing was deleted.</exception>
    public PruneRequest Validate()
    {
        HistoryRules.RequireAtLeast(KeepLatestPerJob, 0, "keepLatestPerJob", "The number of runs kept per job");
        if (BatchSize is < 1 or > MaxBatchSize)
        {
            throw new OrderLibValidationException("batchSize", $"A prune deletes 1 to {MaxBatchSize} runs per batch; got {BatchSize}.");
        }

        HistoryRules.RequireNotNegative(PauseBetweenBatches, "pauseBetweenBatches", "The pause between batches");
        if (PauseBetweenBatches > MaxPauseBetweenBatches)
        {
            throw new OrderLibValidationException("pauseBetweenBatches", $"The pause between batches must be at most {MaxPauseBetweenBatches}; got {PauseBetweenBatches}.");
        }

        return this;
    }
}

/// <summary>One run a prune deleted.</summary>
/// <param name="RunId">The run.</param>
/// <param name="JobId">Its job.</param>
/// <param name="JobName">The job's name.</param>
/// <param name="Status">The status it had.</param>
public sealed record PrunedRun(RunId RunId, JobId JobId, string JobName, RunStatus Status);

/// <summary>What one prune batch did, and where the next one goes on.</summary>
/// <param name="Deleted">The runs this batch deleted (possibly none, when every candidate it looked at was kept).</param>
/// <param name="Next">Where the next batch starts (after this finished time and run id, in that order), or null when no candidate is left.</param>
public sealed record PruneBatch(IReadOnlyList<PrunedRun> Deleted, RunPosition? Next);

/// <summary>What a prune removed.</summary>
/// <param name="Request">The request carried out.</param>
/// <param name="Batches">How many batches (transactions) it took.</param>
/// <param name="Jobs">Per job that lost runs, in job id order: how many of each status.</param>
public sealed record PruneReport(PruneRequest Request, int Batches, IReadOnlyList<PrunedJob> Jobs)
{
    /// <summary>Every run deleted.</summary>
    public long RunsDeleted => Jobs.Sum(job => job.Total);

    /// <summary>The Succeeded runs deleted, of every job.</summary>
    public long Succeeded => Jobs.Sum(job => job.Succeeded);

    /// <summary>The Failed runs deleted, of every job.</summary>
    public long Failed => Jobs.Sum(job => job.Failed);

    /// <summary>The Cancelled runs deleted, of every job.</summary>
    public long Cancelled => Jobs.Sum(job => job.Cancelled);
}

/// <summary>The runs of one job a prune deleted.</summary>
/// <param name="JobId">The job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="Succeeded">Succeeded runs deleted.</param>
/// <param name="Failed">Failed runs deleted.</param>
/// <param name="Cancelled">Cancelled runs deleted.</param>
public sealed record PrunedJob(JobId JobId, string JobName, long Succeeded, long Failed, long Cancelled)
{
    /// <summary>All of this job's runs deleted.</summary>
    public long Total => Succeeded + Failed + Cancelled;
}
