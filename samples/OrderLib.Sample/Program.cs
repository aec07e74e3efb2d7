// A host app using OrderLib. Configuration picks the store (appsettings.json: the SQLite file orderlib-sample.db),
// starting the host applies the schema migrations, then the app defines a small pipeline and works through it as
// one worker, step by step, honouring the dependencies.
//
//   dotnet run --project samples/OrderLib.Sample
//   DATABASE_URL=postgresql://user:pass@localhost:5432/app dotnet run --project samples/OrderLib.Sample
//   dotnet run --project samples/OrderLib.Sample -- --Sample:FailJob=report     (see a failure: exit code 1)
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderLib;
using OrderLib.Domain;
using OrderLib.Sample;

const string Worker = "sample-worker";

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
    builder.Services.AddOrderLib(builder.Configuration); // a missing or wrong setting throws, naming the key to fix
    host = builder.Build();
    await host.StartAsync(); // applies pending migrations: OrderLib:ApplyMigrationsAtStartup is true in appsettings.json
}
catch (OrderLibException error)
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

// 2. Ask for a run of every job. Enqueueing is idempotent: a job's active run is returned instead of a second one.
var runs = new Dictionary<string, JobRun>();
foreach (var (name, job) in jobs)
{
    var (run, created) = await orderLib.Runs.EnqueueAsync(job.Id, stopping);
    if (run.Status == RunStatus.Running)
    {
        // Held by an earlier sample process that was stopped mid-run: give up that run and ask for a fresh one.
        await orderLib.Runs.CancelAsync(run.Id, "abandoned by an earlier sample process", stopping);
        Console.WriteLine($"cancelled {name,-18} run {run.Id}: left running by an earlier sample process");
        (run, created) = await orderLib.Runs.EnqueueAsync(job.Id, stopping);
    }

    runs[name] = run;
    Console.WriteLine($"enqueued  {name,-18} run {run.Id} ({(created ? "new" : "already pending")})");
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

// 4. Work: start every ready run, do its job's work, record the outcome; repeat until nothing is ready.
var failed = 0;
while ((await orderLib.Runs.ListReadyAsync(cancellationToken: stopping)).Where(r => stepOf.ContainsKey(r.JobId)).ToList() is { Count: > 0 } ready)
{
    foreach (var run in ready)
    {
        var step = stepOf[run.JobId];
        var started = await orderLib.Runs.StartAsync(run.Id, Worker, stopping);
        Console.WriteLine($"started   {step.Name,-18} run {run.Id}, attempt {started.Attempt}, as {started.WorkerId}");
        try
        {
            if (step.Name == failJob)
            {
                throw new InvalidOperationException($"{step.Name} failed on purpose (Sample:FailJob={failJob}).");
            }

            var did = await step.Work(stopping);
            await orderLib.Runs.SucceedAsync(run.Id, stopping);
            Console.WriteLine($"succeeded {step.Name,-18} {did}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            await orderLib.Runs.FailAsync(run.Id, error.Message, stopping);
            Console.WriteLine($"FAILED    {step.Name,-18} {error.Message}");
            failed++;
        }
    }
}

// 5. Runs still pending now wait for a job that failed: cancel them, so the next start begins afresh.
foreach (var (name, run) in runs)
{
    if ((await orderLib.Runs.GetAsync(run.Id, stopping)).Status == RunStatus.Pending)
    {
        await orderLib.Runs.CancelAsync(run.Id, "not run: a job it depends on did not succeed", stopping);
        Console.WriteLine($"cancelled {name,-18} run {run.Id}: a job it depends on did not succeed");
    }
}

// 6. The history: every job with its latest run.
Console.WriteLine();
Console.WriteLine($"{"job",-18} {"status",-10} {"attempt",7}  {"started (UTC)",-23}  {"finished (UTC)",-23}  worker");
long? nextAfter = null;
do
{
    var page = await orderLib.Runs.ListLatestAsync(nextAfter, cancellationToken: stopping);
    foreach (var (job, latest) in page.Items)
    {
        Console.WriteLine(
            $"{job.Name,-18} {latest?.Status.ToString() ?? "never ran",-10} {latest?.Attempt,7}  {Time(latest?.StartedAt),-23}  {Time(latest?.FinishedAt),-23}  {latest?.WorkerId ?? "-"}");
    }

    nextAfter = page.NextAfter;
}
while (nextAfter is not null);

Console.WriteLine();
Console.WriteLine(failed == 0 ? $"Pipeline succeeded; output in {outputDirectory}" : $"Pipeline failed: {failed} run(s) failed.");
await host.StopAsync();
return failed == 0 ? 0 : 1;

static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "-";
