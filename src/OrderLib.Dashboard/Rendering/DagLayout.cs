using System.Globalization;

namespace OrderLib.Dashboard.Rendering;

/// <summary>A point of a DAG picture, in the SVG's user units.</summary>
internal readonly record struct DagPoint(double X, double Y);

/// <summary>One job placed: its column (layer), its place in that column, its box and the label written in it.</summary>
/// <param name="Node">The job.</param>
/// <param name="Label">Its name, truncated to <see cref="DagLayout.MaxLabelLength"/> text elements.</param>
/// <param name="Layer">Its column: 0 for a job with no upstream, else one more than its furthest upstream job's.</param>
/// <param name="Order">Its place in the column, 0 at the top.</param>
/// <param name="X">The box's left.</param>
/// <param name="Y">The box's top.</param>
/// <param name="Width">The box's width, sized to the label.</param>
/// <param name="Height">The box's height.</param>
internal sealed record DagBox(JobGraphNode Node, string Label, int Layer, int Order, double X, double Y, double Width, double Height)
{
    /// <summary>Where the arrows to its dependents leave.</summary>
    public DagPoint Out => new(X + Width, Y + Height / 2);

    /// <summary>Where the arrows from its upstream jobs arrive.</summary>
    public DagPoint In => new(X, Y + Height / 2);
}

/// <summary>One dependency routed from its upstream job's box to its dependent's, straight across the columns in between.</summary>
/// <param name="Edge">The dependency.</param>
/// <param name="Points">The upstream box's <see cref="DagBox.Out"/>, an entry and an exit point per column crossed, the dependent box's <see cref="DagBox.In"/>.</param>
internal sealed record DagRoute(JobGraphEdge Edge, IReadOnlyList<DagPoint> Points);

/// <summary>
/// A layered (Sugiyama-style) drawing of a <see cref="JobGraph"/>, left to right: each job in the column of its longest
/// path from a job without upstream; a dependency spanning several columns passes through a placeholder in each column it
/// crosses; the order within each column follows the barycentre of the neighbours over a few alternating sweeps, keeping
/// the order with the fewest crossings (ties keep the current order, which starts in job id order, so the same graph is
/// always drawn the same); boxes are then pulled towards their neighbours without overlapping. Linear in the graph's size
/// per sweep (plus sorting), so a few hundred jobs are drawn at once.
/// </summary>
internal sealed class DagLayout
{
    /// <summary>The longest label written in a box, in text elements; longer names end in an ellipsis (the full name is in the node's title).</summary>
    public const int MaxLabelLength = 32;

    /// <summary>A box's height.</summary>
    public const double NodeHeight = 34;

    /// <summary>The horizontal space between two columns (where the arrows run).</summary>
    public const double LayerGap = 72;

    /// <summary>The least vertical space between two boxes (or passing arrows) of a column.</summary>
    public const double NodeGap = 14;

    private const double CharacterWidth = 7.6;
    private const double LabelPadding = 12;
    private const double PassingHeight = 6;
    private const double Margin = 16;
    private const int OrderingSweeps = 8;
    private const int PlacementRounds = 4;

    private DagLayout(IReadOnlyList<DagBox> boxes, IReadOnlyList<DagRoute> routes, double width, double height, long crossings)
    {
        Boxes = boxes;
        Routes = routes;
        Width = width;
        Height = height;
        Crossings = crossings;
    }

    /// <summary>Every job's box, in the graph's node order (job id order).</summary>
    public IReadOnlyList<DagBox> Boxes { get; }

    /// <summary>Every dependency's route, in the graph's edge order.</summary>
    public IReadOnlyList<DagRoute> Routes { get; }

    /// <summary>The width of the drawing, margins included (everything lies within 0..Width).</summary>
    public double Width { get; }

    /// <summary>The height of the drawing, margins included (everything lies within 0..Height).</summary>
    public double Height { get; }

    /// <summary>How many pairs of arrows cross between neighbouring columns in the chosen order.</summary>
    public long Crossings { get; }

    /// <summary>A name as a box shows it: at most <see cref="MaxLabelLength"/> text elements, the last an ellipsis when cut.</summary>
    public static string LabelOf(string name)
    {
        var text = new StringInfo(name);
        return text.LengthInTextElements <= MaxLabelLength ? name : text.SubstringByTextElements(0, MaxLabelLength - 1) + "…";
    }

    /// <summary>Lays <paramref name="graph"/> out.</summary>
    /// <exception cref="ArgumentException">The graph has a cycle (the library never builds one).</exception>
    public static DagLayout Of(JobGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var builder = new Builder(graph);
        var crossings = builder.OrderLayers();
        builder.Place();
        return builder.Build(crossings);
    }

