using System.CommandLine;
using System.Globalization;

namespace OrderLib.Cli.Commands;

/// <summary><c>pipelines list|show|cancel</c>: <see cref="PipelineService"/> (one pipeline run per trigger or scheduled occurrence).</summary>
internal static class PipelineCommands
{
    private static readonly string[] Headers = ["PIPELINE RUN", "STATE", "ROOTS", "TRIGGER", "LABEL", "CREATED", "FINISHED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

    public static Command Build(CommandRunner app)
    {
        var pipelines = new Command("pipelines", "List, show and cancel pipeline runs (what 'runs trigger' and schedules create).");

        var state = new Option<PipelineRunState[]>("--state") { Description = "Only pipeline runs in these states (Running, Succeeded, Failed, Cancelled); repeat for several." };
        var job = new Option<string?>("--job") { Description = "Only pipeline runs triggered from this job (id or name)." };
        var trigger = new Option<PipelineTriggerKind?>("--trigger") { Description = "Only Manual or Schedule pipeline runs." };
        var label = new Option<string?>("--label") { Description = "Only pipeline runs with exactly this label." };
        var since = new Option<string?>("--since") { Description = "Only pipeline runs created at or after this time: ISO 8601 or an age (15m, 2h, 7d)." };
        var until = new Option<string?>("--until") { Description = "Only pipeline runs created before this time (same forms)." };
        var limit = new Option<int>("--limit") { Description = "Pipeline runs per page, 1 to 1000.", DefaultValueFactory = _ => 100 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor." };
        var list = new Command("list", "List the client's pipeline runs, newest first.") { state, job, trigger, label, since, until, limit, cursor };
        app.Handle(list, async context =>
        {
            var search = new PipelineRunSearch
            {
                Filter = new PipelineRunFilter
                {
                    States = context.Value(state) is { Length: > 0 } states ? states.ToHashSet() : null,
                    RootJobId = context.Value(job) is { } reference ? (await context.JobAsync(reference)).Id : null,
                    TriggerKind = context.Value(trigger),
                    Label = context.Value(label),
                    CreatedFrom = Time(context.Value(since), "--since"),
                    CreatedTo = Time(context.Value(until), "--until"),
                },
                Limit = context.Value(limit),
                Cursor = context.Value(cursor) is { } next ? PageCursor.Parse(next) : null,
            };
            var page = await context.OrderLib.Pipelines.ListAsync(search, context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new { items = page.Items.Select(View), next = page.Next?.ToString() });
                return;
            }

            await context.TableAsync(Headers, page.Items.Select(Row));
            if (page.Next is { } more)
            {
                await context.Out.WriteLineAsync($"More: --cursor {more}");
            }
        });

        var shown = PipelineArgument();
        var show = new Command("show", "Show a pipeline run: its input and its jobs in order, each with its runs.") { shown };
        app.Handle(show, async context =>
        {
            var detail = await context.OrderLib.Pipelines.GetAsync(Id(context.Value(shown)), context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    pipelineRun = View(detail.Summary),
                    input = detail.Input?.ToElement(),
                    jobs = detail.Jobs.Select(j => new
                    {
                        j.Position,
                        jobId = j.Job.Id.Value,
                        name = j.Job.Name,
                        j.IsRoot,
                        j.Joined,
                        runs = j.Runs.Select(r => RunView.Of(r, j.Job.Name)),
                    }),
                });
                return;
            }

            await context.TableAsync(Headers, [Row(detail.Summary)]);
            if (detail.Input is { } payload)
            {
                await context.Out.WriteLineAsync($"Input: {payload.Json}");
            }

            await context.Out.WriteLineAsync();
            await context.TableAsync(
                ["#", "JOB", "ROOT", "JOINED", "RUNS"],
                detail.Jobs.Select(j => new[]
                {
                    Output.Number(j.Position), j.Job.Name, j.IsRoot ? "yes" : "", j.Joined ? "yes" : "",
                    string.Join(", ", j.Runs.Select(r => $"{r.Id} {r.Status} (attempt {r.Attempt})")),
                }));
        });

        var cancelled = PipelineArgument();
        var reason = new Option<string?>("--reason") { Description = "Why, stored with each cancelled run." };
        var cancel = new Command("cancel", "Cancel a pipeline run as a whole: its pending runs at once, its running ones at their next heartbeat; runs it joined are left alone.") { cancelled, reason };
        app.Handle(cancel, async context =>
        {
            var result = await context.OrderLib.Pipelines.CancelAsync(Id(context.Value(cancelled)), context.Value(reason), context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    pipelineRunId = result.Id.Value,
                    cancelled = result.Cancelled.Select(r => r.Value),
                    cancelRequested = result.CancelRequested.Select(r => r.Value),
                    cancelledDownstream = result.CancelledDownstream.Select(r => r.Value),
                    joinedLeftAlone = result.JoinedLeftAlone.Select(r => r.Value),
                });
                return;
            }

            await context.Out.WriteLineAsync(
                $"Pipeline run {result.Id}: {result.Cancelled.Count} run(s) cancelled, {result.CancelRequested.Count} running run(s) asked to stop, " +
                $"{result.CancelledDownstream.Count} downstream run(s) cancelled, {result.JoinedLeftAlone.Count} joined run(s) left alone.");
        });

        pipelines.Add(list);
        pipelines.Add(show);
        pipelines.Add(cancel);
        return pipelines;
    }

    private static Argument<string> PipelineArgument() => new("pipeline-run") { Description = "The pipeline run's id." };

    /// <summary>A pipeline run id from the command line.</summary>
    public static PipelineRunId Id(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? new PipelineRunId(id)
            : throw new UsageException($"'{text}' is not a pipeline run id (a positive whole number).");

    private static DateTimeOffset? Time(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(RunCommands.TimeText(text), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new UsageException($"{option} '{text}' is neither an age (30d, 12h, 15m, 90s) nor an ISO 8601 time (2026-12-06T10:00:00Z).");
    }

    private static object View(PipelineRunSummary run) => new
    {
        id = run.Id.Value,
        client = run.ClientId.Value,
        roots = run.Roots.Select(r => new { id = r.Id.Value, r.Name }),
        trigger = run.TriggerKind,
        run.Label,
        run.HasInput,
        run.CreatedAt,
        run.FinishedAt,
        run.State,
        counts = run.Counts,
    };

    private static string?[] Row(PipelineRunSummary run) =>
    [
        Output.Number(run.Id.Value), run.State.ToString(), string.Join(", ", run.Roots.Select(r => r.Name)), run.TriggerKind.ToString(), run.Label,
        Output.Time(run.CreatedAt), Output.Time(run.FinishedAt), Output.Number(run.Counts.Pending), Output.Number(run.Counts.Running),
        Output.Number(run.Counts.Succeeded), Output.Number(run.Counts.Failed), Output.Number(run.Counts.Cancelled),
    ];
}
