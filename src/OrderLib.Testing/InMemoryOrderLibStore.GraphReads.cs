using OrderLib.Ports;

namespace OrderLib.Testing;

// Reading part of a client's graph for a picture.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    public Task<JobGraph> ReadGraphAsync(ClientId client, GraphSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            HashSet<long> picked = selection switch
            {
                GraphSelection.AroundJob around => [RequireJob(client, around.JobId).Id.Value, .. Reachable(around.JobId.Value, _upstream), .. Reachable(around.JobId.Value, _downstream)],
                GraphSelection.SomeJobs some => some.JobIds.Where(id => FindJob(client, id) is not null).Select(id => id.Value).ToHashSet(),
                _ => ClientJobsAfter(client, null).Select(job => job.Id.Value).ToHashSet(),
            };
            var nodes = picked.Select(id =>
            {
                var latest = LatestRun(id);
                return new JobGraphNode(new JobId(id), _jobs[id].Name, latest?.Status, latest?.Id, _jobs[id].IsPaused);
            });
            var edges = picked
                .SelectMany(id => _upstream[id].Where(picked.Contains).Select(up => new JobGraphEdge(new JobId(id), new JobId(up))));
            return Task.FromResult(new JobGraph(nodes, edges));
        }
    }
}