    /// <summary>The working state of one layout: vertices (the jobs, then the placeholders of long edges) with their neighbours in the next and previous columns.</summary>
    private sealed class Builder
    {
        private readonly JobGraph _graph;
        private readonly int _jobs;
        private readonly List<int> _layer = [];
        private readonly List<List<int>> _upper = [];
        private readonly List<List<int>> _lower = [];
        private readonly List<double> _width = [];
        private readonly List<string> _labels = [];
        private readonly List<int[]> _chains = [];
        private readonly int[] _position;
        private readonly double[] _y;
        private List<int>[] _layers;
        private double[] _columnX = [];
        private double[] _columnWidth = [];

        public Builder(JobGraph graph)
        {
            _graph = graph;
            _jobs = graph.Nodes.Count;
            var index = new Dictionary<long, int>(_jobs);
            for (var v = 0; v < _jobs; v++)
            {
                index[graph.Nodes[v].JobId.Value] = v;
                var label = LabelOf(graph.Nodes[v].Name);
                _labels.Add(label);
                AddVertex(0, LabelPadding * 2 + new StringInfo(label).LengthInTextElements * CharacterWidth);
            }

            var edges = graph.Edges.Select(edge => (From: index[edge.DependsOnJobId.Value], To: index[edge.JobId.Value])).ToList();
            AssignLayers(edges);
            foreach (var (from, to) in edges)
            {
                var chain = new List<int> { from };
                for (var layer = _layer[from] + 1; layer < _layer[to]; layer++)
                {
                    chain.Add(AddVertex(layer, 0));
                }

                chain.Add(to);
                for (var i = 1; i < chain.Count; i++)
                {
                    _lower[chain[i - 1]].Add(chain[i]);
                    _upper[chain[i]].Add(chain[i - 1]);
                }

                _chains.Add([.. chain]);
            }

            var layerCount = _jobs == 0 ? 0 : _layer.Max() + 1;
            _layers = Enumerable.Range(0, layerCount).Select(_ => new List<int>()).ToArray();
            for (var v = 0; v < _layer.Count; v++)
            {
                _layers[_layer[v]].Add(v);
            }

            _position = new int[_layer.Count];
            _y = new double[_layer.Count];
            Renumber();
        }

        /// <summary>Orders each column by barycentre sweeps, down then up, keeping the best order seen; returns its crossings.</summary>
        public long OrderLayers()
        {
            var best = CountCrossings();
            var bestLayers = Snapshot();
            for (var sweep = 0; sweep < OrderingSweeps && best > 0; sweep++)
            {
                if (sweep % 2 == 0)
                {
                    for (var layer = 1; layer < _layers.Length; layer++)
                    {
                        SortByBarycentre(_layers[layer], _upper);
                    }
                }
                else
                {
                    for (var layer = _layers.Length - 2; layer >= 0; layer--)
                    {
                        SortByBarycentre(_layers[layer], _lower);
                    }
                }

                var crossings = CountCrossings();
                if (crossings < best)
                {
                    best = crossings;
                    bestLayers = Snapshot();
                }
            }

            _layers = bestLayers;
            Renumber();
            return best;
        }

        /// <summary>Gives each column its x and each vertex its y: stacked first, then pulled towards its neighbours in alternating rounds.</summary>
        public void Place()
        {
            _columnWidth = _layers.Select(layer => layer.Count == 0 ? 0 : layer.Max(v => _width[v])).ToArray();
            _columnX = new double[_layers.Length];
            var x = Margin;
            for (var layer = 0; layer < _layers.Length; layer++)
            {
                _columnX[layer] = x;
                x += _columnWidth[layer] + LayerGap;
            }

            foreach (var layer in _layers)
            {
                var y = 0.0;
                foreach (var v in layer)
                {
                    _y[v] = y;
                    y += HeightOf(v) + NodeGap;
                }
            }

            for (var round = 0; round < PlacementRounds; round++)
            {
                for (var layer = 1; layer < _layers.Length; layer++)
                {
                    PullTowards(_layers[layer], _upper);
                }

                for (var layer = _layers.Length - 2; layer >= 0; layer--)
                {
                    PullTowards(_layers[layer], _lower);
                }
            }

            var top = _y.Length == 0 ? 0 : _y.Min();
            for (var v = 0; v < _y.Length; v++)
            {
                _y[v] += Margin - top;
            }
        }

        public DagLayout Build(long crossings)
        {
            var boxes = new DagBox[_jobs];
            for (var v = 0; v < _jobs; v++)
            {
                var layer = _layer[v];
                boxes[v] = new DagBox(_graph.Nodes[v], _labels[v], layer, _position[v], _columnX[layer] + (_columnWidth[layer] - _width[v]) / 2, _y[v], _width[v], NodeHeight);
            }

            var routes = _graph.Edges.Select((edge, e) =>
            {
                var chain = _chains[e];
                var points = new List<DagPoint> { boxes[chain[0]].Out };
                foreach (var passing in chain[1..^1])
                {
                    var layer = _layer[passing];
                    var middle = _y[passing] + PassingHeight / 2;
                    points.Add(new DagPoint(_columnX[layer], middle));
                    points.Add(new DagPoint(_columnX[layer] + _columnWidth[layer], middle));
                }

                points.Add(boxes[chain[^1]].In);
                return new DagRoute(edge, points);
            }).ToList();

            var width = _layers.Length == 0 ? Margin * 2 : _columnX[^1] + _columnWidth[^1] + Margin;
            var height = _y.Length == 0 ? Margin * 2 : Enumerable.Range(0, _y.Length).Max(v => _y[v] + HeightOf(v)) + Margin;
            return new DagLayout(boxes, routes, width, height, crossings);
        }

