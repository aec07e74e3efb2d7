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
    public static IReadOnlyList<JobId>? FindPath(JobId start, JobId target, Func<JobId, IEnumerable<JobId>> upstreamOf) =>
        FindPath<JobId>(start, target, upstreamOf);

    /// <summary>
    /// Finds a chain of "depends on" edges from <paramref name="start"/> to <paramref name="target"/> over jobs of any key
    /// (ids, names; breadth first, so the shortest), or null when there is none.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="upstreamOf"/> is null.</exception>
    public static IReadOnlyList<TJob>? FindPath<TJob>(TJob start, TJob target, Func<TJob, IEnumerable<TJob>> upstreamOf)
        where TJob : notnull
    {
        ArgumentNullException.ThrowIfNull(upstreamOf);
        var cameFrom = new Dictionary<TJob, TJob> { [start] = start };
        var frontier = new Queue<TJob>();
        frontier.Enqueue(start);
        var same = EqualityComparer<TJob>.Default;
        while (frontier.Count > 0)
        {
            var current = frontier.Dequeue();
            if (same.Equals(current, target))
            {
                var path = new List<TJob> { current };
                while (!same.Equals(path[^1], start))
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
    /// The cycle through the first of <paramref name="edges"/> (in their order) that lies on one, or null when none does:
    /// one pass over the graph (Tarjan's strongly connected components, O(jobs + edges) whatever the size), then the
    /// shortest way back from that edge's upstream job to its dependent one. The graph <paramref name="upstreamOf"/>
    /// describes must contain the edges. The cycle starts and ends at the edge's dependent job.
    /// </summary>
    /// <param name="edges">The edges to test ("JobId depends on DependsOnJobId"), e.g. the new ones of a batch.</param>
    /// <param name="upstreamOf">The jobs a given job depends on directly, the edges included.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IReadOnlyList<TJob>? FirstCycleThrough<TJob>(IEnumerable<(TJob JobId, TJob DependsOnJobId)> edges, Func<TJob, IEnumerable<TJob>> upstreamOf)
        where TJob : notnull
    {
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(upstreamOf);
        var candidates = edges.ToList();
        var component = StronglyConnectedComponents(candidates.Select(e => e.JobId), upstreamOf);
        foreach (var (jobId, dependsOnJobId) in candidates)
        {
            var cycleComponent = component[jobId];
            if (component.TryGetValue(dependsOnJobId, out var other) && other == cycleComponent)
            {
                var back = FindPath(dependsOnJobId, jobId, job => upstreamOf(job).Where(next => component.TryGetValue(next, out var c) && c == cycleComponent))
                           ?? throw new InvalidOperationException("Two jobs of one strongly connected component have no path between them.");
                return [jobId, .. back];
            }
        }

        return null;
    }

    // The strongly connected component of every job reachable from the starts through upstreamOf (job -> component
    // number): Tarjan's algorithm with an explicit stack, so a chain of 100,000 jobs does not overflow the call stack.
    private static Dictionary<TJob, int> StronglyConnectedComponents<TJob>(IEnumerable<TJob> starts, Func<TJob, IEnumerable<TJob>> upstreamOf)
        where TJob : notnull
    {
        var index = new Dictionary<TJob, int>();
        var low = new Dictionary<TJob, int>();
        var component = new Dictionary<TJob, int>();
        var open = new Stack<TJob>();
        var work = new Stack<(TJob Job, IEnumerator<TJob> Upstream)>();

        void Visit(TJob job)
        {
            index[job] = low[job] = index.Count;
            open.Push(job);
            work.Push((job, upstreamOf(job).GetEnumerator()));
        }

        foreach (var start in starts)
        {
            if (index.ContainsKey(start))
            {
                continue;
            }

            Visit(start);
            while (work.Count > 0)
            {
                var (job, upstream) = work.Peek();
                if (upstream.MoveNext())
                {
                    var next = upstream.Current;
                    if (!index.TryGetValue(next, out var nextIndex))
                    {
                        Visit(next);
                    }
                    else if (!component.ContainsKey(next))
                    {
                        // Still open: on the current path's component stack.
                        low[job] = Math.Min(low[job], nextIndex);
                    }

                    continue;
                }

                upstream.Dispose();
                work.Pop();
                if (work.Count > 0)
                {
                    var parent = work.Peek().Job;
                    low[parent] = Math.Min(low[parent], low[job]);
                }

                if (low[job] == index[job])
                {
                    var number = index[job];
                    TJob member;
                    do
                    {
                        member = open.Pop();
                        component[member] = number;
                    }
                    while (!EqualityComparer<TJob>.Default.Equals(member, job));
                }
            }
        }

        return component;
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
