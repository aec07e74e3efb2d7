namespace OrderLib.Domain;

/// <summary>Graph rules over "depends on" edges, for stores that hold the graph in memory.</summary>
public static class DependencyGraph
{
    /// <summary>
    /// Finds a chain of "depends on" edges from <paramref name="start"/> to <paramref name="target"/>
    /// (breadth first, so the shortest), or null when there is none.
    /// </summary>
    /// <param name="start">Where the chain begins.</param>
    /// <param name="target">Where it must end.</param>
    /// <param name="upstreamOf">The jobs a given job depends on directly.</param>
    /// <returns>The jobs on the chain, <paramref name="start"/> first and <paramref name="target"/> last; null if unreachable.</returns>
    public static IReadOnlyList<JobId>? FindPath(JobId start, JobId target, Func<JobId, IEnumerable<JobId>> upstreamOf)
    {
        ArgumentNullException.ThrowIfNull(upstreamOf);
        var cameFrom = new Dictionary<JobId, JobId> { [start] = start };
        var frontier = new Queue<JobId>();
        frontier.Enqueue(start);
        while (frontier.Count > 0)
        {
            var current = frontier.Dequeue();
            if (current == target)
            {
                var path = new List<JobId> { current };
                while (path[^1] != start)
                {
                    path.Add(cameFrom[path[^1]]);
                }

                path.Reverse();
                return path;
            }

            foreach (var next in upstreamOf(current))
            {
                if (cameFrom.TryAdd(next, current))
                {
                    frontier.Enqueue(next);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The cycle that "<paramref name="jobId"/> depends on <paramref name="dependsOnJobId"/>" would close, or null if it closes none.
    /// The cycle starts and ends at <paramref name="jobId"/>.
    /// </summary>
    public static IReadOnlyList<JobId>? CycleClosedBy(JobId jobId, JobId dependsOnJobId, Func<JobId, IEnumerable<JobId>> upstreamOf)
    {
        var back = FindPath(dependsOnJobId, jobId, upstreamOf);
        return back is null ? null : [jobId, .. back];
    }
}
