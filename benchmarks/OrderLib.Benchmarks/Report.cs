using System.Globalization;
using System.Text;

namespace OrderLib.Benchmarks;

/// <summary>One measured case.</summary>
internal sealed record CaseResult(string Provider, string Scenario, int History, int Workers, int Batch, DrainResult Drain, double ForeignCpu, int Round = 1);

/// <summary>One query shape of the queries scenario in one round: the library's and the reference's call times (ms), the rows, a problem (rows differ, not implemented) and the target.</summary>
internal sealed record QueryResult(string Provider, string Group, string Shape, int Round, IReadOnlyList<double> LibraryMs, IReadOnlyList<double> ReferenceMs, int? LibraryRows, long ReferenceRows, string? Problem, double? TargetMs);

/// <summary>The plans of the statements OrderLib sent for one query shape, and of the reference's (each starting with the statement's text).</summary>
internal sealed record QueryPlans(string Provider, string Shape, IReadOnlyList<string> Plans, IReadOnlyList<string> ReferencePlans);

/// <summary>What building one history size's templates took (not part of the throughput figures).</summary>
internal sealed class SetupResult(string provider, int history)
{
    public string Provider { get; } = provider;

    public int History { get; } = history;

    public TimeSpan LoadHistory { get; set; }

    public int QueueRuns { get; set; }

    public (int Runs, TimeSpan Time)? ApiEnqueue { get; set; }

    public (int Runs, TimeSpan Time)? BulkEnqueue { get; set; }

    public bool FillChecked { get; set; }

    public long TemplateRuns { get; set; }

    public int DagRuns { get; set; }

    public long DagEdges { get; set; }

    public TimeSpan? DagTrigger { get; set; }

    public string DescribeFill()
    {
        var parts = new List<string>();
        if (ApiEnqueue is { } api)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{api.Runs:N0} via Runs.EnqueueAsync in {api.Time.TotalSeconds:0.0} s ({api.Runs / api.Time.TotalSeconds:N0}/s)"));
        }

        if (BulkEnqueue is { } bulk)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{bulk.Runs:N0} set-based in {bulk.Time.TotalSeconds:0.0} s{(FillChecked ? ", rows identical to the API's" : string.Empty)}"));
        }

        return parts.Count == 0 ? "—" : string.Join(" + ", parts);
    }
}

