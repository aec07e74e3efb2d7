using System.Globalization;

namespace OrderLib.Tests.MultiProcess;

/// <summary>
/// A layered DAG: one root job, then <c>layers</c> layers of <c>width</c> jobs; each job of layer 1 depends on the
/// root, each job of a later layer on 1 to 3 distinct jobs of the layer before. Names are <c>L07-J042</c>, with a
/// <c>-slow</c> suffix on the jobs the worker processes sleep longer on. Seeded, so every run builds the same graph.
/// </summary>
internal sealed class LayeredDag
{
    public const string SlowMarker = "slow";

    /// <summary>
    /// The root is slow too: on SQLite the trigger holds the write lock while it enqueues the pipeline, and claims that
    /// read the clock before it and ran after it carry that early start time. A slow root lets those claims settle before
    /// any dependent can be ready, so start times of dependents are read after their upstream finished.
    /// </summary>
    public const string Root = "root-" + SlowMarker;

    private readonly Dictionary<string, int> _layerOf = new(StringComparer.Ordinal);

    private LayeredDag(IReadOnlyList<IReadOnlyList<string>> layers, IReadOnlyList<(string Job, string DependsOn)> edges)
    {
        Layers = layers;
        Edges = edges;
        for (var layer = 0; layer < layers.Count; layer++)
        {
            foreach (var name in layers[layer])
            {
                _layerOf[name] = layer;
            }
        }

        UpstreamOf = edges.GroupBy(e => e.Job).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(e => e.DependsOn).ToList(), StringComparer.Ordinal);
    }

    /// <summary>Layer 0 holds the root alone.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Layers { get; }

    /// <summary>"Job depends on DependsOn".</summary>
    public IReadOnlyList<(string Job, string DependsOn)> Edges { get; }

    /// <summary>The jobs each job depends on (absent for the root).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> UpstreamOf { get; }

    public IEnumerable<string> Names => Layers.SelectMany(layer => layer);

    public int JobCount => _layerOf.Count;

    /// <param name="layers">Layers below the root.</param>
    /// <param name="width">Jobs per layer.</param>
    /// <param name="seed">Seeds the choice of upstream jobs.</param>
    /// <param name="isSlow">Which (layer, index) jobs get the slow marker.</param>
    public static LayeredDag Create(int layers, int width, int seed, Func<int, int, bool> isSlow)
    {
        var random = new Random(seed);
        var all = new List<IReadOnlyList<string>> { new[] { Root } };
        var edges = new List<(string, string)>();
        for (var layer = 1; layer <= layers; layer++)
        {
            var previous = all[layer - 1];
            var names = new List<string>(width);
            for (var index = 0; index < width; index++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"L{layer:00}-J{index:000}") + (isSlow(layer, index) ? "-" + SlowMarker : "");
                names.Add(name);
                var parents = layer == 1 ? 1 : random.Next(1, 4);
                foreach (var parent in previous.OrderBy(_ => random.Next()).Take(parents))
                {
                    edges.Add((name, parent));
                }
            }

            all.Add(names);
        }

        return new LayeredDag(all, edges);
    }

    /// <summary>Creates the jobs (max attempts 3) and their dependencies through the public services, <paramref name="parallelism"/> calls at a time.</summary>
    /// <returns>The jobs by name, and how long the jobs and the dependencies took.</returns>
    public async Task<(IReadOnlyDictionary<string, Job> Jobs, TimeSpan JobsTime, TimeSpan EdgesTime)> CreateAsync(IOrderLib orderLib, int parallelism)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var jobs = new System.Collections.Concurrent.ConcurrentDictionary<string, Job>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(Names, parallel, async (name, cancellationToken) =>
            jobs[name] = await orderLib.Jobs.CreateAsync(new JobDefinition(name) { MaxAttempts = 3 }, cancellationToken));
        var jobsTime = clock.Elapsed;

        // Deepest layer first, one layer at a time: when "X depends on Y" is added, Y has no upstream jobs yet, so the
        // cycle check, which walks Y's ancestry, has nothing to walk.
        clock.Restart();
        foreach (var layer in Edges.GroupBy(edge => _layerOf[edge.Job]).OrderByDescending(group => group.Key))
        {
            await Parallel.ForEachAsync(layer, parallel, async (edge, cancellationToken) =>
                await orderLib.Dependencies.AddAsync(jobs[edge.Job].Id, jobs[edge.DependsOn].Id, cancellationToken));
        }

        return (jobs, jobsTime, clock.Elapsed);
    }
}
