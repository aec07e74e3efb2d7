using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Ports;

namespace OrderLib.Tests.Hosting;

/// <summary>Run inputs and outputs through the hosted worker: what a handler reads, what it records, what its dependents see.</summary>
public sealed class PayloadTests
{
    [Test]
    public async Task A_handler_reads_its_input_and_records_an_output_that_the_downstream_handler_reads()
    {
        var seenByLoad = new ConcurrentBag<IReadOnlyList<UpstreamOutput>>();
        await using var harness = WorkerHarness.Create(worker =>
        {
            worker.Handle("extract", (context, _) =>
            {
                var request = context.GetInput<ExtractRequest>()!;
                context.SetOutput(new ExtractResult(request.Day, request.Regions.Length * 10));
                return Task.CompletedTask;
            });
            worker.Handle("load", async (context, cancellationToken) => seenByLoad.Add(await context.GetUpstreamOutputsAsync(cancellationToken)));
        });
        var extract = await harness.CreateJobAsync("extract");
        var load = await harness.CreateJobAsync("load");
        await harness.OrderLib.Dependencies.AddAsync(load.Id, extract.Id);
        var input = RunPayload.From(new ExtractRequest("2026-01-01", ["eu", "us"]));
        var extractRun = (await harness.OrderLib.Runs.EnqueueAsync(extract.Id, input)).Run;
        var loadRun = await harness.EnqueueAsync(load);

        await harness.StartAsync();
        await harness.AllSucceededAsync([extract, load]);

        var expectedOutput = RunPayload.Parse("""{"day":"2026-01-01","rows":20}""");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await harness.OrderLib.Runs.GetPayloadsAsync(extractRun.Id), Is.EqualTo(new RunPayloads(input, expectedOutput)), "the input as enqueued, the output as the handler set it");
            Assert.That(seenByLoad.Single(), Is.EqualTo(new[] { new UpstreamOutput(extract.Id, "extract", extractRun.Id, expectedOutput) }), "the downstream handler reads it");
            Assert.That(await harness.OrderLib.Runs.GetPayloadsAsync(loadRun.Id), Is.EqualTo(new RunPayloads(null, null)), "no input, no output");
        }
    }

    [Test]
    public async Task An_output_over_64_KiB_fails_the_run_with_the_typed_errors_message_and_records_nothing()
    {
        await using var harness = WorkerHarness.Create(worker => worker.Handle("too-big", (context, _) =>
        {
            context.SetOutput(new string('x', RunPayload.MaxBytes));
            return Task.CompletedTask;
        }));
        var job = await harness.CreateJobAsync("too-big");
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await harness.Eventually(async () => await harness.LatestStatusAsync(job) == RunStatus.Failed, "the run to fail");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await harness.OrderLib.Runs.GetAsync(run.Id)).Error, Is.EqualTo("RunPayloadTooLargeException: The payload is 65,538 bytes of UTF-8; the limit is 65,536 bytes (64 KiB)."));
            Assert.That(await harness.OrderLib.Runs.GetPayloadsAsync(run.Id), Is.EqualTo(new RunPayloads(null, null)));
        }
    }

    [Test]
    public async Task A_handler_that_throws_after_setting_an_output_records_none()
    {
        await using var harness = WorkerHarness.Create(worker => worker.Handle("half-done", (context, _) =>
        {
            context.SetOutput(new { partial = true });
            throw new InvalidOperationException("failed after the output");
        }));
        var job = await harness.CreateJobAsync("half-done");
        var run = await harness.EnqueueAsync(job);

        await harness.StartAsync();
        await harness.Eventually(async () => await harness.LatestStatusAsync(job) == RunStatus.Failed, "the run to fail");

        Assert.That(await harness.OrderLib.Runs.GetPayloadsAsync(run.Id), Is.EqualTo(new RunPayloads(null, null)));
    }

    [Test]
    public async Task A_context_built_by_a_host_app_gives_the_input_and_reads_upstream_outputs_from_its_services()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseInMemory());
        await using var provider = services.BuildServiceProvider();
        var orderLib = provider.GetRequiredService<IOrderLib>();
        var upstream = await orderLib.Jobs.CreateAsync(new JobDefinition("upstream"));
        var job = await orderLib.Jobs.CreateAsync(new JobDefinition("under-test"));
        await orderLib.Dependencies.AddAsync(job.Id, upstream.Id);
        var input = RunPayload.Parse("""{"day":"2026-01-02","regions":[]}""");
        var claimed = new ClaimedRun(JobRun.CreatePending(new RunId(1), job.Id, 1, DateTimeOffset.UnixEpoch), ClientId.Default, job.Name, 1, input);

        var context = new JobExecutionContext(claimed, new WorkerId("unit-test"), provider);
        context.SetOutput(RunPayload.Parse("true"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(context.Input, Is.EqualTo(input));
            Assert.That(context.GetInput<ExtractRequest>(), Is.EqualTo(new ExtractRequest("2026-01-02", [])).Using<ExtractRequest>((a, b) => a.Day == b.Day && a.Regions.SequenceEqual(b.Regions)));
            Assert.That(context.Output, Is.EqualTo(RunPayload.Parse("true")));
            Assert.That(await context.GetUpstreamOutputsAsync(), Is.EqualTo(new[] { new UpstreamOutput(upstream.Id, "upstream", null, null) }));
        }
    }

    /// <summary>An extract handler's input.</summary>
    public sealed record ExtractRequest(string Day, string[] Regions);

    /// <summary>An extract handler's output.</summary>
    public sealed record ExtractResult(string Day, int Rows);
}
