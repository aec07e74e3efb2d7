using OrderLib.Ports;

namespace OrderLib.Testing;

// Pipeline runs: recorded by triggers and by the scheduler, read and cancelled under the store's one lock like every method.
public sealed partial class InMemoryOrderLibStore
{
    private readonly SortedDictionary<long, PipelineRecord> _pipelineRuns = [];

    private long _lastPipelineRunId;

    /// <inheritdoc />
    /// <remarks>Scans the client's pipeline runs newest first, deriving each one's summary until the page is full.</remarks>
    public Task<IReadOnlyList<PipelineRunSummary>> ListPipelineRunsAsync(ClientId client, PipelineRunFilter filter, PipelineRunId? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<PipelineRunSummary> page = _pipelineRuns.Values
                .Reverse()
                .Where(p => p.ClientId == client && (before is not { } b || p.Id.Value < b.Value) && Matches(p, filter))
                .Select(Summarize)
                .Where(s => filter.States is not { Count: > 0 } states || states.Contains(s.State))
                .Take(limit)
                .ToArray();
            return Task.FromResult(page);
        }
    }

    /// <inheritdoc />
    public Task<PipelineRunDetail?> GetPipelineRunAsync(ClientId client, PipelineRunId id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (FindPipelineRun(client, id) is not { } record)
            {
                return Task.FromResult<PipelineRunDetail?>(null);
            }

            var jobs = record.Members
                .Select(m => new PipelineRunJob(m.Position, m.Job, m.IsRoot, m.Joined, Chain(m).ToArray()))
                .ToArray();
            return Task.FromResult<PipelineRunDetail?>(new PipelineRunDetail(Summarize(record), record.Input, jobs));
        }
    }

    /// <inheritdoc />
    /// <remarks>Cancels the pipeline run's own active runs one by one in run id order, as <see cref="CancelRunAsync"/> does, under the one lock.</remarks>
    public Task<PipelineCancellation> CancelPipelineRunAsync(ClientId client, PipelineRunId id, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var record = FindPipelineRun(client, id) ?? throw new PipelineRunNotFoundException(id);
            now = Utc(now);
            var own = _runs.Values
                .Where(r => r.PipelineRunId == id && r.Status.IsActive())
                .OrderBy(r => r.Id.Value)
                .ToArray();
            var cancelled = new List<RunId>();
            var marked = new List<RunId>();
            var downstream = new List<RunId>();
            foreach (var run in own)
            {
                var current = _runs[run.Id.Value];
                if (current.Status == RunStatus.Running)
                {
                    _runs[run.Id.Value] = current with { CancelRequested = true };
                    marked.Add(run.Id);
                }
                else if (current.Status == RunStatus.Pending)
                {
                    downstream.AddRange(End(Ended(current, RunStatus.Cancelled, reason, now), now, RetryPolicy.Default).CancelledDownstream);
                    cancelled.Add(run.Id);
                }
            }

            // A run of its own that an earlier cascade cancelled counts as its own.
            var ownIds = own.Select(r => r.Id).ToHashSet();
            cancelled.AddRange(downstream.Where(ownIds.Contains));
            downstream.RemoveAll(ownIds.Contains);
            var joined = record.Members.Where(m => m.Joined).Select(m => m.RunId).Where(r => !downstream.Contains(r));
            return Task.FromResult(new PipelineCancellation(
                id,
                cancelled.OrderBy(r => r.Value).ToArray(),
                marked.ToArray(),
                downstream.OrderBy(r => r.Value).ToArray(),
                joined.OrderBy(r => r.Value).ToArray()));
        }
    }

    // Records a pipeline run with one member per result, in the results' (topological) order.
    private void AddPipelineRun(PipelineRunId id, ClientId client, PipelineTrigger trigger, DateTimeOffset now, IReadOnlyList<EnqueueResult> results, HashSet<JobId> roots)
    {
        var members = results
            .Select((r, position) => new PipelineMember(position, new PipelineRunJobRef(r.Run.JobId, _jobs[r.Run.JobId.Value].Name), r.Run.Id, !r.Created, roots.Contains(r.Run.JobId)))
            .ToArray();
        _pipelineRuns.Add(id.Value, new PipelineRecord(id, client, trigger, now, members));
    }

    private PipelineRecord? FindPipelineRun(ClientId client, PipelineRunId id) =>
        _pipelineRuns.TryGetValue(id.Value, out var record) && record.ClientId == client ? record : null;

    private static bool Matches(PipelineRecord record, PipelineRunFilter filter) =>
        (filter.TriggerKind is not { } kind || record.Trigger.Kind == kind)
        && (filter.Label is not { } label || string.Equals(record.Trigger.Label, label, StringComparison.Ordinal))
        && (filter.CreatedFrom is not { } from || record.CreatedAt >= from)
        && (filter.CreatedTo is not { } to || record.CreatedAt < to)
        && (filter.RootJobId is not { } root || record.Members.Any(m => m.IsRoot && m.Job.Id == root));

    // True while a run carries the pipeline run's id or one of its members' runs exists.
    private bool HasRunsLeft(PipelineRecord record) =>
        _runs.Values.Any(run => run.PipelineRunId == record.Id) || record.Members.Any(m => _runs.ContainsKey(m.RunId.Value));

    // The member's chain: the run it created or joined and the retries after it, up to the job's next attempt-1 run.
    private IEnumerable<JobRun> Chain(PipelineMember member) =>
        (_runsByJob.TryGetValue(member.Job.Id.Value, out var ids) ? ids : [])
            .Where(id => id >= member.RunId.Value)
            .Select(id => _runs[id])
            .TakeWhile((run, i) => i == 0 ? run.Id == member.RunId || run.Attempt > 1 : run.Attempt > 1);

    private PipelineRunSummary Summarize(PipelineRecord record)
    {
        var chains = record.Members.Select(m => Chain(m).ToArray()).ToArray();
        var counts = chains.SelectMany(c => c).Aggregate(PipelineRunCounts.None, (sum, run) => sum.Add(run.Status));
        var state = PipelineRunSummary.StateOf(chains.Where(c => c.Length > 0).Select(c => c[^1].Status));
        var finishedAt = state == PipelineRunState.Running ? null : chains.SelectMany(c => c).Max(r => r.FinishedAt);
        return new PipelineRunSummary(
            record.Id,
            record.ClientId,
            record.Members.Where(m => m.IsRoot).Select(m => m.Job).ToArray(),
            record.Trigger.Kind,
            record.Trigger.Label,
            record.Trigger.Input is not null,
            record.CreatedAt,
            finishedAt,
            state,
            counts);
    }

    /// <summary>A pipeline run as this store keeps it.</summary>
    private sealed record PipelineRecord(PipelineRunId Id, ClientId ClientId, PipelineTrigger Trigger, DateTimeOffset CreatedAt, IReadOnlyList<PipelineMember> Members)
    {
        public RunPayload? Input => Trigger.Input;
    }

    /// <summary>A job of a pipeline run at its position, with the run it created or joined.</summary>
    private sealed record PipelineMember(int Position, PipelineRunJobRef Job, RunId RunId, bool Joined, bool IsRoot);
}
