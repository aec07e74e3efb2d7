namespace OrderLib;

/// <summary>
/// A picture-ready view of part of a client's dependency graph: its jobs, each with a status to colour it by, and the
/// dependencies among them. Nodes are kept in job id order and edges in (upstream, downstream) id order, whatever order
/// they were given in, so <see cref="ToMermaid"/> and <see cref="ToDot"/> write the same text for the same graph.
/// </summary>
public sealed class JobGraph
{
    /// <summary>Builds the graph, ordering nodes and edges.</summary>
    /// <param name="nodes">The jobs, each once.</param>
    /// <param name="edges">The dependencies, each between two of the jobs and each once.</param>
    /// <exception cref="ArgumentNullException">An argument or an item is null.</exception>
    /// <exception cref="ArgumentException">A job is listed twice, or an edge names a job that is not a node or is listed twice.</exception>
    public JobGraph(IEnumerable<JobGraphNode> nodes, IEnumerable<JobGraphEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(edges);
        var byId = new SortedDictionary<long, JobGraphNode>();
        foreach (var node in nodes)
        {
            ArgumentNullException.ThrowIfNull(node, nameof(nodes));
            if (!byId.TryAdd(node.JobId.Value, node))
            {
                throw new ArgumentException($"Job {node.JobId} is listed twice.", nameof(nodes));
            }
        }

        var ordered = new SortedSet<(long Upstream, long Downstream)>();
        foreach (var edge in edges)
        {
            ArgumentNullException.ThrowIfNull(edge, nameof(edges));
            if (!byId.ContainsKey(edge.JobId.Value) || !byId.ContainsKey(edge.DependsOnJobId.Value))
            {
                throw new ArgumentException($"The dependency of job {edge.JobId} on job {edge.DependsOnJobId} names a job the graph does not have.", nameof(edges));
            }

            if (!ordered.Add((edge.DependsOnJobId.Value, edge.JobId.Value)))
            {
                throw new ArgumentException($"The dependency of job {edge.JobId} on job {edge.DependsOnJobId} is listed twice.", nameof(edges));
            }
        }

        Nodes = [.. byId.Values];
        Edges = [.. ordered.Select(e => new JobGraphEdge(new JobId(e.Downstream), new JobId(e.Upstream)))];
    }

    /// <summary>
    /// A pipeline run's picture: one node per job it covered (named as recorded), coloured by the latest attempt of its run
    /// in the pipeline run, paused as <paramref name="now"/> says; the edges of <paramref name="now"/> among those jobs
    /// (a job deleted since is drawn without edges).
    /// </summary>
    /// <param name="pipelineRun">The pipeline run with its jobs and runs.</param>
    /// <param name="now">The current graph of (some of) those jobs, e.g. read with <see cref="GraphSelection.Of"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static JobGraph OfPipelineRun(PipelineRunDetail pipelineRun, JobGraph now)
    {
        ArgumentNullException.ThrowIfNull(pipelineRun);
        ArgumentNullException.ThrowIfNull(now);
        var paused = now.Nodes.Where(node => node.Paused).Select(node => node.JobId).ToHashSet();
        var covered = pipelineRun.Jobs.Select(job => job.Job.Id).ToHashSet();
        var nodes = pipelineRun.Jobs.Select(job =>
        {
            var latest = job.Runs.Count > 0 ? job.Runs[^1] : null;
            return new JobGraphNode(job.Job.Id, job.Job.Name, latest?.Status, latest?.Id, paused.Contains(job.Job.Id));
        });
        return new JobGraph(nodes, now.Edges.Where(edge => covered.Contains(edge.JobId) && covered.Contains(edge.DependsOnJobId)));
    }

    /// <summary>The jobs in id order.</summary>
    public IReadOnlyList<JobGraphNode> Nodes { get; }

    /// <summary>The dependencies, ordered by upstream job id, then downstream job id.</summary>
    public IReadOnlyList<JobGraphEdge> Edges { get; }

    /// <summary>
    /// The graph as a Mermaid flowchart (left to right, each upstream job pointing at its dependents): one node per job
    /// labelled with its name (and "paused"), coloured by its status with one class per status (see
    /// <see cref="JobGraphStyle"/>), a paused job's border dashed.
    /// </summary>
    public string ToMermaid() => JobGraphPictures.Mermaid(this);

    /// <summary>
    /// The graph as a Graphviz DOT digraph (left to right, each upstream job pointing at its dependents): one box per job
    /// labelled with its name (and "paused"), filled with its status's colour (see <see cref="JobGraphStyle"/>), a paused
    /// job's border dashed.
    /// </summary>
    public string ToDot() => JobGraphPictures.Dot(this);
}

/// <summary>One job of a <see cref="JobGraph"/>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Name">Its name, the node's label.</param>
/// <param name="Status">The status it is coloured by: its latest run's, or a pipeline run's run's; null when it has none.</param>
/// <param name="RunId">The run that status is of, or null.</param>
/// <param name="Paused">True when the job is paused.</param>
public sealed record JobGraphNode(JobId JobId, string Name, RunStatus? Status, RunId? RunId, bool Paused);

/// <summary>"<paramref name="JobId"/> depends on <paramref name="DependsOnJobId"/>", drawn as an arrow from the upstream job to the dependent one.</summary>
/// <param name="JobId">The dependent (downstream) job.</param>
/// <param name="DependsOnJobId">The job it waits for (upstream).</param>
public sealed record JobGraphEdge(JobId JobId, JobId DependsOnJobId);

/// <summary>Which part of a client's graph to read.</summary>
public abstract record GraphSelection
{
    private GraphSelection()
    {
    }

    /// <summary>Every job of the client.</summary>
    public static GraphSelection All { get; } = new AllJobs();

    /// <summary>The job, every job it depends on directly or transitively, and every job that depends on it directly or transitively.</summary>
    public static GraphSelection Around(JobId jobId) => new AroundJob(jobId);

    /// <summary>These jobs (the ones the client has) and the dependencies among them.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="jobIds"/> is null.</exception>
    public static GraphSelection Of(IReadOnlyCollection<JobId> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return new SomeJobs([.. jobIds.Distinct().OrderBy(j => j.Value)]);
    }

    /// <summary>Every job of the client.</summary>
    public sealed record AllJobs : GraphSelection;

    /// <summary>A job and its upstream and downstream closures.</summary>
    /// <param name="JobId">The job in the middle.</param>
    public sealed record AroundJob(JobId JobId) : GraphSelection;

    /// <summary>A set of jobs.</summary>
    /// <param name="JobIds">The jobs, each once, in id order.</param>
    public sealed record SomeJobs(IReadOnlyList<JobId> JobIds) : GraphSelection;
}
