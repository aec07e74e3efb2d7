// A host app that consumes OrderLib's NuGet packages. It applies the schema migrations, defines a three-job pipeline
// (download → convert → publish), triggers it and lets the hosted worker run it, then prints each run and exits 0
// when every run succeeded (1 when one did not, 2 when the pipeline did not finish in time).
//
// SQLite by default (consumer.db in the working directory); a DATABASE_URL (postgresql://...) picks PostgreSQL
// when the app is built with the PostgreSQL package (the default; -p:OrderLibPostgres=false leaves it out).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderLib;

var builder = Host.CreateApplicationBuilder(args);
if (string.IsNullOrWhiteSpace(builder.Configuration["DATABASE_URL"]) && builder.Configuration["ConnectionStrings:OrderLib"] is null)
{
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["OrderLib:Provider"] = "Sqlite",
        ["ConnectionStrings:OrderLib"] = "Data Source=consumer.db",
    });
}

builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OrderLib:ApplyMigrationsAtStartup"] = "true" });

string[] pipeline = ["download", "convert", "publish"];
builder.Services
    .AddOrderLib(builder.Configuration, providers =>
    {
        providers.AddSqlite();
#if ORDERLIB_POSTGRES
        providers.AddPostgres();
#endif
    })
    .AddWorker(worker =>
    {
        worker.WorkerId = "consumer-worker";
        foreach (var name in pipeline)
        {
            worker.Handle(name, async (context, cancellationToken) =>
            {
                await Task.Delay(10, cancellationToken);
                Console.WriteLine($"handled   {context.JobName} (attempt {context.Attempt})");
            });
        }
    });

using var host = builder.Build();
await host.StartAsync(); // applies the migrations, then starts the worker

var orderLib = host.Services.GetRequiredService<IOrderLib>();
var graph = await orderLib.Jobs.DefineGraphAsync(new GraphDefinition(
    pipeline.Select(name => new JobDefinition(name)),
    [new GraphDependency("convert", "download"), new GraphDependency("publish", "convert")]));
var download = graph.Jobs.Single(defined => defined.Job.Name == "download").Job;

// One transaction enqueues download and everything downstream of it as one pipeline run; the worker runs each job once
// its upstream succeeded.
var triggered = await orderLib.Runs.TriggerAsync(download.Id, new TriggerOptions { Label = "consumer" });

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
PipelineRunDetail pipelineRun;
try
{
    pipelineRun = await orderLib.Pipelines.GetAsync(triggered.Id, timeout.Token);
    while (pipelineRun.Summary.State == PipelineRunState.Running)
    {
        await Task.Delay(50, timeout.Token);
        pipelineRun = await orderLib.Pipelines.GetAsync(triggered.Id, timeout.Token);
    }
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    Console.Error.WriteLine("The pipeline did not finish within 60 seconds.");
    await host.StopAsync();
    return 2;
}

await host.StopAsync();
foreach (var job in pipelineRun.Jobs)
{
    Console.WriteLine($"run       {job.Job.Name}: {job.Runs[^1].Status}");
}

var succeeded = pipelineRun.Jobs.Count == pipeline.Length && pipelineRun.Summary.State == PipelineRunState.Succeeded;
Console.WriteLine(succeeded ? "Pipeline succeeded" : "Pipeline failed");
return succeeded ? 0 : 1;
