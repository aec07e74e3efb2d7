namespace OrderLib;

/// <summary>
/// Pipeline runs of one client: one record per trigger (<see cref="RunService.TriggerAsync(IReadOnlyCollection{JobId}, TriggerOptions?, CancellationToken)"/>)
/// and per scheduled occurrence that created a run, listed, read with their jobs and runs, and cancelled as a whole.
/// Obtain it from <see cref="IOrderLib.Pipelines"/>.
/// </summary>
public sealed class PipelineService
{
    private readonly OrderLibContext _context;

    internal PipelineService(OrderLibContext context) => _context = context;

    /// <summary>One page of the client's pipeline runs matching the search, newest first, with the cursor of the next page.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="search"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The search is invalid (a filter rule, the page size, or a cursor of another listing); nothing was read.</exception>
    public async Task<Page<PipelineRunSummary>> ListAsync(PipelineRunSearch search, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        search.Validate();
        var runs = await _context.PipelineStore.ListPipelineRunsAsync(_context.Client, search.Filter, search.Before, search.Limit + 1, cancellationToken);
        return Paging.ToPage(runs, search.Limit, PipelineRunSearch.CursorAfter);
    }

    /// <summary>The pipeline run with its input and its jobs in topological order, each with the runs of the chain it created or joined.</summary>
    /// <exception cref="PipelineRunNotFoundException">The client has no such pipeline run.</exception>
    public async Task<PipelineRunDetail> GetAsync(PipelineRunId id, CancellationToken cancellationToken = default) =>
        await _context.PipelineStore.GetPipelineRunAsync(_context.Client, id, cancellationToken) ?? throw new PipelineRunNotFoundException(id);

    /// <summary>
    /// Cancels the pipeline run as a whole, in one transaction: each active run it created (retries included) is cancelled
    /// as <see cref="RunService.CancelAsync"/> would (a Pending run at once, with the pending runs of its dependents; a
    /// Running run marked, its worker stopping at the next heartbeat). The runs it joined belong to another trigger and are
    /// left alone (the result lists them). The reason is checked and capped like <see cref="RunService.CancelAsync"/>'s.
    /// </summary>
    /// <exception cref="OrderLibValidationException"><paramref name="reason"/> holds a NUL or a lone surrogate; nothing was changed.</exception>
    /// <exception cref="PipelineRunNotFoundException">The client has no such pipeline run.</exception>
    public Task<PipelineCancellation> CancelAsync(PipelineRunId id, string? reason = null, CancellationToken cancellationToken = default)
    {
        var stored = TextRules.CapReport(reason, nameof(reason), "A cancel reason");
        return _context.PipelineStore.CancelPipelineRunAsync(_context.Client, id, stored, _context.Now(), cancellationToken);
    }

    /// <summary>
    /// The pipeline run ready to draw (<see cref="JobGraph.ToMermaid"/>, <see cref="JobGraph.ToDot"/>): its jobs, each
    /// coloured by the latest attempt of its run in this pipeline run (joined runs included), and the dependencies among
    /// them as they are now. Two reads: the pipeline run, then the jobs' current edges and pauses.
    /// </summary>
    /// <exception cref="PipelineRunNotFoundException">The client has no such pipeline run.</exception>
    public async Task<JobGraph> GetGraphAsync(PipelineRunId id, CancellationToken cancellationToken = default)
    {
        var detail = await GetAsync(id, cancellationToken);
        var now = await _context.DependencyStore.ReadGraphAsync(
            _context.Client, GraphSelection.Of(detail.Jobs.Select(job => job.Job.Id).ToArray()), cancellationToken);
        return JobGraph.OfPipelineRun(detail, now);
    }
}
