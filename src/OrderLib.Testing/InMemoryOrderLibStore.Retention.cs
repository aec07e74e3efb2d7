using OrderLib.Ports;

namespace OrderLib.Testing;

// Retention: a prune batch and the list of clients, under the store's one lock like every method.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Scans the runs for the candidates; a job's latest and newest runs are read from its run list (<c>_runsByJob</c>), which
    /// the deleted runs leave. The pipeline runs of the deleted runs that were created before the cut-off and have no run
    /// left go too.
    /// </remarks>
    public Task<PruneBatch> PruneRunsAsync(ClientId client, PruneRequest request, RunPosition? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var olderThan = Utc(request.OlderThan);
            var candidates = _runs.Values
                .Where(run => run.Status.IsTerminal() && run.FinishedAt < olderThan && _jobs[run.JobId.Value].ClientId == client && IsAfter(run, after))
                .OrderBy(run => run.FinishedAt)
                .ThenBy(run => run.Id.Value)
                .Take(request.BatchSize)
                .ToArray();

            var deleted = candidates.Where(run => MayPrune(run, request.KeepLatestPerJob)).ToArray();
            foreach (var job in deleted.GroupBy(run => run.JobId.Value, run => run.Id.Value))
            {
                var ids = job.ToHashSet();
                _runsByJob[job.Key].RemoveAll(ids.Contains);
                foreach (var id in ids)
                {
                    _runs.Remove(id);
                    _payloads.Remove(id);
                    _traces.Remove(id);
                }
            }

            foreach (var pipelineRunId in deleted.Select(run => run.PipelineRunId).OfType<PipelineRunId>().Distinct())
            {
                if (_pipelineRuns[pipelineRunId.Value].CreatedAt < olderThan && !HasRunsLeft(_pipelineRuns[pipelineRunId.Value]))
                {
                    _pipelineRuns.Remove(pipelineRunId.Value);
                }
            }

            RunPosition? next = candidates.Length < request.BatchSize ? null : new RunPosition(candidates[^1].FinishedAt!.Value, candidates[^1].Id);
            var batch = new PruneBatch(deleted.Select(run => new PrunedRun(run.Id, run.JobId, _jobs[run.JobId.Value].Name, run.Status)).ToArray(), next);
            return Task.FromResult(batch);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ClientId>> ListClientsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ClientId> clients = _jobs.Values.Select(job => job.ClientId.Value).Distinct().Order(StringComparer.Ordinal).Select(id => new ClientId(id)).ToArray();
            return Task.FromResult(clients);
        }
    }

    // True when the finished run comes strictly after the position in (finished time, run id) order (always without one).
    private static bool IsAfter(JobRun run, RunPosition? after) =>
        after is not { } position || RunPosition.Of(run, RunTimestamp.Finished) > position;

    // True when the run is neither its job's latest run nor among its keep newest runs (by id).
    private bool MayPrune(JobRun run, int keep)
    {
        var ids = _runsByJob[run.JobId.Value];
        var kept = Math.Max(keep, 1); // the latest run always stays
        return ids.Count > kept && run.Id.Value < ids[^kept];
    }
}
