// A host app using OrderLib. Configuration picks the store (appsettings.json: the SQLite file orderlib-sample.db),
// starting the host applies the schema migrations, then the app's PipelineRunner defines a small pipeline and
// triggers it, and the hosted OrderLib worker executes it with one handler per job, honouring the dependencies.
// The runner stops the host once every triggered run has ended; the app prints the history and exits.
//
//   dotnet run --project samples/OrderLib.Sample
//   DATABASE_URL=postgresql://user:pass@localhost:5432/app dotnet run --project samples/OrderLib.Sample
//   dotnet run --project samples/OrderLib.Sample -- --Sample:FailJob=report     (see a failure: exit code 1)
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Sample;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
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
            worker.Handle("extract-orders", Step(handlers => handlers.ExtractOrdersAsync))
                .Handle("extract-customers", Step(handlers => handlers.ExtractCustomersAsync))
                .Handle("transform", Step(handlers => handlers.TransformAsync))
                .Handle("report", Step(handlers => handlers.ReportAsync))
                .Handle("email", Step(handlers => handlers.EmailAsync));
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
await host.WaitForShutdownAsync(); // the PipelineRunner stops the host once every triggered run has ended
var orderLib = host.Services.GetRequiredService<IOrderLib>();
var pipeline = PipelineHandlers.Steps.Select(step => step.Name).ToHashSet();

// The history: every job with its latest run.
Console.WriteLine();
Console.WriteLine($"{"job",-18} {"status",-10} {"attempt",7}  {"started (UTC)",-23}  {"finished (UTC)",-23}  worker");
var failed = 0;
PageCursor? nextPage = null;
do
{
    var page = await orderLib.Runs.ListLatestAsync(nextPage);
    foreach (var (job, latest) in page.Items)
    {
        if (pipeline.Contains(job.Name) && latest?.Status is not RunStatus.Succeeded)
        {
            failed++;
        }

        Console.WriteLine(
            $"{job.Name,-18} {latest?.Status.ToString() ?? "never ran",-10} {latest?.Attempt,7}  {Time(latest?.StartedAt),-23}  {Time(latest?.FinishedAt),-23}  {latest?.WorkerId?.Value ?? "-"}");
    }

    nextPage = page.Next;
}
while (nextPage is not null);

Console.WriteLine();
Console.WriteLine(failed == 0 ? $"Pipeline succeeded; output in {settings.OutputDirectory}" : $"Pipeline failed: {failed} job(s) did not succeed.");
return failed == 0 ? 0 : 1;

// The worker's handler for one job: the run's DI scope gives the PipelineHandlers, whose work method it runs.
static Func<JobExecutionContext, CancellationToken, Task> Step(Func<PipelineHandlers, Func<CancellationToken, Task<string>>> work) =>
    (context, cancellationToken) =>
    {
        var handlers = context.Services.GetRequiredService<PipelineHandlers>();
        return handlers.RunAsync(context, work(handlers), cancellationToken);
    };

static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "-";
