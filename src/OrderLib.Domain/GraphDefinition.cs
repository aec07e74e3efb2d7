namespace OrderLib;

/// <summary>
/// Many jobs and the dependencies between them, to define in one call (<c>IOrderLib.Jobs.DefineGraphAsync</c>): each job is
/// created, or updated when the client has a job of that name already; each dependency is added unless it exists (none is
/// removed). Built only when the batch is consistent on its own, so a refused batch never reaches a store.
/// </summary>
public sealed class GraphDefinition
{
    private readonly HashSet<string> _names;

    /// <summary>Creates the definition after checking the batch on its own, in this order: job names, then each dependency in turn.</summary>
    /// <param name="jobs">The jobs, each valid already (see <see cref="JobDefinition"/>); keyed by name, kept in this order.</param>
    /// <param name="dependencies">"Job depends on job" by name; either end may be a job of <paramref name="jobs"/> or one the client has already.</param>
    /// <exception cref="ArgumentNullException">An argument or one of its items is null.</exception>
    /// <exception cref="DuplicateJobInGraphException">Two jobs have the same (trimmed) name.</exception>
    /// <exception cref="SelfDependencyInGraphException">A dependency names the same job at both ends.</exception>
    /// <exception cref="DuplicateDependencyInGraphException">A dependency is listed twice.</exception>
    public GraphDefinition(IEnumerable<JobDefinition> jobs, IEnumerable<GraphDependency> dependencies)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(dependencies);
        Jobs = jobs.ToArray();
        Dependencies = dependencies.ToArray();
        _names = new HashSet<string>(Jobs.Count, StringComparer.Ordinal);
        foreach (var job in Jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
            if (!_names.Add(job.Name))
            {
                throw new DuplicateJobInGraphException(job.Name);
            }
        }

        var seen = new HashSet<GraphDependency>(Dependencies.Count);
        foreach (var dependency in Dependencies)
        {
            ArgumentNullException.ThrowIfNull(dependency, nameof(dependencies));
            if (dependency.JobName == dependency.DependsOnName)
            {
                throw new SelfDependencyInGraphException(dependency.JobName);
            }

            if (!seen.Add(dependency))
            {
                throw new DuplicateDependencyInGraphException(dependency.JobName, dependency.DependsOnName);
            }
        }
    }

    /// <summary>The jobs, in the order given.</summary>
    public IReadOnlyList<JobDefinition> Jobs { get; }

    /// <summary>The dependencies, in the order given.</summary>
    public IReadOnlyList<GraphDependency> Dependencies { get; }

    /// <summary>True when the batch defines a job of that exact (trimmed) name.</summary>
    public bool Defines(string name) => _names.Contains(name);

    /// <summary>
    /// Checks the batch against the client's graph as it is — the names of its jobs and its dependencies — and returns the
    /// dependencies to add: those of the batch the client does not have yet, in the batch's order. One pass over the whole
    /// graph, new dependencies included, finds a cycle (see <see cref="DependencyGraph.FirstCycleThrough{TJob}"/>).
    /// </summary>
    /// <param name="existingJobs">The names of the client's jobs.</param>
    /// <param name="existingDependencies">The client's dependencies, by name (dependent job, upstream job).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="UnknownJobInGraphException">A dependency names a job neither the batch nor the client has (the first such dependency).</exception>
    /// <exception cref="GraphCycleException">The new dependencies close a cycle; the error names the first new dependency on one, and the cycle's jobs.</exception>
    public IReadOnlyList<GraphDependency> CheckAgainst(IReadOnlySet<string> existingJobs, IEnumerable<(string JobName, string DependsOnName)> existingDependencies)
    {
        ArgumentNullException.ThrowIfNull(existingJobs);
        ArgumentNullException.ThrowIfNull(existingDependencies);
        foreach (var dependency in Dependencies)
        {
            foreach (var name in (string[])[dependency.JobName, dependency.DependsOnName])
            {
                if (!Defines(name) && !existingJobs.Contains(name))
                {
                    throw new UnknownJobInGraphException(dependency.JobName, dependency.DependsOnName, name);
                }
            }
        }

        var upstream = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var existing = new HashSet<(string, string)>();
        foreach (var (jobName, dependsOnName) in existingDependencies)
        {
            existing.Add((jobName, dependsOnName));
            UpstreamList(upstream, jobName).Add(dependsOnName);
        }

        var added = Dependencies.Where(d => !existing.Contains((d.JobName, d.DependsOnName))).ToArray();
        foreach (var dependency in added)
        {
            UpstreamList(upstream, dependency.JobName).Add(dependency.DependsOnName);
        }

        var cycle = DependencyGraph.FirstCycleThrough(
            added.Select(d => (d.JobName, d.DependsOnName)),
            name => upstream.TryGetValue(name, out var list) ? list : []);
        return cycle is null ? added : throw new GraphCycleException(cycle[0], cycle[1], cycle);
    }

    private static List<string> UpstreamList(Dictionary<string, List<string>> upstream, string name)
    {
        if (!upstream.TryGetValue(name, out var list))
        {
            upstream.Add(name, list = []);
        }

        return list;
    }
}

/// <summary>
/// "Job <see cref="JobName"/> depends on job <see cref="DependsOnName"/>", by name, in a <see cref="GraphDefinition"/>. Both
/// names are trimmed and follow the rules of <see cref="JobDefinition.Name"/>, checked on assignment.
/// </summary>
public sealed record GraphDependency
{
    private readonly string _jobName = "";
    private readonly string _dependsOnName = "";

    /// <summary>Creates the dependency of <paramref name="jobName"/> on <paramref name="dependsOnName"/>.</summary>
    /// <exception cref="OrderLibValidationException">A name is empty, blank, holds a NUL or a lone surrogate, or is longer than <see cref="JobDefinition.MaxNameLength"/>.</exception>
    public GraphDependency(string jobName, string dependsOnName)
    {
        JobName = jobName;
        DependsOnName = dependsOnName;
    }

    /// <summary>The dependent (downstream) job's name, trimmed.</summary>
    /// <exception cref="OrderLibValidationException">The name is empty, blank, holds a NUL or a lone surrogate, or is too long.</exception>
    public string JobName
    {
        get => _jobName;
        init => _jobName = JobDefinition.RequireName(value, nameof(JobName));
    }

    /// <summary>The upstream job's name, trimmed.</summary>
    /// <exception cref="OrderLibValidationException">The name is empty, blank, holds a NUL or a lone surrogate, or is too long.</exception>
    public string DependsOnName
    {
        get => _dependsOnName;
        init => _dependsOnName = JobDefinition.RequireName(value, nameof(DependsOnName));
    }
}

/// <summary>What defining a graph did to one of its jobs.</summary>
public enum JobChange
{
    /// <summary>The client had no job of that name: it was created.</summary>
    Created,

    /// <summary>The client's job of that name was updated with the definition.</summary>
    Updated,

    /// <summary>The client's job of that name matched the definition already (<see cref="Job.IsDefinedBy"/>): left as it was.</summary>
    Unchanged,
}

/// <summary>One job of a defined graph as it is now, and what the call did to it.</summary>
/// <param name="Job">The job after the call.</param>
/// <param name="Change">Created, updated or left unchanged.</param>
public sealed record DefinedJob(Job Job, JobChange Change);

/// <summary>What defining a graph did.</summary>
/// <param name="Jobs">The batch's jobs, in the definition's order.</param>
/// <param name="DependenciesAdded">How many of the batch's dependencies were new (the others existed already).</param>
public sealed record GraphDefinitionResult(IReadOnlyList<DefinedJob> Jobs, int DependenciesAdded);
