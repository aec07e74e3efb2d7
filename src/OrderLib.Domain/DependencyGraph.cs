namespace OrderLib;

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

    /// <summary>
    /// Orders <paramref name="members"/> so that each comes after every job it depends on among them, ties by job id
    /// (Kahn's algorithm); edges with an end outside the members are ignored.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">The edges among the members form a cycle.</exception>
    public static IReadOnlyList<JobId> TopologicalOrder(IReadOnlySet<JobId> members, IEnumerable<(JobId JobId, JobId DependsOnJobId)> edges)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(edges);
        var inner = edges.Where(e => members.Contains(e.JobId) && members.Contains(e.DependsOnJobId)).ToList();
        var waitingFor = members.ToDictionary(id => id, _ => 0);
        foreach (var edge in inner)
        {
            waitingFor[edge.JobId]++;
        }

        var dependents = inner.ToLookup(e => e.DependsOnJobId, e => e.JobId);
        // The ready jobs, smallest id first (each enters the heap once, when its last upstream member is placed).
        var ready = new PriorityQueue<JobId, long>(waitingFor.Where(x => x.Value == 0).Select(x => (x.Key, x.Key.Value)));
        var order = new List<JobId>(members.Count);
        while (ready.TryDequeue(out var next, out _))
        {
            order.Add(next);
            foreach (var dependent in dependents[next])
            {
                if (--waitingFor[dependent] == 0)
                {
                    ready.Enqueue(dependent, dependent.Value);
                }
            }
        }

        return order.Count == members.Count
            ? order
            : throw new InvalidOperationException("The dependencies among these jobs form a cycle.");
    }
}
