using System.CommandLine;

namespace OrderLib.Cli.Commands;

/// <summary><c>jobs list|show|create|update|delete|pause|resume</c>: <see cref="JobService"/>.</summary>
internal static class JobCommands
{
    private static readonly string[] Headers = ["ID", "NAME", "PRIORITY", "MAX ATTEMPTS", "SCHEDULE", "NEXT DUE", "PAUSED", "DESCRIPTION"];

    public static Command Build(CommandRunner app)
    {
        var jobs = new Command("jobs", "Create, read, change, pause and delete jobs. A job is named by its id (all digits) or its name.");

        var limit = new Option<int>("--limit") { Description = "Jobs per page, 1 to 1000.", DefaultValueFactory = _ => 100 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor." };
        var list = new Command("list", "List the client's jobs in creation order, one page at a time.") { limit, cursor };
        app.Handle(list, async context =>
        {
            var page = await context.OrderLib.Jobs.ListAsync(
                context.Value(cursor) is { } next ? PageCursor.Parse(next) : null, context.Value(limit), context.CancellationToken);
            var views = page.Items.Select(JobView.Of).ToList();
            if (context.Json)
            {
                await context.JsonAsync(new { items = views, next = page.Next?.ToString() });
                return;
            }

            await context.TableAsync(Headers, views.Select(Row));
            if (page.Next is { } more)
            {
                await context.Out.WriteLineAsync($"More: --cursor {more}");
            }
        });

        var job = JobArgument();
        var show = new Command("show", "Show one job.") { job };
        app.Handle(show, async context => await WriteAsync(context, await context.JobAsync(context.Value(job))));

        var name = new Argument<string>("name") { Description = "The new job's name (unique within the client)." };
        var description = new Option<string?>("--description") { Description = "Free text for people (\"\" clears it on update)." };
        var priority = new Option<int?>("--priority") { Description = "Higher runs first when several runs are ready (default 0)." };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts a run gets before it fails for good (default 1)." };
        var schedule = new Option<string?>("--schedule") { Description = "A cron expression (\"0 3 * * *\") or an interval (\"every 15m\"); \"\" clears it on update." };
        var create = new Command("create", "Create a job.") { name, description, priority, maxAttempts, schedule };
        app.Handle(create, async context =>
        {
            var definition = new JobDefinition(context.Value(name))
            {
                Description = Blank(context.Value(description)),
                Priority = context.Value(priority) ?? 0,
                MaxAttempts = context.Value(maxAttempts) ?? 1,
                Schedule = Blank(context.Value(schedule)),
            };
            await WriteAsync(context, await context.OrderLib.Jobs.CreateAsync(definition, context.CancellationToken));
        });

        var updated = JobArgument();
        var rename = new Option<string?>("--name") { Description = "A new name." };
        var update = new Command("update", "Change a job: the options given replace those fields, the others stay.") { updated, rename, description, priority, maxAttempts, schedule };
        app.Handle(update, async context =>
        {
            var current = await context.JobAsync(context.Value(updated));
            var definition = new JobDefinition(context.Value(rename) ?? current.Name)
            {
                Description = context.Value(description) is { } d ? Blank(d) : current.Description,
                Priority = context.Value(priority) ?? current.Priority,
                MaxAttempts = context.Value(maxAttempts) ?? current.MaxAttempts,
                Schedule = context.Value(schedule) is { } s ? Blank(s) : current.Schedule,
            };
            await WriteAsync(context, await context.OrderLib.Jobs.UpdateAsync(current.Id, definition, context.CancellationToken));
        });

        var deleted = JobArgument();
        var removeDependencies = new Option<bool>("--remove-dependencies") { Description = "Also remove other jobs' dependencies on it (else a job with dependents is refused)." };
        var cancelActiveRun = new Option<bool>("--cancel-active-run") { Description = "Also end its pending or running run (else a job with an active run is refused)." };
        var delete = new Command("delete", "Delete a job with its runs and dependencies.") { deleted, removeDependencies, cancelActiveRun };
        app.Handle(delete, async context =>
        {
            var target = await context.JobAsync(context.Value(deleted));
            var deletion = (context.Value(removeDependencies) ? JobDeletion.RemoveDependencies : JobDeletion.None)
                | (context.Value(cancelActiveRun) ? JobDeletion.CancelActiveRun : JobDeletion.None);
            await context.OrderLib.Jobs.DeleteAsync(target.Id, deletion, context.CancellationToken);
            await (context.Json
                ? context.JsonAsync(new { deleted = target.Id.Value, name = target.Name })
                : context.Out.WriteLineAsync($"Deleted job {target.Id} '{target.Name}'."));
        });

        var paused = JobArgument();
        var pause = new Command("pause", "Pause a job: its runs are not started and its schedule enqueues nothing until it is resumed.") { paused };
        app.Handle(pause, async context =>
            await WriteAsync(context, await context.OrderLib.Jobs.PauseAsync((await context.JobAsync(context.Value(paused))).Id, context.CancellationToken)));

        var resumed = JobArgument();
        var resume = new Command("resume", "Resume a paused job.") { resumed };
        app.Handle(resume, async context =>
            await WriteAsync(context, await context.OrderLib.Jobs.ResumeAsync((await context.JobAsync(context.Value(resumed))).Id, context.CancellationToken)));

        foreach (var command in new[] { list, show, create, update, delete, pause, resume })
        {
            jobs.Add(command);
        }

        return jobs;
    }

    /// <summary>A positional job reference: an id (all digits) or a name.</summary>
    public static Argument<string> JobArgument(string name = "job", string description = "The job: its id (all digits) or its name.") =>
        new(name) { Description = description };

    private static string? Blank(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static async Task WriteAsync(CliContext context, Job job)
    {
        var view = JobView.Of(job);
        if (context.Json)
        {
            await context.JsonAsync(view);
            return;
        }

        await context.PairsAsync(
        [
            ("id", Output.Number(view.Id)), ("name", view.Name), ("client", view.Client), ("description", view.Description),
            ("priority", Output.Number(view.Priority)), ("max attempts", Output.Number(view.MaxAttempts)), ("schedule", view.Schedule),
            ("next due", Output.Time(view.NextDueAt)), ("paused", view.Paused ? $"since {Output.Time(view.PausedAt)}" : "no"),
            ("created", Output.Time(view.CreatedAt)), ("updated", Output.Time(view.UpdatedAt)),
        ]);
    }

    private static string?[] Row(JobView job) =>
    [
        Output.Number(job.Id), job.Name, Output.Number(job.Priority), Output.Number(job.MaxAttempts), job.Schedule,
        Output.Time(job.NextDueAt), job.Paused ? "yes" : "no", job.Description,
    ];
}