/// <summary>Collects the results and renders them as markdown.</summary>
internal sealed class Report(BenchSettings settings)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public IReadOnlyList<string> Machine { get; set; } = [];

    public Dictionary<string, IReadOnlyList<string>> Environments { get; } = [];

    public List<SetupResult> Setups { get; } = [];

    public List<CaseResult> Cases { get; } = [];

    public List<string> Failures { get; } = [];

    public List<FigureResult> Figures { get; } = [];

    public List<string> Notes { get; } = [];

    public List<QueryResult> Queries { get; } = [];

    public List<QueryPlans> QueryPlans { get; } = [];

    /// <summary>One case per (store, scenario, history, workers, batch): the round with the median runs/s.</summary>
    public IReadOnlyList<CaseResult> Medians => Cases
        .GroupBy(c => (c.Provider, c.Scenario, c.History, c.Workers, c.Batch))
        .Select(g => g.OrderBy(c => c.Drain.RunsPerSecond).ElementAt((g.Count() - 1) / 2))
        .ToList();

    public (int History, ExplainCapture Capture)? Explain { get; set; }

    public string? ExplainNote { get; set; }

    public TimeSpan TotalTime { get; set; }

    public TimeSpan WaitedForQuiet { get; set; }

    public int Repeats { get; set; }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# OrderLib benchmark results").AppendLine();
        md.AppendLine(Inv, $"Settings: `{settings.Describe()}`; total time {TotalTime.TotalMinutes:0.0} min.").AppendLine();
        md.AppendLine("## Machine").AppendLine();
        foreach (var line in Machine)
        {
            md.AppendLine("- " + line);
        }

        if (Cases.Count > 0)
        {
            md.AppendLine(Inv, $"- CPU used by other processes (not the harness, not its PostgreSQL server) while a case ran: {Cases.Min(c => c.ForeignCpu):P0} to {Cases.Max(c => c.ForeignCpu):P0} of the machine; the harness waited {WaitedForQuiet.TotalSeconds:0} s in all for a quiet machine and measured {Repeats} disturbed case(s) again");
        }

        foreach (var (name, lines) in Environments)
        {
            md.AppendLine().AppendLine(Inv, $"## {name}").AppendLine();
            foreach (var line in lines)
            {
                md.AppendLine("- " + line);
            }
        }

        if (Failures.Count > 0)
        {
            md.AppendLine().AppendLine("## FAILURES").AppendLine();
            foreach (var failure in Failures)
            {
                md.AppendLine("- " + failure);
            }
        }

        AppendSetup(md);
        AppendRatios(md);
        AppendQueries(md);
        AppendFigures(md);
        AppendQueue(md);
        AppendDag(md);
        AppendExplain(md);
        AppendQueryPlans(md);
        return md.ToString();
    }

    private static string Count(long n) => n switch
    {
        >= 1_000_000 when n % 1_000_000 == 0 => (n / 1_000_000).ToString(Inv) + "M",
        >= 1_000 when n % 1_000 == 0 => (n / 1_000).ToString(Inv) + "k",
        _ => n.ToString("N0", Inv),
    };

    private static string Ms(LatencyStats s) => string.Create(Inv, $"{s.Mean:0.00} / {s.P99:0.00} / {s.Max:0}");

    private void AppendSetup(StringBuilder md)
    {
        if (Setups.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Setup (not part of the throughput figures)").AppendLine();
        md.AppendLine("| store | history (finished runs) | load history | rows in job_runs before a queue case | fill the queue (ready runs) | DAG: jobs / edges | DAG: one Runs.TriggerAsync |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Setups)
        {
            var fill = s.DescribeFill();
            var dag = s.DagTrigger is { } t ? string.Create(Inv, $"{t.TotalSeconds:0.0} s") : "—";
            var dagSize = s.DagTrigger is null ? "—" : string.Create(Inv, $"{s.DagRuns:N0} / {s.DagEdges:N0}");
            md.AppendLine(Inv, $"| {s.Provider} | {s.History:N0} | {s.LoadHistory.TotalSeconds:0.0} s | {(s.TemplateRuns > 0 ? s.TemplateRuns.ToString("N0", Inv) : "—")} | {fill} | {dagSize} | {dag} |");
        }
    }

    private void AppendQueue(StringBuilder md)
    {
        var cases = Medians.Where(c => c.Scenario == "queue").ToList();
        if (cases.Count == 0)
        {
            return;
        }

        var histories = cases.Select(c => c.History).Distinct().Order().ToArray();
        md.AppendLine().AppendLine("## Queue: independent ready runs, claim + complete").AppendLine();
        md.AppendLine("Runs per second (claimed and completed), and mean / p99 / max latency in ms of one `ClaimAsync` and of one `SucceedAsync`, " +
                      "side by side for each history size.").AppendLine();
        var header = new StringBuilder("| store | workers | batch | runs drained |");
        var rule = new StringBuilder("|---|---:|---:|---:|");
        foreach (var h in histories)
        {
            header.Append(Inv, $" runs/s @{Count(h)} |");
            rule.Append("---:|");
        }

        foreach (var h in histories)
        {
            header.Append(Inv, $" claim ms @{Count(h)} |");
            rule.Append("---:|");
        }

        foreach (var h in histories)
        {
            header.Append(Inv, $" complete ms @{Count(h)} |");
            rule.Append("---:|");
        }

        header.Append(" claim calls (empty) | others' CPU |");
        rule.Append("---:|---:|");
        md.AppendLine(header.ToString()).AppendLine(rule.ToString());
        foreach (var group in cases.GroupBy(c => (c.Provider, c.Workers, c.Batch)))
        {
            var byHistory = group.ToDictionary(c => c.History);
            var row = new StringBuilder(string.Create(Inv, $"| {group.Key.Provider} | {group.Key.Workers} | {group.Key.Batch} | {group.First().Drain.Runs:N0} |"));
            foreach (var h in histories)
            {
                row.Append(byHistory.TryGetValue(h, out var c) ? string.Create(Inv, $" {c.Drain.RunsPerSecond:N0} |") : " — |");
            }

            foreach (var h in histories)
            {
                row.Append(byHistory.TryGetValue(h, out var c) ? $" {Ms(c.Drain.Claim)} |" : " — |");
            }

            foreach (var h in histories)
            {
                row.Append(byHistory.TryGetValue(h, out var c) ? $" {Ms(c.Drain.Complete)} |" : " — |");
            }

            row.Append(' ').Append(string.Join(", ", group.OrderBy(c => c.History).Select(c => string.Create(Inv, $"{c.Drain.ClaimCalls:N0} ({c.Drain.EmptyClaims:N0})")))).Append(" |");
            row.Append(' ').Append(string.Join(", ", group.OrderBy(c => c.History).Select(c => c.ForeignCpu.ToString("P0", Inv)))).Append(" |");
            md.AppendLine(row.ToString());
        }
    }

    private void AppendDag(StringBuilder md)
    {
        var cases = Medians.Where(c => c.Scenario == "dag").ToList();
        if (cases.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Layered DAG, enqueued by Runs.TriggerAsync: claim + complete").AppendLine();
        md.AppendLine(Inv, $"A root job, then {settings.DagLayers} layers of {settings.DagWidth} jobs; each job depends on the job with the same index in the layer above and, for odd indexes, on a second one.").AppendLine();
        md.AppendLine("| store | history | workers | batch | runs | edges | seconds | runs/s | claim ms mean / p99 / max | complete ms mean / p99 / max | claim calls (empty) | others' CPU |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            var edges = Setups.FirstOrDefault(s => s.Provider == c.Provider && s.History == c.History)?.DagEdges ?? 0;
            md.AppendLine(Inv, $"| {c.Provider} | {c.History:N0} | {c.Workers} | {c.Batch} | {c.Drain.Runs:N0} | {edges:N0} | {c.Drain.Elapsed.TotalSeconds:0.00} | {c.Drain.RunsPerSecond:N0} | {Ms(c.Drain.Claim)} | {Ms(c.Drain.Complete)} | {c.Drain.ClaimCalls:N0} ({c.Drain.EmptyClaims:N0}) | {c.ForeignCpu.ToString("P0", Inv)} |");
        }
    }

    private void AppendRatios(StringBuilder md)
    {
        var raws = Cases.Where(c => c.Scenario == "raw").ToList();
        if (Cases.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Drains as a ratio to the raw reference of the same invocation").AppendLine();
        md.AppendLine("Every case's runs/s in every round; the ratio is the case's runs/s over the raw reference's runs/s **of the same round** " +
                      "(same store, same history), shown as the median of the rounds and their range. raw = hand-written claim of " +
                      "`--raw-batch` per statement and one batched completion per claim, no OrderLib code.").AppendLine();
        md.AppendLine("| store | history | scenario | workers / slots | batch | runs | runs/s per round | median runs/s | ratio to raw (median, range) |");
        md.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in Cases.GroupBy(c => (c.Provider, c.History, c.Scenario, c.Workers, c.Batch))
                     .OrderBy(g => g.Key.Provider, StringComparer.Ordinal).ThenBy(g => g.Key.History).ThenBy(g => g.Key.Scenario == "raw" ? 0 : 1))
        {
            var rates = group.OrderBy(c => c.Round).Select(c => c.Drain.RunsPerSecond).ToArray();
            var median = Median(rates);
            var ratios = group
                .Select(c => (Case: c, Raw: raws.Where(r => r.Provider == c.Provider && r.History == c.History && r.Round == c.Round).Select(r => r.Drain.RunsPerSecond).DefaultIfEmpty(double.NaN).Max()))
                .Where(x => !double.IsNaN(x.Raw))
                .Select(x => x.Case.Drain.RunsPerSecond / x.Raw)
                .ToArray();
            var ratio = group.Key.Scenario == "raw" || ratios.Length == 0
                ? (group.Key.Scenario == "raw" ? "1 (reference)" : "— (no raw case)")
                : string.Create(Inv, $"**{Median(ratios):0.000}×** ({ratios.Min():0.000}–{ratios.Max():0.000})");
            md.AppendLine(Inv, $"| {group.Key.Provider} | {group.Key.History:N0} | {group.Key.Scenario} | {group.Key.Workers} | {group.Key.Batch} | {group.First().Drain.Runs:N0} | {string.Join(", ", rates.Select(r => r.ToString("N0", Inv)))} | {median:N0} | {ratio} |");
        }
    }

    private void AppendFigures(StringBuilder md)
    {
        if (Figures.Count == 0 && Notes.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Other figures").AppendLine();
        md.AppendLine("| store | figure | n | p50 | p99 | mean | min | max | unit | note |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var f in Figures)
        {
            var n = f.Samples.Count;
            md.AppendLine(Inv, $"| {f.Provider} | {f.Name} | {n} | {f.Percentile(0.5):0.00} | {f.Percentile(0.99):0.00} | {(n == 0 ? double.NaN : f.Samples.Average()):0.00} | {(n == 0 ? double.NaN : f.Samples.Min()):0.00} | {(n == 0 ? double.NaN : f.Samples.Max()):0.00} | {f.Unit} | {f.Note} |");
        }

        foreach (var note in Notes)
        {
            md.AppendLine().AppendLine("- " + note);
        }
    }

    private void AppendQueries(StringBuilder md)
    {
        if (Queries.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## History queries through IOrderLib.History, against a hand-written reference").AppendLine();
        md.AppendLine("Each call timed from the client, in ms: p50 / p95 over every timed call of every round; the ratio is OrderLib's p50 over the " +
                      "reference's p50 **of the same round** (median of the rounds, range). Calls of the two sides alternate. rows: what " +
                      "OrderLib returned / what the reference read (a page holds 100; a total adds one number; statistics: runs in the window). " +
                      "Verdict on the p50 against the target (PostgreSQL 20 ms, SQLite 50 ms; statistics of one day over one job 50 ms).").AppendLine();
        md.AppendLine("| store | group | shape | rows | OrderLib p50 / p95 | reference p50 / p95 | OrderLib / reference | target | verdict | OrderLib's plan (access paths) | reference's plan |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---|---|");
        foreach (var group in Queries.GroupBy(q => (q.Provider, q.Group, q.Shape)))
        {
            var library = group.SelectMany(q => q.LibraryMs).ToArray();
            var reference = group.SelectMany(q => q.ReferenceMs).ToArray();
            var ratios = group.Where(q => q.LibraryMs.Count > 0).Select(q => Percentiles.Of(q.LibraryMs, 0.5) / Percentiles.Of(q.ReferenceMs, 0.5)).ToArray();
            var first = group.First();
            var problem = group.Select(q => q.Problem).FirstOrDefault(p => p is not null);
            var (p50, p95) = (Percentiles.Of(library, 0.5), Percentiles.Of(library, 0.95));
            var verdict = problem ?? (first.TargetMs is not { } target ? "—"
                : p50 > target ? "**missed**"
                : p95 > target ? "met at p50 (p95 over)"
                : "met");
            var plans = QueryPlans.FirstOrDefault(p => p.Provider == first.Provider && p.Shape == first.Shape);
            var paths = plans is null ? "— | —" : AccessPaths(plans.Plans) + " | " + AccessPaths(plans.ReferencePlans);
            md.AppendLine(Inv, $"| {first.Provider} | {first.Group} | {first.Shape} | {first.LibraryRows?.ToString(Inv) ?? "—"} / {first.ReferenceRows:N0} | " +
                               $"{(library.Length == 0 ? "—" : string.Create(Inv, $"{p50:0.00} / {p95:0.00}"))} | {Percentiles.Of(reference, 0.5):0.00} / {Percentiles.Of(reference, 0.95):0.00} | " +
                               $"{(ratios.Length == 0 ? "—" : string.Create(Inv, $"**{Median(ratios):0.00}×** ({ratios.Min():0.00}–{ratios.Max():0.00})"))} | " +
                               $"{(first.TargetMs is { } t ? string.Create(Inv, $"{t:0} ms") : "—")} | {verdict} | {paths} |");
        }
    }

    /// <summary>The access paths <paramref name="plans"/> name (PostgreSQL scan nodes, SQLite SCAN / SEARCH lines), in order, each once.</summary>
    private static string AccessPaths(IReadOnlyList<string> plans)
    {
        var paths = plans
            .SelectMany(p => p.Split('\n'))
            .Select(line => line.Trim().TrimStart('-', '>', '|', ' '))
            .Where(line => line.StartsWith("SCAN ", StringComparison.Ordinal) || line.StartsWith("SEARCH ", StringComparison.Ordinal) ||
                           line.Contains(" Scan ", StringComparison.Ordinal) || line.StartsWith("Seq Scan", StringComparison.Ordinal))
            .Select(line => line.Contains("  (", StringComparison.Ordinal) ? line[..line.IndexOf("  (", StringComparison.Ordinal)] : line)
            .Distinct();
        return string.Join("; ", paths).Replace("|", "\\|", StringComparison.Ordinal);
    }

    private void AppendQueryPlans(StringBuilder md)
    {
        if (QueryPlans.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## History queries: the plans of the SQL OrderLib sends").AppendLine();
        md.AppendLine("PostgreSQL: `auto_explain` (ANALYZE, BUFFERS) of every statement one call sent, on a copy of the history template " +
                      "(the call made once before, untimed). SQLite: every statement traced on the store's own connection, parameters " +
                      "expanded, and its `EXPLAIN QUERY PLAN`.");
        foreach (var shape in QueryPlans)
        {
            md.AppendLine().AppendLine(Inv, $"### {shape.Provider}: {shape.Shape}").AppendLine();
            if (shape.Plans.Count == 0)
            {
                md.AppendLine("(no statement captured: the store method is not implemented yet, or the trace saw nothing)");
            }

            foreach (var plan in shape.Plans)
            {
                md.AppendLine("```").AppendLine(plan).AppendLine("```");
            }

            md.AppendLine().AppendLine("Reference:").AppendLine();
            foreach (var plan in shape.ReferencePlans)
            {
                md.AppendLine("```").AppendLine(plan).AppendLine("```");
            }
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private void AppendExplain(StringBuilder md)
    {
        if (Explain is null && ExplainNote is null)
        {
            return;
        }

        md.AppendLine().AppendLine("## PostgreSQL: plans of one claim and one completion (auto_explain, ANALYZE, BUFFERS)").AppendLine();
        if (Explain is not { } explain)
        {
            md.AppendLine(ExplainNote);
            return;
        }

        var (history, capture) = explain;
        var plans = capture.Plans
            .Where(p => p.Contains("job_runs", StringComparison.Ordinal) || p.Contains("jobs", StringComparison.Ordinal))
            .ToList();
        var claim = plans.FirstOrDefault(p => p.Contains("SKIP LOCKED", StringComparison.OrdinalIgnoreCase))
                    ?? plans.FirstOrDefault(p => p.Contains("ix_job_runs_ready", StringComparison.Ordinal));
        md.AppendLine(Inv, $"On a copy of the {history:N0}-run queue template ({capture.Claimed} of {capture.Limit} runs claimed, then run {capture.CompletedRunId} completed). " +
                           $"{plans.Count} statement plan(s) touched OrderLib's tables.").AppendLine();
        md.AppendLine(claim is null
            ? "**No plan with `SKIP LOCKED` or `ix_job_runs_ready` was found among them.**"
            : claim.Contains("ix_job_runs_ready", StringComparison.Ordinal)
                ? "**The claim statement reads the partial index `ix_job_runs_ready`.**"
                : "**The claim statement does NOT use `ix_job_runs_ready`.**");
        foreach (var plan in plans)
        {
            md.AppendLine().AppendLine(ReferenceEquals(plan, claim) ? "Claim:" : "Also logged:").AppendLine().AppendLine("```").AppendLine(plan).AppendLine("```");
        }
    }
}