        private int AddVertex(int layer, double width)
        {
            _layer.Add(layer);
            _upper.Add([]);
            _lower.Add([]);
            _width.Add(width);
            return _layer.Count - 1;
        }

        private double HeightOf(int v) => v < _jobs ? NodeHeight : PassingHeight;

        // Longest path from the sources, in topological order (Kahn's, sources in job id order).
        private void AssignLayers(List<(int From, int To)> edges)
        {
            var dependents = Enumerable.Range(0, _jobs).Select(_ => new List<int>()).ToArray();
            var waiting = new int[_jobs];
            foreach (var (from, to) in edges)
            {
                dependents[from].Add(to);
                waiting[to]++;
            }

            var ready = new Queue<int>(Enumerable.Range(0, _jobs).Where(v => waiting[v] == 0));
            var placed = 0;
            while (ready.TryDequeue(out var v))
            {
                placed++;
                foreach (var to in dependents[v])
                {
                    _layer[to] = Math.Max(_layer[to], _layer[v] + 1);
                    if (--waiting[to] == 0)
                    {
                        ready.Enqueue(to);
                    }
                }
            }

            if (placed < _jobs)
            {
                throw new ArgumentException("The job graph has a cycle; only an acyclic graph can be laid out.", nameof(edges));
            }
        }

        private void SortByBarycentre(List<int> layer, List<List<int>> neighbours)
        {
            var keys = new Dictionary<int, double>(layer.Count);
            foreach (var v in layer)
            {
                var around = neighbours[v];
                keys[v] = around.Count == 0 ? _position[v] : around.Average(u => (double)_position[u]);
            }

            layer.Sort((a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : _position[a].CompareTo(_position[b]));
            for (var i = 0; i < layer.Count; i++)
            {
                _position[layer[i]] = i;
            }
        }

        // Each vertex wants the mean centre of its neighbours; two placements that keep the order and the gaps (one laid from
        // the top, one from the bottom) are averaged, which keeps both properties and does not drift either way.
        private void PullTowards(List<int> layer, List<List<int>> neighbours)
        {
            var wanted = layer.Select(v => neighbours[v].Count == 0
                ? _y[v]
                : neighbours[v].Average(u => _y[u] + HeightOf(u) / 2) - HeightOf(v) / 2).ToArray();
            var fromTop = new double[layer.Count];
            for (var i = 0; i < layer.Count; i++)
            {
                fromTop[i] = i == 0 ? wanted[i] : Math.Max(wanted[i], fromTop[i - 1] + HeightOf(layer[i - 1]) + NodeGap);
            }

            var fromBottom = new double[layer.Count];
            for (var i = layer.Count - 1; i >= 0; i--)
            {
                fromBottom[i] = i == layer.Count - 1 ? wanted[i] : Math.Min(wanted[i], fromBottom[i + 1] - HeightOf(layer[i]) - NodeGap);
            }

            for (var i = 0; i < layer.Count; i++)
            {
                _y[layer[i]] = (fromTop[i] + fromBottom[i]) / 2;
            }
        }

        // Crossings between each pair of neighbouring columns: the inversions among the lower ends of the edges taken in
        // upper-end order, counted with a Fenwick tree (E log V).
        private long CountCrossings()
        {
            long crossings = 0;
            for (var layer = 0; layer + 1 < _layers.Length; layer++)
            {
                var lowerEnds = _layers[layer].SelectMany(v => _lower[v].Select(w => _position[w]).Order()).ToList();
                var tree = new int[_layers[layer + 1].Count + 1];
                for (var seen = 0; seen < lowerEnds.Count; seen++)
                {
                    var notAbove = 0;
                    for (var i = lowerEnds[seen] + 1; i > 0; i -= i & -i)
                    {
                        notAbove += tree[i];
                    }

                    crossings += seen - notAbove;
                    for (var i = lowerEnds[seen] + 1; i < tree.Length; i += i & -i)
                    {
                        tree[i]++;
                    }
                }
            }

            return crossings;
        }

        private List<int>[] Snapshot() => _layers.Select(layer => layer.ToList()).ToArray();

        private void Renumber()
        {
            foreach (var layer in _layers)
            {
                for (var i = 0; i < layer.Count; i++)
                {
                    _position[layer[i]] = i;
                }
            }
        }
    }
}
