using System.CommandLine;
using System.Globalization;

namespace OrderLib.Cli.Commands;

/// <summary><c>graph</c>, <c>stats</c> and <c>prune</c>: pictures of the dependency graph, statistics and retention.</summary>
internal static class HistoryCommands
{
    public static IEnumerable<Command> Build(CommandRunner app)
    {
        yield return Graph(app);
        yield return Stats(app);
        yield return Prune(app);
    }

    private static Command Graph(CommandRunner app)
    {
        var format = new Option<string>("--format") { Description = "mermaid (a Mermaid flowchart) or dot (Graphviz).", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var job = new Option<string?>("--job") { Description = "Only the part around this job (id or name): it, its upstream and its downstream jobs." };
        var pipeline = new Option<string?>("--pipeline") { Description = "Draw this pipeline run instead: the jobs it covered, coloured by their runs in it." };
        var graph = new Command("graph", "Draw the dependency graph, each job coloured by its latest run's status (or a pipeline run with --pipeline).") { format, job, pipeline };
        app.Handle(graph, async context =>
        {
            JobGraph picture;
            if (context.Value(pipeline) is { } pipelineRun)
            {
                if (context.Value(job) is not null)
                {
                    throw new UsageException("Give --job or --pipeline, not both.");
                }

                picture = await context.OrderLib.Pipelines.GetGraphAsync(PipelineCommands.Id(pipelineRun), context.CancellationToken);
            }
            else
            {
                var selection = context.Value(job) is { } reference ? GraphSelection.Around((await context.JobAsync(reference)).Id) : GraphSelection.All;
                picture = await context.OrderLib.Dependencies.GetGraphAsync(selection, context.CancellationToken);
            }

            var text = context.Value(format) == "dot" ? picture.ToDot() : picture.ToMermaid();
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    format = context.Value(format),
                    text,
                    nodes = picture.Nodes.Select(n => new { jobId = n.JobId.Value, n.Name, n.Status, runId = n.RunId?.Value, n.Paused }),
                    edges = picture.Edges.Select(e => new { jobId = e.JobId.Value, dependsOnJobId = e.DependsOnJobId.Value }),
                });
                return;
            }

            await context.Out.WriteAsync(text.EndsWith('\n') ? text : text + "\n");
        });
        return graph;
    }

    private static Command Stats(CommandRunner app)
    {
        var from = new Option<string?>("--from") { Description = "The window's start: ISO 8601 or an age (90s, 15m, 2h, 7d); default 24h ago." };
        var to = new Option<string?>("--to") { Description = "The window's end (exclusive): ISO 8601 or an age; default now." };
        var job = new Option<string[]>("--job") { Description = "Only these jobs (ids or names); repeat for several." };
        var bucket = new Option<TimelineBucket>("--bucket") { Description = "The timeline's bucket: Minute, Hour or Day.", DefaultValueFactory = _ => TimelineBucket.Hour };
        var stats = new Command("stats", "Statistics of the runs that finished in a window, per job, the queue now and a timeline.") { from, to, job, bucket };
        app.Handle(stats, async context =>
        {
            var now = CliContext.Now;
            var query = new StatisticsQuery(Time(context.Value(from), now - TimeSpan.FromDays(1), "--from"), Time(context.Value(to), now, "--to"))
            {
                Bucket = context.Value(bucket),
            };
            if (context.Value(job) is { Length: > 0 } jobs)
            {
                var ids = new List<JobId>();
                foreach (var reference in jobs)
                {
                    ids.Add((await context.JobAsync(reference)).Id);
                }

                query = query with { JobIds = ids };
            }

            var statistics = await context.OrderLib.History.GetStatisticsAsync(query, context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    from = statistics.Query.From,
                    to = statistics.Query.To,
                    statistics.Now,
                    overall = Runs(statistics.Overall),
                    perJob = statistics.PerJob.Select(j => new { jobId = j.JobId.Value, j.JobName, runs = Runs(j.Runs) }),
                    queue = statistics.Queue,
                    oldestReadyAgeSeconds = statistics.OldestReadyAge?.TotalSeconds,
                    timeline = statistics.Timeline,
                });
                return;
            }

            await context.Out.WriteLineAsync($"Runs finished from {Output.Time(statistics.Query.From)} to {Output.Time(statistics.Query.To)}:");
            await context.TableAsync(
                ["JOB", "SUCCEEDED", "FAILED", "CANCELLED", "SUCCESS RATE", "P50", "P95"],
                statistics.PerJob.Select(j => Row(j.JobName, j.Runs)).Append(Row("(all)", statistics.Overall)));
            var q = statistics.Queue;
            await context.Out.WriteLineAsync(
                $"Queue now: {q.Ready} ready, {q.WaitingOnUpstream} waiting on upstream, {q.Paused} paused, {q.ScheduledLater} scheduled later, {q.Running} running" +
                (statistics.OldestReadyAge is { } age ? $"; oldest ready for {age.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s." : "."));
        });
        return stats;
    }

    private static Command Prune(CommandRunner app)
    {
        var olderThan = new Option<string>("--older-than") { Description = "Delete finished runs that finished before this: an age (30d, 12h) or an ISO 8601 time.", Required = true };
        var keep = new Option<int>("--keep") { Description = "Keep at least this many latest finished runs of every job, however old (default 0).", DefaultValueFactory = _ => 0 };
        var prune = new Command("prune", "Delete old finished runs (never a job's active run), in batches.") { olderThan, keep };
        app.Handle(prune, async context =>
        {
            var before = Time(context.Value(olderThan), CliContext.Now, "--older-than");
            var report = await context.OrderLib.History.PruneAsync(before, context.Value(keep), context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    olderThan = report.Request.OlderThan,
                    keepLatestPerJob = report.Request.KeepLatestPerJob,
                    report.Batches,
                    report.RunsDeleted,
                    jobs = report.Jobs.Select(j => new { jobId = j.JobId.Value, j.JobName, j.Succeeded, j.Failed, j.Cancelled, j.Total }),
                });
                return;
            }

            await context.Out.WriteLineAsync(
                $"Deleted {report.RunsDeleted} run(s) finished before {Output.Time(before)} ({report.Succeeded} succeeded, {report.Failed} failed, {report.Cancelled} cancelled) in {report.Batches} batch(es).");
        });
        return prune;
    }

    private static object Runs(RunStatistics runs) => new
    {
        runs.Succeeded,
        runs.Failed,
        runs.Cancelled,
        runs.Finished,
        runs.SuccessRate,
        runs.AttemptsPerSuccess,
        durations = runs.Durations is { } d
            ? new { d.Count, minSeconds = d.Min.TotalSeconds, p50Seconds = d.P50.TotalSeconds, p95Seconds = d.P95.TotalSeconds, maxSeconds = d.Max.TotalSeconds }
            : null,
    };

    private static string?[] Row(string name, RunStatistics runs) =>
    [
        name, Output.Number(runs.Succeeded), Output.Number(runs.Failed), Output.Number(runs.Cancelled),
        runs.SuccessRate is { } rate ? rate.ToString("P1", CultureInfo.InvariantCulture) : "-",
        runs.Durations is { } d ? Seconds(d.P50) : "-",
        runs.Durations is { } e ? Seconds(e.P95) : "-",
    ];

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    /// <summary>An option's time: an age (that long before now) or ISO 8601 (UTC unless it has an offset).</summary>
    private static DateTimeOffset Time(string? text, DateTimeOffset fallback, string option)
    {
        if (text is null)
        {
            return fallback;
        }

        if (RunCommands.Age(text) is { } age)
        {
            return CliContext.Now - age;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new UsageException($"{option} '{text}' is neither an age (30d, 12h, 15m, 90s) nor an ISO 8601 time (2026-12-06T10:00:00Z).");
    }
}
