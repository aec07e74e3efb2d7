using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OrderLib.Sample;

/// <summary>
/// The sample's own hosted service. Starting, it defines the pipeline (each job created or reused by name, with the
/// dependencies it lacks), triggers it as one pipeline run with an input, and shows that starting transform early is
/// refused and why; registered after <c>AddOrderLib</c> and before <c>AddWorker</c>, it starts after the migrations and
/// before the worker claims. Then it watches the pipeline run and stops the host once it has ended.
/// </summary>
internal sealed class PipelineRunner(IOrderLib orderLib, IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The pipeline run this process triggered, once <see cref="StartAsync"/> has.</summary>
    public PipelineRunId? PipelineRunId { get; private set; }

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
            var after = step.DependsOn.Length == 0 ? "" : $", depends on {string.Join(" and ", step.DependsOn)}";
            Console.WriteLine($"job       {step.Name,-18} id {job.Id} ({(existing is null ? "created" : "reused")}{after})");
        }

        // 2. Trigger the pipeline from both extract jobs in one call: one transaction enqueues them and every job
        //    downstream, and records one pipeline run, labelled, whose input (the day to process) reaches every run it
        //    creates. Enqueueing is idempotent: a job's active run is joined instead of a second one (runs left Running by
        //    a killed sample process are rescued by the worker once their lease expires).
        var roots = PipelineHandlers.Steps.Where(step => step.DependsOn.Length == 0).Select(step => jobs[step.Name].Id).ToArray();
        var triggered = await orderLib.Runs.TriggerAsync(
            roots,
            new TriggerOptions { Label = SampleInput.Label, Input = RunPayload.From(new SampleInput(SampleInput.SampleDay)) },
            cancellationToken);
        PipelineRunId = triggered.Id;
        Console.WriteLine($"pipeline  run {triggered.Id} (label '{SampleInput.Label}', input day {SampleInput.SampleDay})");
        foreach (var (run, created) in triggered.Runs)
        {
            var name = jobs.Single(pair => pair.Value.Id == run.JobId).Key;
            Console.WriteLine($"enqueued  {name,-18} run {run.Id} ({(created ? "new" : $"joined, already {run.Status}")})");
        }

        // 3. Starting a run before its dependencies succeeded is refused, and nothing changes; the explanation says why.
        var transform = triggered.Runs.Single(result => result.Run.JobId == jobs["transform"].Id).Run;
        try
        {
            await orderLib.Runs.StartAsync(transform.Id, new WorkerId("sample-app"), cancellationToken);
            throw new InvalidOperationException("unexpected: transform started before its dependencies succeeded");
        }
        catch (DependenciesNotSatisfiedException refused)
        {
            Console.WriteLine($"refused   {refused.Message}");
            Console.WriteLine($"explained {await orderLib.Runs.ExplainAsync(transform.Id, cancellationToken)}");
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>Stops the host once the pipeline run has ended (no run of it is Pending or Running).</summary>
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

    private async Task<bool> AnyActiveAsync(CancellationToken cancellationToken) =>
        PipelineRunId is { } id && (await orderLib.Pipelines.GetAsync(id, cancellationToken)).Summary.State == PipelineRunState.Running;
}

/// <summary>Registers the sample's <see cref="PipelineRunner"/>.</summary>
internal static class PipelineRunnerRegistration
{
    /// <summary>Adds the <see cref="PipelineRunner"/>; call it before <c>AddWorker</c>, so it triggers the pipeline before the worker claims.</summary>
    public static OrderLibBuilder AddPipelineRunner(this OrderLibBuilder builder)
    {
        builder.Services.AddSingleton<PipelineRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PipelineRunner>());
        return builder;
    }
}
