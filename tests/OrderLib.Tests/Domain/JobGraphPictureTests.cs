using NUnit.Framework;

namespace OrderLib.Tests.Domain;

/// <summary>The Mermaid and DOT texts of a <see cref="JobGraph"/>: exact, escaped, and the same whatever order the graph was given in.</summary>
public sealed class JobGraphPictureTests
{
    private static readonly JobGraphNode Extract = new(new JobId(1), "extract", RunStatus.Succeeded, new RunId(10), false);
    private static readonly JobGraphNode Transform = new(new JobId(2), "transform", RunStatus.Failed, new RunId(11), false);
    private static readonly JobGraphNode Load = new(new JobId(3), "load", RunStatus.Cancelled, new RunId(12), true);
    private static readonly JobGraphNode Report = new(new JobId(4), "report", null, null, false);

    private static readonly JobGraphEdge[] Edges =
    [
        new(new JobId(2), new JobId(1)), new(new JobId(3), new JobId(2)), new(new JobId(4), new JobId(2)),
    ];

    [Test]
    public void Mermaid_draws_each_job_labelled_by_name_each_dependency_as_an_arrow_downstream_and_one_class_per_status()
    {
        var graph = new JobGraph([Extract, Transform, Load, Report], Edges);

        Assert.That(graph.ToMermaid(), Is.EqualTo("""
            flowchart LR
                j1["extract"]
                j2["transform"]
                j3["load #40;paused#41;"]
                j4["report"]
                j1 --> j2
                j2 --> j3
                j2 --> j4
                classDef neverran fill:#ffffff,stroke:#9ca3af,color:#374151
                class j4 neverran
                classDef succeeded fill:#d1fae5,stroke:#047857,color:#064e3b
                class j1 succeeded
                classDef failed fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d
                class j2 failed
                classDef cancelled fill:#e5e7eb,stroke:#4b5563,color:#1f2937
                class j3 cancelled
                classDef paused stroke-dasharray:5 5
                class j3 paused

            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public void Dot_draws_each_job_as_a_box_filled_with_its_status_colour_and_a_paused_job_dashed()
    {
        var graph = new JobGraph([Extract, Transform, Load, Report], Edges);

        Assert.That(graph.ToDot(), Is.EqualTo("""
            digraph orderlib {
                rankdir=LR;
                node [shape=box, style="rounded,filled", fontname="Helvetica"];
                j1 [label="extract", fillcolor="#d1fae5", color="#047857", fontcolor="#064e3b"];
                j2 [label="transform", fillcolor="#fee2e2", color="#b91c1c", fontcolor="#7f1d1d"];
                j3 [label="load (paused)", fillcolor="#e5e7eb", color="#4b5563", fontcolor="#1f2937", style="rounded,filled,dashed"];
                j4 [label="report", fillcolor="#ffffff", color="#9ca3af", fontcolor="#374151"];
                j1 -> j2;
                j2 -> j3;
                j2 -> j4;
            }

            """.ReplaceLineEndings("\n")));
    }

    [Test]
    public void The_same_graph_given_in_any_order_gives_the_same_texts()
    {
        var ordered = new JobGraph([Extract, Transform, Load, Report], Edges);
        var shuffled = new JobGraph([Report, Load, Extract, Transform], Edges.Reverse());

        Assert.That((shuffled.ToMermaid(), shuffled.ToDot()), Is.EqualTo((ordered.ToMermaid(), ordered.ToDot())));
        Assert.That(shuffled.Nodes.Select(n => n.JobId.Value), Is.EqualTo(new[] { 1L, 2, 3, 4 }));
        Assert.That(shuffled.Edges, Is.EqualTo(Edges));
    }

    [Test]
    public void Names_that_the_syntaxes_would_read_are_escaped()
    {
        var graph = new JobGraph([new JobGraphNode(new JobId(7), "say \"hi\" [now] #1 <b>&\\ x\ny", RunStatus.Running, new RunId(1), false)], []);

        Assert.That(graph.ToMermaid(), Does.Contain("j7[\"say #34;hi#34; #91;now#93; #35;1 #60;b#62;#38;#92; x#10;y\"]"));
        Assert.That(graph.ToDot(), Does.Contain("j7 [label=\"say \\\"hi\\\" [now] #1 <b>&\\\\ x\\ny\""));
    }

    [Test]
    public void A_graph_refuses_a_job_listed_twice_and_an_edge_to_a_job_it_does_not_have()
    {
        Assert.That(() => new JobGraph([Extract, Extract], []), Throws.ArgumentException.With.Message.Contains("listed twice"));
        Assert.That(() => new JobGraph([Extract], [new JobGraphEdge(new JobId(2), new JobId(1))]), Throws.ArgumentException.With.Message.Contains("does not have"));
        Assert.That(() => new JobGraph([Extract, Transform], [Edges[0], Edges[0]]), Throws.ArgumentException.With.Message.Contains("listed twice"));
    }

    [Test]
    public void An_empty_graph_is_drawn_as_an_empty_chart()
    {
        var graph = new JobGraph([], []);

        Assert.That(graph.ToMermaid(), Is.EqualTo("flowchart LR\n"));
        Assert.That(graph.ToDot(), Does.StartWith("digraph orderlib {\n").And.EndWith("}\n"));
    }
}
