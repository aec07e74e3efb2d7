// A host app using OrderLib. Configuration picks the store (appsettings.json: the SQLite file orderlib-sample.db),
// starting the host applies the schema migrations, then the app's PipelineRunner defines a small pipeline and
// triggers it as one pipeline run with an input (the day to process), and the hosted OrderLib worker executes it with
// one handler per job, honouring the dependencies; each handler records an output its dependents read. The runner stops
// the host once the pipeline run has ended; the app prints the pipeline run's summary, writes its Mermaid diagram and exits
// (or, with --dashboard, serves the dashboard over the same store until Ctrl+C, then exits).
//
//   dotnet run --project samples/OrderLib.Sample
//   dotnet run --project samples/OrderLib.Sample -- --dashboard                  (then open http://127.0.0.1:5080/orderlib)
//   dotnet run --project samples/OrderLib.Sample -- --dashboard --urls http://127.0.0.1:5099
//   DATABASE_URL=postgresql://user:pass@localhost:5432/app dotnet run --project samples/OrderLib.Sample
//   dotnet run --project samples/OrderLib.Sample -- --Sample:FailJob=report     (see a failure: exit code 1)
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Sample;

var serveDashboard = args.Contains(DashboardServer.Switch);
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args.Where(arg => arg != DashboardServer.Switch).ToArray(),
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json sits next to the binary, whatever the working directory
});

// The library reads DATABASE_URL only when ConnectionStrings:OrderLib is unset; in this sample a DATABASE_URL
// replaces the SQLite defaults of appsettings.json, as it was the Python Order-lib's one setting.
if (!string.IsNullOrWhiteSpace(builder.Configuration["DATABASE_URL"]))
{
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["OrderLib:Provider"] = null,
        ["ConnectionStrings:OrderLib"] = null,
    });
}

var settings = new SampleSettings(
    builder.Configuration["Sample:OutputDirectory"] ?? Path.Combine(Path.GetTempPath(), "orderlib-sample"),
    builder.Configuration["Sample:FailJob"]);
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton<PipelineHandlers>();

IHost host;
try
{
    // Configuration picks one of the registered stores; a missing setting or an unregistered provider throws here,
    // naming the key to fix.
    builder.Services.AddOrderLib(builder.Configuration, providers => providers.AddSqlite().AddPostgres())
        .AddPipelineRunner() // defines and triggers the pipeline, after the migrations and before the worker starts
        .AddWorker(worker =>
        {
            worker.WorkerId = "sample-worker";
            worker.Handle("extract-orders", Step((handlers, _) => handlers.ExtractOrdersAsync))
                .Handle("extract-customers", Step((handlers, _) => handlers.ExtractCustomersAsync))
                .Handle("transform", Step((handlers, _) => handlers.TransformAsync))
                .Handle("report", Step((handlers, context) => cancellationToken => handlers.ReportAsync(SampleInput.DayOf(context), cancellationToken)))
                .Handle("email", Step((handlers, _) => handlers.EmailAsync));
        });
    host = builder.Build();
    await host.StartAsync(); // validates the options, applies pending migrations (OrderLib:ApplyMigrationsAtStartup is true), triggers, starts the worker
}
catch (Exception error) when (error is OrderLibException or OptionsValidationException)
{
    await Console.Error.WriteLineAsync($"OrderLib could not start: {error.Message}");
    return 1;
}

using var disposeAtExit = host;
await host.WaitForShutdownAsync(); // the PipelineRunner stops the host once the pipeline run has ended
var orderLib = host.Services.GetRequiredService<IOrderLib>();
if (host.Services.GetRequiredService<PipelineRunner>().PipelineRunId is not { } pipelineRunId)
{
    await Console.Error.WriteLineAsync("The pipeline was not triggered.");
    return 1;
}

// The pipeline run: its state, counts and times, then each job in topological order with the runs it had in it.
var pipelineRun = await orderLib.Pipelines.GetAsync(pipelineRunId);
var summary = pipelineRun.Summary;
Console.WriteLine();
Console.WriteLine(
    $"pipeline run {summary.Id} ({summary.TriggerKind}, label '{summary.Label}', input {pipelineRun.Input?.Json ?? "none"}): {summary.State}; " +
    $"runs: {summary.Counts.Succeeded} succeeded, {summary.Counts.Failed} failed, {summary.Counts.Cancelled} cancelled; " +
    $"created {Time(summary.CreatedAt)}, finished {Time(summary.FinishedAt)}");
Console.WriteLine($"{"job",-18} {"status",-10} {"attempts",8}  {"started (UTC)",-23}  {"finished (UTC)",-23}  worker");
foreach (var job in pipelineRun.Jobs)
{
    var latest = job.Runs.Count > 0 ? job.Runs[^1] : null;
    var joined = job.Joined ? " (joined)" : "";
    Console.WriteLine(
        $"{job.Job.Name,-18} {latest?.Status.ToString() ?? "-",-10} {job.Runs.Count,8}  {Time(latest?.StartedAt),-23}  {Time(latest?.FinishedAt),-23}  {latest?.WorkerId?.Value ?? "-"}{joined}");
}

// Its picture: a Mermaid flowchart, each job coloured by its status in this pipeline run.
var diagram = Path.Combine(settings.OutputDirectory, "pipeline.mmd");
Directory.CreateDirectory(settings.OutputDirectory);
await File.WriteAllTextAsync(diagram, (await orderLib.Pipelines.GetGraphAsync(pipelineRunId)).ToMermaid());
Console.WriteLine();
Console.WriteLine($"Mermaid diagram of the pipeline run: {diagram}");

var succeeded = summary.State == PipelineRunState.Succeeded;
Console.WriteLine(succeeded ? $"Pipeline succeeded; output in {settings.OutputDirectory}" : $"Pipeline {summary.State}: see the runs above.");
if (serveDashboard)
{
    await DashboardServer.RunAsync(host.Services.GetRequiredService<IConfiguration>());
}

return succeeded ? 0 : 1;

// The worker's handler for one job: the run's DI scope gives the PipelineHandlers, whose work method (chosen with the
// run's context at hand) it runs.
static Func<JobExecutionContext, CancellationToken, Task> Step(Func<PipelineHandlers, JobExecutionContext, Func<CancellationToken, Task<string>>> work) =>
    (context, cancellationToken) =>
    {
        var handlers = context.Services.GetRequiredService<PipelineHandlers>();
        return handlers.RunAsync(context, work(handlers, context), cancellationToken);
    };

static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "-";
