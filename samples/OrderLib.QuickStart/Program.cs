using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderLib;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddOrderLib(o => o
    .UseSqlite("Data Source=quickstart.db")
    .Configure(options => options.ApplyMigrationsAtStartup = true));

using var host = builder.Build();
await host.StartAsync(); // creates or upgrades the schema in quickstart.db

var orderLib = host.Services.GetRequiredService<IOrderLib>();

// Define two jobs (or reuse them from an earlier run) and make "load" depend on "extract".
var extract = await orderLib.Jobs.FindByNameAsync("extract") ?? await orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
var load = await orderLib.Jobs.FindByNameAsync("load") ?? await orderLib.Jobs.CreateAsync(new JobDefinition("load"));
if ((await orderLib.Dependencies.ListUpstreamAsync(load.Id)).Count == 0)
{
    await orderLib.Dependencies.AddAsync(load.Id, extract.Id);
}

// Enqueue a run of each; a worker (AddWorker) would claim "load" once "extract" has succeeded.
foreach (var job in new[] { extract, load })
{
    var enqueued = await orderLib.Runs.EnqueueAsync(job.Id);
    Console.WriteLine($"{job.Name}: run {enqueued.Run.Id} is {enqueued.Run.Status}");
}

await host.StopAsync();
