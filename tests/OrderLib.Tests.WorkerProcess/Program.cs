// A worker process for the multi-process tests: one OrderLib worker in a generic host, configured entirely from the
// command line or the environment (the usual generic-host keys), for example:
//
//   dotnet OrderLib.Tests.WorkerProcess.dll --OrderLib:Provider=Postgres "--ConnectionStrings:OrderLib=Host=...;Database=..."
//       --OrderLib:LeaseDuration=00:00:03 --OrderLib:RetryBaseDelay=00:00:00.2 --Worker:WorkerId=w1 --Worker:Concurrency=4
//       --Worker:RescueInterval=00:00:00.5 --Handler:SlowMarker=slow --Handler:SlowMilliseconds=800 --StopOnStdinClose=true
//
// Sections: OrderLib (AddOrderLib(configuration, providers => providers.AddSqlite().AddPostgres()): provider, connection string, lease, retry delays), Worker (binds
// OrderLibWorkerOptions: WorkerId, Concurrency, BatchSize, IdlePollIntervalMin/Max, HeartbeatInterval, RescueInterval,
// ShutdownTimeout) and Handler (HandlerSettings). Every job is handled by one HandleAny handler that keeps nothing in
// memory: with CheckUpstream=true it first checks in the database that the latest run of every job its job depends on
// Succeeded (and fails the run otherwise), then it sleeps MinMilliseconds..MaxMilliseconds, or SlowMilliseconds for jobs
// whose name contains SlowMarker, so a kill finds runs in flight. With StopOnStdinClose=true the process stops gracefully when its standard input closes,
// which lets a test stop it portably, and makes it stop by itself if the test process dies.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderLib;
using OrderLib.Tests.WorkerProcess;

try
{
    await RunAsync(args);
    return 0;
}
catch (Exception exception) when (exception is OrderLibConfigurationException or OptionsValidationException)
{
    await Console.Error.WriteLineAsync("worker process: " + exception.Message);
    return 2;
}

static async Task RunAsync(string[] args)
{
    var builder = Host.CreateApplicationBuilder(args);
    var handler = builder.Configuration.GetSection("Handler").Get<HandlerSettings>() ?? new HandlerSettings();
    handler.Validate();

    builder.Services.AddOrderLib(builder.Configuration, providers => providers.AddSqlite().AddPostgres()).AddWorker(options =>
    {
        builder.Configuration.GetSection("Worker").Bind(options);
        options.HandleAny(async (context, cancellationToken) =>
        {
            if (handler.CheckUpstream)
            {
                await UpstreamCheck.EnsureUpstreamSucceededAsync(context, cancellationToken);
            }

            await Task.Delay(handler.DurationFor(context.JobName), cancellationToken);
        });
    });

    if (builder.Configuration.GetValue<bool>("StopOnStdinClose"))
    {
        builder.Services.AddHostedService<StopWhenStandardInputCloses>();
    }

    using var host = builder.Build();
    await host.RunAsync();
}
