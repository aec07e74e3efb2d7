using System.CommandLine;

namespace OrderLib.Cli.Commands;

/// <summary><c>deps add|remove|list</c>: <see cref="DependencyService"/>.</summary>
internal static class DependencyCommands
{
    public static Command Build(CommandRunner app)
    {
        var deps = new Command("deps", "Add, remove and list dependencies: 'deps add report extract' makes report wait for extract.");

        var (job, upstream) = Pair();
        var add = new Command("add", "Make JOB depend on UPSTREAM (refused, exit code 4, when it would close a cycle).") { job, upstream };
        app.Handle(add, async context =>
        {
            var (dependent, on) = (await context.JobAsync(context.Value(job)), await context.JobAsync(context.Value(upstream)));
            var dependency = await context.OrderLib.Dependencies.AddAsync(dependent.Id, on.Id, context.CancellationToken);
            await (context.Json
                ? context.JsonAsync(new { jobId = dependent.Id.Value, job = dependent.Name, dependsOnJobId = on.Id.Value, dependsOn = on.Name, dependency.CreatedAt })
                : context.Out.WriteLineAsync($"'{dependent.Name}' now depends on '{on.Name}'."));
        });

        var (removedJob, removedUpstream) = Pair();
        var remove = new Command("remove", "Remove JOB's dependency on UPSTREAM.") { removedJob, removedUpstream };
        app.Handle(remove, async context =>
        {
            var (dependent, on) = (await context.JobAsync(context.Value(removedJob)), await context.JobAsync(context.Value(removedUpstream)));
            await context.OrderLib.Dependencies.RemoveAsync(dependent.Id, on.Id, context.CancellationToken);
            await (context.Json
                ? context.JsonAsync(new { jobId = dependent.Id.Value, job = dependent.Name, dependsOnJobId = on.Id.Value, dependsOn = on.Name, removed = true })
                : context.Out.WriteLineAsync($"'{dependent.Name}' no longer depends on '{on.Name}'."));
        });

        var listed = JobCommands.JobArgument();
        var list = new Command("list", "List the jobs JOB depends on (upstream) and the jobs that depend on it (downstream).") { listed };
        app.Handle(list, async context =>
        {
            var target = await context.JobAsync(context.Value(listed));
            var ups = await context.OrderLib.Dependencies.ListUpstreamAsync(target.Id, context.CancellationToken);
            var downs = await context.OrderLib.Dependencies.ListDownstreamAsync(target.Id, context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(new
                {
                    job = JobView.Of(target),
                    upstream = ups.Select(j => new { id = j.Id.Value, j.Name }),
                    downstream = downs.Select(j => new { id = j.Id.Value, j.Name }),
                });
                return;
            }

            await context.TableAsync(
                ["DIRECTION", "ID", "NAME"],
                ups.Select(j => new[] { "upstream", Output.Number(j.Id.Value), j.Name })
                    .Concat(downs.Select(j => new[] { "downstream", Output.Number(j.Id.Value), j.Name })));
        });

        deps.Add(add);
        deps.Add(remove);
        deps.Add(list);
        return deps;
    }

    private static (Argument<string> Job, Argument<string> Upstream) Pair() =>
        (JobCommands.JobArgument("job", "The dependent job (id or name)."), JobCommands.JobArgument("upstream", "The job it waits for (id or name)."));
}
