using System.CommandLine;
using System.Globalization;

namespace OrderLib.Cli.Commands;

/// <summary><c>runs list|show|trigger|cancel|explain</c>: <see cref="RunService"/> and the history search of <see cref="HistoryService"/>.</summary>
internal static class RunCommands
{
    public static Command Build(CommandRunner app)
    {
        var runs = new Command("runs", "Search, show, trigger, cancel and explain runs.");
        runs.Add(List(app));

        var shown = RunArgument();
        var show = new Command("show", "Show one run, with its input and output.") { shown };
        app.Handle(show, async context =>
        {
            var id = CliContext.RunId(context.Value(shown));
            var run = await context.OrderLib.Runs.GetAsync(id, context.CancellationToken);
            var payloads = await context.OrderLib.Runs.GetPayloadsAsync(id, context.CancellationToken);
            var job = await context.OrderLib.Jobs.GetAsync(run.JobId, context.CancellationToken);
            var view = RunView.Of(run, job.Name);
            if (context.Json)
            {
                await context.JsonAsync(new { run = view, input = payloads.Input?.ToElement(), output = payloads.Output?.ToElement() });
                return;
            }

            await context.PairsAsync(
            [
                ("run", Output.Number(view.Id)), ("job", $"{job.Name} ({job.Id})"), ("status", view.Status + (view.CancelRequested ? " (cancel requested)" : "")),
                ("attempt", Output.Number(view.Attempt)), ("enqueued", Output.Time(view.EnqueuedAt)), ("available", Output.Time(view.AvailableAt)),
                ("started", Output.Time(view.StartedAt)), ("finished", Output.Time(view.FinishedAt)), ("worker", view.WorkerId),
                ("lease expires", Output.Time(view.LeaseExpiresAt)), ("pipeline run", view.PipelineRunId?.ToString(CultureInfo.InvariantCulture)),
                ("error", view.Error), ("input", payloads.Input?.Json), ("output", payloads.Output?.Json),
            ]);
        });

        runs.Add(show);
        runs.Add(Trigger(app));

        var cancelled = RunArgument();
        var reason = new Option<string?>("--reason") { Description = "Why, stored with the run." };
        var cancel = new Command("cancel", "Cancel a run: a pending one at once (and its dependents' pending runs), a running one at its worker's next heartbeat.") { cancelled, reason };
        app.Handle(cancel, async context =>
        {
            var run = await context.OrderLib.Runs.CancelAsync(CliContext.RunId(context.Value(cancelled)), context.Value(reason), context.CancellationToken);
            await (context.Json
                ? context.JsonAsync(RunView.Of(run))
                : context.Out.WriteLineAsync(run.CancelRequested ? $"Run {run.Id} is running; its worker was asked to cancel it." : $"Run {run.Id} is {run.Status}."));
        });
        runs.Add(cancel);

        var explained = RunArgument();
        var explain = new Command("explain", "Say why a run is where it is: waiting for upstream jobs, paused, backing off, ready, held by a worker, or ended.") { explained };
        app.Handle(explain, async context =>
        {
            var explanation = await context.OrderLib.Runs.ExplainAsync(CliContext.RunId(context.Value(explained)), context.CancellationToken);
            await (context.Json
                ? context.JsonAsync(new
                {
                    run = RunView.Of(explanation.Run, explanation.JobName),
                    ready = explanation.IsReady,
                    reasons = explanation.Reasons.Select(r => new { kind = KindOf(r), text = r.ToString() }),
                    text = explanation.ToString(),
                })
                : context.Out.WriteLineAsync(explanation.ToString()));
        });
        runs.Add(explain);
        return runs;
    }

    private static Argument<string> RunArgument() => new("run") { Description = "The run's id." };

