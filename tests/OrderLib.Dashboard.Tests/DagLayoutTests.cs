using System.Diagnostics;
using OrderLib.Dashboard.Rendering;

namespace OrderLib.Dashboard.Tests;

/// <summary>The layered layout behind every DAG picture: columns that respect every dependency, few crossings, no overlap, the same drawing for the same graph.</summary>
public sealed class DagLayoutTests
{
    [Test]
    public void Each_job_sits_in_the_column_of_its_longest_path_from_a_job_without_upstream()
    {
        // 1 → 2 → 3 → 4, and the shortcut 1 → 4; 5 stands alone.
        var layout = DagLayout.Of(Graph(5, (1, 2), (2, 3), (3, 4), (1, 4)));

        Assert.That(layout.Boxes.Select(box => box.Layer), Is.EqualTo(new[] { 0, 1, 2, 3, 0 }));
        var shortcut = layout.Routes.Single(route => route.Edge == new JobGraphEdge(new JobId(4), new JobId(1)));
        Assert.That(shortcut.Points, Has.Count.EqualTo(2 + 2 * 2), "the shortcut crosses columns 1 and 2: an entry and an exit point in each");
        Assert.That(shortcut.Points[0], Is.EqualTo(Box(layout, 1).Out));
        Assert.That(shortcut.Points[^1], Is.EqualTo(Box(layout, 4).In));
    }

    [Test]
    public void Barycentre_sweeps_untangle_crossed_dependencies()
    {
        // In id order 1 → 4 and 2 → 3 cross; swapping 3 and 4 untangles them.
        var layout = DagLayout.Of(Graph(4, (1, 4), (2, 3)));

        Assert.That(layout.Crossings, Is.Zero);
        Assert.That(Box(layout, 4).Order, Is.LessThan(Box(layout, 3).Order));
        Assert.That(Box(layout, 4).Y, Is.LessThan(Box(layout, 3).Y));
    }

    [Test]
    public void A_large_graph_respects_every_dependency_overlaps_nothing_fits_its_view_box_and_is_drawn_the_same_every_time()
    {
        var graph = RandomGraph(jobs: 300, edges: 700, seed: 13);
        var clock = Stopwatch.StartNew();
        var layout = DagLayout.Of(graph);
        clock.Stop();
        var again = DagLayout.Of(new JobGraph(graph.Nodes.Reverse(), graph.Edges.Reverse()));

        var byId = layout.Boxes.ToDictionary(box => box.Node.JobId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "a few hundred jobs are laid out at once");
            Assert.That(graph.Edges.All(edge => byId[edge.DependsOnJobId].Layer < byId[edge.JobId].Layer), "upstream is always left of downstream");
            Assert.That(graph.Edges.All(edge => byId[edge.DependsOnJobId].X + byId[edge.DependsOnJobId].Width < byId[edge.JobId].X));
            Assert.That(layout.Boxes.All(box => box.X >= 0 && box.Y >= 0 && box.X + box.Width <= layout.Width && box.Y + box.Height <= layout.Height), "every box lies in the view box");
            Assert.That(layout.Routes.SelectMany(route => route.Points).All(p => p.X >= 0 && p.Y >= 0 && p.X <= layout.Width && p.Y <= layout.Height), "every arrow lies in the view box");
            Assert.That(Overlapping(layout.Boxes), Is.Empty);
            Assert.That(layout.Boxes.GroupBy(box => box.Layer).All(column => column.Select(box => box.Order).Distinct().Count() == column.Count()), "one place per job in its column");
            Assert.That(again.Boxes, Is.EqualTo(layout.Boxes), "the same graph, given in another order, is drawn the same");
            Assert.That(again.Routes.Select(route => route.Points), Is.EqualTo(layout.Routes.Select(route => route.Points)));
        }
    }

    [Test]
    public void Boxes_fit_their_label_and_long_names_are_cut_with_an_ellipsis()
    {
        var longName = new string('x', 80);
        var graph = new JobGraph([Node(1, "a"), Node(2, longName), Node(3, "👩‍💻 emoji")], []);
        var layout = DagLayout.Of(graph);

        Assert.That(Box(layout, 2).Label, Has.Length.EqualTo(DagLayout.MaxLabelLength).And.EndWith("…"));
        Assert.That(Box(layout, 3).Label, Is.EqualTo("👩‍💻 emoji"));
        Assert.That(Box(layout, 2).Width, Is.GreaterThan(Box(layout, 1).Width));
        Assert.That(DagLayout.LabelOf(string.Concat(Enumerable.Repeat("👩", 40))), Does.Not.Contain("\uFFFD").And.EndWith("…"), "cut between text elements, not inside a surrogate pair");
    }

    [Test]
    public void An_empty_graph_has_an_empty_drawing_and_a_cycle_is_refused()
    {
        var empty = DagLayout.Of(new JobGraph([], []));
        Assert.That((empty.Boxes.Count, empty.Routes.Count), Is.EqualTo((0, 0)));
        Assert.That(empty.Width, Is.GreaterThan(0));

        Assert.Throws<ArgumentException>(() => DagLayout.Of(Graph(2, (1, 2), (2, 1))));
    }

    private static DagBox Box(DagLayout layout, long id) => layout.Boxes.Single(box => box.Node.JobId == new JobId(id));

    private static JobGraphNode Node(long id, string name) => new(new JobId(id), name, null, null, false);

    private static JobGraph Graph(int jobs, params (long Upstream, long Downstream)[] edges) => new(
        Enumerable.Range(1, jobs).Select(id => Node(id, $"job-{id}")),
        edges.Select(edge => new JobGraphEdge(new JobId(edge.Downstream), new JobId(edge.Upstream))));

    // Edges only from a lower id to a higher one, so the graph is acyclic; names of varied lengths.
    private static JobGraph RandomGraph(int jobs, int edges, int seed)
    {
        var random = new Random(seed);
        var pairs = new HashSet<(long, long)>();
        while (pairs.Count < edges)
        {
            var upstream = random.Next(1, jobs);
            var downstream = random.Next(upstream + 1, Math.Min(jobs, upstream + 40) + 1);
            pairs.Add((upstream, downstream));
        }

        return new JobGraph(
            Enumerable.Range(1, jobs).Select(id => Node(id, new string('n', 1 + id % 40))),
            pairs.Select(pair => new JobGraphEdge(new JobId(pair.Item2), new JobId(pair.Item1))));
    }

    private static List<(long, long)> Overlapping(IReadOnlyList<DagBox> boxes)
    {
        var overlapping = new List<(long, long)>();
        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                if (a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height)
                {
                    overlapping.Add((a.Node.JobId.Value, b.Node.JobId.Value));
                }
            }
        }

        return overlapping;
    }
}
