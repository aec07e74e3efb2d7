// A host app using OrderLib. Configuration picks the store (appsettings.json: the SQLite file orderlib-sample.db),
// starting the host applies the schema migrations, then the app defines a small pipeline, triggers it and works
// through it as one worker (claim, work, report), honouring the dependencies.
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

var Worker = new WorkerId("sample-worker");

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

IHost host;
try
{
    // Configuration picks one of the registered stores; a missing setting or an unregistered provider throws here,
    // naming the key to fix.
    builder.Services.AddOrderLib(builder.Configuration, providers => providers.AddSqlite().AddPostgres());
    host = builder.Build();
    await host.StartAsync(); // validates the options (naming a wrong key) and applies pending migrations: OrderLib:ApplyMigrationsAtStartup is true in appsettings.json
}
catch (Exception error) when (error is OrderLibException or OptionsValidationException)
{
    await Console.Error.WriteLineAsync($"OrderLib could not start: {error.Message}");
    return 1;
}

using var disposeAtExit = host;
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
var orderLib = host.Services.GetRequiredService<IOrderLib>();
var outputDirectory = builder.Configuration["Sample:OutputDirectory"] ?? Path.Combine(Path.GetTempPath(), "orderlib-sample");
var failJob = builder.Configuration["Sample:FailJob"];
var steps = new PipelineHandlers(outputDirectory, host.Services.GetRequiredService<TimeProvider>()).Steps;

// 1. Define the pipeline: create each job or reuse it by name, and add the dependencies it lacks.
var jobs = new Dictionary<string, Job>();
var stepOf = new Dictionary<JobId, PipelineStep>();
foreach (var step in steps)
{
    var existing = await orderLib.Jobs.FindByNameAsync(step.Name, stopping);
    var job = existing ?? await orderLib.Jobs.CreateAsync(new JobDefinition(step.Name) { Description = step.Description }, stopping);
    var upstream = (await orderLib.Dependencies.ListUpstreamAsync(job.Id, stopping)).Select(j => j.Name).ToHashSet();
    foreach (var dependsOn in step.DependsOn.Where(name => !upstream.Contains(name)))
    {
        await orderLib.Dependencies.AddAsync(job.Id, jobs[dependsOn].Id, stopping);
    }

    jobs[step.Name] = job;
    stepOf[job.Id] = step;
    var after = step.DependsOn.Length == 0 ? "" : $", depends on {string.Join(" and ", step.DependsOn)}";
    Console.WriteLine($"job       {step.Name,-18} id {job.Id} ({(existing is null ? "created" : "reused")}{after})");
}

// 2. Runs left Running by an earlier sample process that was killed are rescued once their lease expires
//    ("worker lost"); then trigger the pipeline from each extract job: one transaction enqueues it and every job
//    downstream. Enqueueing is idempotent: a job's active run is returned instead of a second one.
var workers = host.Services.GetRequiredService<WorkerRunService>();
await workers.RescueExpiredAsync(cancellationToken: stopping);
var runs = new Dictionary<string, JobRun>();
foreach (var root in steps.Where(step => step.DependsOn.Length == 0))
{
    foreach (var (run, created) in await orderLib.Runs.TriggerAsync(jobs[root.Name].Id, stopping))
    {
        var name = stepOf[run.JobId].Name;
        if (runs.TryAdd(name, run))
        {
            Console.WriteLine($"enqueued  {name,-18} run {run.Id} ({(created ? "new" : $"already {run.Status}")})");
        }
    }
}

// 3. Starting a run before its dependencies succeeded is refused, and nothing changes.
try
{
    await orderLib.Runs.StartAsync(runs["transform"].Id, Worker, stopping);
    Console.WriteLine("unexpected: transform started before its dependencies succeeded");
    return 2;
}
catch (DependenciesNotSatisfiedException refused)
{
    Console.WriteLine($"refused   {refused.Message}");
}

// 4. Work as one worker of this client: claim the ready runs (highest priority first), do each job's work, report
//    the outcome. A failure with no attempts left cancels everything downstream, so nothing waits forever.
var failed = 0;
var clients = Clients.Only(orderLib.ClientId);
while (await AnyActiveAsync())
{
    var claimed = await workers.ClaimAsync(Worker, 10, clients, stopping);
    if (claimed.Count == 0)
    {
        // Only runs held by another (perhaps killed) process remain: wait for them, or for their lease to expire.
        await workers.RescueExpiredAsync(cancellationToken: stopping);
        await Task.Delay(TimeSpan.FromMilliseconds(500), stopping);
        continue;
    }

    foreach (var (run, _, jobName, _) in claimed)
    {
        var step = stepOf[run.JobId];
        Console.WriteLine($"started   {jobName,-18} run {run.Id}, attempt {run.Attempt}, as {run.WorkerId}");
        try
        {
            if (jobName == failJob)
            {
                throw new InvalidOperationException($"{jobName} failed on purpose (Sample:FailJob={failJob}).");
            }

            var did = await step.Work(stopping);
            await workers.ReportSucceededAsync(run.Id, Worker, stopping);
            Console.WriteLine($"succeeded {jobName,-18} {did}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            var completion = await workers.ReportFailedAsync(run.Id, Worker, error.Message, stopping);
            Console.WriteLine($"FAILED    {jobName,-18} {error.Message} (cancelled downstream: {completion.CancelledDownstream.Count} run(s))");
            failed++;
        }
    }
}

// 6. The history: every job with its latest run.
Console.WriteLine();
Console.WriteLine($"{"job",-18} {"status",-10} {"attempt",7}  {"started (UTC)",-23}  {"finished (UTC)",-23}  worker");
PageCursor? nextPage = null;
do
{
    var page = await orderLib.Runs.ListLatestAsync(nextPage, cancellationToken: stopping);
    foreach (var (job, latest) in page.Items)
    {
        Console.WriteLine(
            $"{job.Name,-18} {latest?.Status.ToString() ?? "never ran",-10} {latest?.Attempt,7}  {Time(latest?.StartedAt),-23}  {Time(latest?.FinishedAt),-23}  {latest?.WorkerId?.Value ?? "-"}");
    }

    nextPage = page.Next;
}
while (nextPage is not null);

Console.WriteLine();
Console.WriteLine(failed == 0 ? $"Pipeline succeeded; output in {outputDirectory}" : $"Pipeline failed: {failed} run(s) failed.");
await host.StopAsync();
return failed == 0 ? 0 : 1;

async Task<bool> AnyActiveAsync()
{
    var latest = await orderLib.Runs.ListLatestAsync(limit: 1000, cancellationToken: stopping);
    return latest.Items.Any(row => stepOf.ContainsKey(row.Job.Id) && row.LatestRun?.Status is RunStatus.Pending or RunStatus.Running);
}

static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "-";
