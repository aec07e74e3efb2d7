using System.Globalization;
using System.Text;

namespace OrderLib;

/// <summary>The colours a <see cref="JobGraph"/> picture gives each status, the same in Mermaid and DOT.</summary>
public static class JobGraphStyle
{
    /// <summary>The class name (Mermaid) and the fill, border and text colours of a status; null is a job that never ran.</summary>
    public static (string Name, string Fill, string Stroke, string Text) Of(RunStatus? status) => status switch
    {
        RunStatus.Succeeded => ("succeeded", "#d1fae5", "#047857", "#064e3b"),
        RunStatus.Failed => ("failed", "#fee2e2", "#b91c1c", "#7f1d1d"),
        RunStatus.Cancelled => ("cancelled", "#e5e7eb", "#4b5563", "#1f2937"),
        RunStatus.Running => ("running", "#dbeafe", "#1d4ed8", "#1e3a8a"),
        RunStatus.Pending => ("pending", "#fef3c7", "#b45309", "#78350f"),
        _ => ("neverran", "#ffffff", "#9ca3af", "#374151"),
    };
}

/// <summary>Writes a <see cref="JobGraph"/> as Mermaid or DOT text; every line ends in <c>\n</c>.</summary>
internal static class JobGraphPictures
{
    private static readonly RunStatus?[] StatusOrder = [null, RunStatus.Pending, RunStatus.Running, RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled];

    public static string Mermaid(JobGraph graph)
    {
        var text = new StringBuilder("flowchart LR\n");
        foreach (var node in graph.Nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {NodeId(node.JobId)}[\"{MermaidText(Label(node))}\"]\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {NodeId(edge.DependsOnJobId)} --> {NodeId(edge.JobId)}\n");
        }

        foreach (var status in StatusOrder)
        {
            var members = graph.Nodes.Where(n => n.Status == status).Select(n => NodeId(n.JobId)).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            var (name, fill, stroke, color) = JobGraphStyle.Of(status);
            text.Append(CultureInfo.InvariantCulture, $"    classDef {name} fill:{fill},stroke:{stroke},color:{color}\n");
            text.Append(CultureInfo.InvariantCulture, $"    class {string.Join(',', members)} {name}\n");
        }

        var paused = graph.Nodes.Where(n => n.Paused).Select(n => NodeId(n.JobId)).ToArray();
        if (paused.Length > 0)
        {
            text.Append("    classDef paused stroke-dasharray:5 5\n");
            text.Append(CultureInfo.InvariantCulture, $"    class {string.Join(',', paused)} paused\n");
        }

        return text.ToString();
    }

    public static string Dot(JobGraph graph)
    {
        var text = new StringBuilder("digraph orderlib {\n");
        text.Append("    rankdir=LR;\n");
        text.Append("    node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
        foreach (var node in graph.Nodes)
        {
            var (_, fill, stroke, color) = JobGraphStyle.Of(node.Status);
            var style = node.Paused ? ", style=\"rounded,filled,dashed\"" : "";
            text.Append(CultureInfo.InvariantCulture, $"    {NodeId(node.JobId)} [label=\"{DotText(Label(node))}\", fillcolor=\"{fill}\", color=\"{stroke}\", fontcolor=\"{color}\"{style}];\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {NodeId(edge.DependsOnJobId)} -> {NodeId(edge.JobId)};\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string NodeId(JobId jobId) => "j" + jobId;

    private static string Label(JobGraphNode node) => node.Paused ? node.Name + " (paused)" : node.Name;

    // Mermaid reads entity codes (#35; for '#') in quoted labels: every character its syntax or HTML could take is
    // written as one, and line breaks too, so any job name shows as itself.
    private static string MermaidText(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '"' or '#' or '<' or '>' or '&' or '`' or '[' or ']' or '{' or '}' or '(' or ')' or '|' or '\\' or ';' || char.IsControl(c))
            {
                text.Append(CultureInfo.InvariantCulture, $"#{(int)c};");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    // A DOT quoted string: backslash and quote escaped, line breaks as \n (centred lines).
    private static string DotText(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "",
                _ => c.ToString(),
            });
        }

        return text.ToString();
    }
}