    /// <summary>The reason's kind, from its type: WaitingForUpstreamReason is "waitingForUpstream".</summary>
    private static string KindOf(RunReason reason)
    {
        var name = reason.GetType().Name;
        name = name.EndsWith("Reason", StringComparison.Ordinal) ? name[..^"Reason".Length] : name;
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static Command Trigger(CommandRunner app)
    {
        var jobs = new Argument<string[]>("jobs") { Description = "The job(s) to trigger (ids or names): each with every job downstream of it.", Arity = ArgumentArity.OneOrMore };
        var input = new Option<string?>("--input") { Description = "A JSON value every run the trigger creates receives as its input (its retries too), e.g. '{\"day\":\"2026-12-06\"}'." };
        var label = new Option<string?>("--label") { Description = "A label for the pipeline run, e.g. \"backfill 2026-12\" (filter 'pipelines list' by it)." };
        var trigger = new Command("trigger", "Trigger a pipeline run: a pending run of each job and of every job downstream of it (an active run is joined, not duplicated).") { jobs, input, label };
        app.Handle(trigger, async context =>
        {
            var ids = new List<JobId>();
            foreach (var reference in context.Value(jobs))
            {
                ids.Add((await context.JobAsync(reference)).Id);
            }

            var options = new TriggerOptions
            {
                Input = context.Value(input) is { } json ? RunPayload.Parse(json, "--input") : null,
                Label = context.Value(label),
            };
            var triggered = await context.OrderLib.Runs.TriggerAsync(ids.Distinct().ToList(), options, context.CancellationToken);
            await WriteTriggeredAsync(context, triggered);
        });
        return trigger;
    }

    private static async Task WriteTriggeredAsync(CliContext context, OrderLib.Ports.TriggeredPipeline triggered)
    {
        var names = new Dictionary<JobId, string>();
        foreach (var result in triggered.Runs)
        {
            if (!names.ContainsKey(result.Run.JobId))
            {
                names[result.Run.JobId] = (await context.OrderLib.Jobs.GetAsync(result.Run.JobId, context.CancellationToken)).Name;
            }
        }

        if (context.Json)
        {
            await context.JsonAsync(new
            {
                pipelineRunId = triggered.Id.Value,
                runs = triggered.Runs.Select(e => new { created = e.Created, run = RunView.Of(e.Run, names[e.Run.JobId]) }),
            });
            return;
        }

        await context.Out.WriteLineAsync($"Pipeline run {triggered.Id}:");
        await context.TableAsync(
            ["RUN", "JOB", "STATUS", "CREATED"],
            triggered.Runs.Select(e => new[] { Output.Number(e.Run.Id.Value), names[e.Run.JobId], e.Run.Status.ToString(), e.Created ? "new" : "joined (already active)" }));
    }

    private static Command List(CommandRunner app)
    {
        var status = new Option<string[]>("--status") { Description = "Only runs with these statuses (Pending, Running, Succeeded, Failed, Cancelled); repeat or comma-separate.", AllowMultipleArgumentsPerToken = false };
        var job = new Option<string[]>("--job") { Description = "Only runs of these jobs (ids or names); repeat the option for several." };
        var since = new Option<string?>("--since") { Description = "Only runs enqueued at or after this time: ISO 8601 (2026-12-06T10:00:00Z) or an age (90s, 15m, 2h, 7d)." };
        var until = new Option<string?>("--until") { Description = "Only runs enqueued before this time (same forms as --since)." };
        var limit = new Option<int?>("--limit") { Description = "Runs per page, 1 to 1000 (default 100)." };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor." };
        var filter = new Option<string[]>("--filter")
        {
            Description = "Any field of the library's run search as key=value (repeatable): statuses, jobIds, jobName, jobNamePrefix, workerId, " +
                "minAttempt, maxAttempt, enqueuedFrom, enqueuedTo, startedFrom, startedTo, finishedFrom, finishedTo, minDuration, maxDuration, " +
                "errorContains, orderBy (enqueued|started|finished), direction (newest|oldest), limit, cursor, includeTotal.",
        };
        var list = new Command("list", "Search the client's runs across jobs, newest first (the history search, RunSearch).") { status, job, since, until, limit, cursor, filter };
        app.Handle(list, async context =>
        {
            var fields = new List<KeyValuePair<string, string?>>();
            if (context.Value(status) is { Length: > 0 } statuses)
            {
                fields.Add(new("statuses", string.Join(',', statuses)));
            }

            if (context.Value(job) is { Length: > 0 } jobs)
            {
                var ids = new List<string>();
                foreach (var reference in jobs)
                {
                    ids.Add((await context.JobAsync(reference)).Id.ToString());
                }

                fields.Add(new("jobIds", string.Join(',', ids)));
            }

            if (context.Value(since) is { } from)
            {
                fields.Add(new("enqueuedFrom", TimeText(from)));
            }

            if (context.Value(until) is { } to)
            {
                fields.Add(new("enqueuedTo", TimeText(to)));
            }

            if (context.Value(limit) is { } size)
            {
                fields.Add(new("limit", size.ToString(CultureInfo.InvariantCulture)));
            }

            if (context.Value(cursor) is { } next)
            {
                fields.Add(new("cursor", next));
            }

            foreach (var pair in context.Value(filter) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"--filter '{pair}' is not key=value.");
                }

                fields.Add(new(pair[..equals].Trim(), pair[(equals + 1)..]));
            }

            var search = RunSearch.FromFields(fields);
            var page = await context.OrderLib.History.SearchRunsAsync(search, context.CancellationToken);
            var views = page.Items.Select(r => RunView.Of(r.Run, r.JobName)).ToList();
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    search = search.ToFields().ToDictionary(f => f.Key, f => f.Value),
                    items = views,
                    next = page.Next?.ToString(),
                    total = page.Total,
                });
                return;
            }

            await context.TableAsync(RunView.Headers, views.Select(v => v.Row()));
            if (page.Total is { } total)
            {
                await context.Out.WriteLineAsync($"Total: {total}");
            }

            if (page.Next is { } more)
            {
                await context.Out.WriteLineAsync($"More: --cursor {more}");
            }
        });
        return list;
    }

    /// <summary>A time option's text: an age (90s, 15m, 2h, 7d) becomes the ISO time that long ago; anything else is passed to the library as it is.</summary>
    internal static string TimeText(string text) =>
        Age(text) is { } age ? (CliContext.Now - age).UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : text;

    /// <summary>An age such as 90s, 15m, 2h or 7d, or null when <paramref name="text"/> is not one.</summary>
    internal static TimeSpan? Age(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length < 2 || !double.TryParse(trimmed[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return char.ToLowerInvariant(trimmed[^1]) switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            'w' => TimeSpan.FromDays(7 * amount),
            _ => null,
        };
    }
}
