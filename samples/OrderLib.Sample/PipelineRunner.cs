using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OrderLib.Sample;

/// <summary>
/// The sample's own hosted service. Starting, it defines the pipeline (each job created or reused by name, with the
/// dependencies it lacks), triggers it, and shows that starting transform early is refused; registered after
/// <c>AddOrderLib</c> and before <c>AddWorker</c>, it starts after the migrations and before the worker claims. Then it
/// watches the triggered runs and stops the host once they have all ended.
/// </summary>
internal sealed class PipelineRunner(IOrderLib orderLib, IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly HashSet<JobId> _pipeline = [];

    /// <summary>Defines and triggers the pipeline, then starts watching it.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // 1. Define the pipeline: create each job or reuse it by name, and add the dependencies it lacks.
        var jobs = new Dictionary<string, Job>();
        foreach (var step in PipelineHandlers.Steps)
        {
            var existing = await orderLib.Jobs.FindByNameAsync(step.Name, cancellationToken);
            var job = existing ?? await orderLib.Jobs.CreateAsync(new JobDefinition(step.Name) { Description = step.Description }, cancellationToken);
            var upstream = (await orderLib.Dependencies.ListUpstreamAsync(job.Id, cancellationToken)).Select(j => j.Name).ToHashSet();
            foreach (var dependsOn in step.DependsOn.Where(name => !upstream.Contains(name)))
            {
                await orderLib.Dependencies.AddAsync(job.Id, jobs[dependsOn].Id, cancellationToken);
            }

            jobs[step.Name] = job;
            _pipeline.Add(job.Id);
            var after = step.DependsOn.Length == 0 ? "" : $", depends on {string.Join(" and ", step.DependsOn)}";
            Console.WriteLine($"job       {step.Name,-18} id {job.Id} ({(existing is null ? "created" : "reused")}{after})");
        }

        // 2. Trigger the pipeline from each extract job: one transaction enqueues it and every job downstream.
        //    Enqueueing is idempotent: a job's active run is returned instead of a second one (runs left Running by a
        //    killed sample process are rescued by the worker once their lease expires).
        var runs = new Dictionary<JobId, JobRun>();
        foreach (var root in PipelineHandlers.Steps.Where(step => step.DependsOn.Length == 0))
        {
            foreach (var (run, created) in (await orderLib.Runs.TriggerAsync(jobs[root.Name].Id, cancellationToken: cancellationToken)).Runs)
            {
                if (runs.TryAdd(run.JobId, run))
                {
                    var name = jobs.Single(pair => pair.Value.Id == run.JobId).Key;
                    Console.WriteLine($"enqueued  {name,-18} run {run.Id} ({(created ? "new" : $"already {run.Status}")})");
                }
            }
        }

        // 3. Starting a run before its dependencies succeeded is refused, and nothing changes.
        try
        {
            await orderLib.Runs.StartAsync(runs[jobs["transform"].Id].Id, new WorkerId("sample-app"), cancellationToken);
            throw new InvalidOperationException("unexpected: transform started before its dependencies succeeded");
        }
        catch (DependenciesNotSatisfiedException refused)
        {
            Console.WriteLine($"refused   {refused.Message}");
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>Stops the host once no run of the pipeline is Pending or Running.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await AnyActiveAsync(stoppingToken))
            {
                await Task.Delay(PollInterval, stoppingToken);
            }

            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host stops anyway
        }
    }

    private async Task<bool> AnyActiveAsync(CancellationToken cancellationToken)
    {
        var latest = await orderLib.Runs.ListLatestAsync(limit: 1000, cancellationToken: cancellationToken);
        return latest.Items.Any(row => _pipeline.Contains(row.Job.Id) && row.LatestRun?.Status is RunStatus.Pending or RunStatus.Running);
    }
}

/// <summary>Registers the sample's <see cref="PipelineRunner"/>.</summary>
internal static class PipelineRunnerRegistration
{
    /// <summary>Adds the <see cref="PipelineRunner"/>; call it before <c>AddWorker</c>, so it triggers the pipeline before the worker claims.</summary>
    public static OrderLibBuilder AddPipelineRunner(this OrderLibBuilder builder)
    {
        builder.Services.AddHostedService<PipelineRunner>();
        return builder;
    }
}
