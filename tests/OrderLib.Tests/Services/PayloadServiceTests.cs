using Microsoft.Extensions.DependencyInjection;
using OrderLib.Ports;

namespace OrderLib.Tests.Services;

/// <summary>Run inputs and outputs through the public services over the in-memory adapter: refusals, reports, reads.</summary>
public sealed class PayloadServiceTests
{
    private ServiceProvider _provider = null!;
    private IOrderLib _orderLib = null!;

    private WorkerRunService Workers => _provider.GetRequiredService<WorkerRunService>();

    [SetUp]
    public void SetUp()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(o => o.UseInMemory());
        _provider = services.BuildServiceProvider();
        _orderLib = _provider.GetRequiredService<IOrderLib>();
    }

    [TearDown]
    public void TearDown() => _provider.Dispose();

    [Test]
    public async Task An_input_one_byte_over_64_KiB_or_not_JSON_is_refused_with_a_typed_error_before_any_run_exists()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("refuses"));

        var tooLarge = Assert.ThrowsAsync<RunPayloadTooLargeException>(async () =>
            await _orderLib.Runs.EnqueueAsync(job.Id, RunPayload.Parse("\"" + new string('x', RunPayload.MaxBytes - 1) + "\"", "input")));
        var notJson = Assert.ThrowsAsync<OrderLibValidationException>(async () =>
            await _orderLib.Runs.EnqueueAsync(job.Id, RunPayload.Parse("{\"trailing\": 1,}", "input")));
        var loneSurrogate = Assert.ThrowsAsync<OrderLibValidationException>(async () =>
            await _orderLib.Runs.EnqueueAsync(job.Id, RunPayload.Parse("\"\uD800\"", "input")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((tooLarge?.ParamName, tooLarge?.SizeBytes, tooLarge?.LimitBytes), Is.EqualTo(("input", RunPayload.MaxBytes + 1, RunPayload.MaxBytes)));
            Assert.That(notJson?.ParamName, Is.EqualTo("input"));
            Assert.That(notJson?.Message, Does.StartWith("The input is not valid JSON"));
            Assert.That(loneSurrogate?.ParamName, Is.EqualTo("input"));
            Assert.That((await _orderLib.Runs.ListForJobAsync(job.Id)).Items, Is.Empty, "no run was created");
        }
    }

    [Test]
    public async Task A_worker_report_and_an_operator_override_record_the_success_output()
    {
        var reported = await _orderLib.Jobs.CreateAsync(new JobDefinition("reported"));
        var overridden = await _orderLib.Jobs.CreateAsync(new JobDefinition("overridden"));
        await _orderLib.Runs.EnqueueAsync(reported.Id);
        var overriddenRun = (await _orderLib.Runs.EnqueueAsync(overridden.Id)).Run;
        var claimed = (await Workers.ClaimAsync(new WorkerId("w1"), 10)).ToDictionary(c => c.Run.JobId, c => c.Run.Id);

        await Workers.ReportSucceededAsync(claimed[reported.Id], new WorkerId("w1"), RunPayload.From(new { by = "worker" }));
        await _orderLib.Runs.MarkSucceededAsync(overriddenRun.Id, RunPayload.From(new { by = "operator" }));
        var lateReport = Assert.ThrowsAsync<LeaseLostException>(() => Workers.ReportSucceededAsync(overriddenRun.Id, new WorkerId("w1"), RunPayload.From(new { by = "late worker" })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lateReport, Is.Not.Null);
            Assert.That((await _orderLib.Runs.GetPayloadsAsync(claimed[reported.Id])).Output, Is.EqualTo(RunPayload.Parse("""{"by":"worker"}""")));
            Assert.That((await _orderLib.Runs.GetPayloadsAsync(overriddenRun.Id)).Output, Is.EqualTo(RunPayload.Parse("""{"by":"operator"}""")), "the late report wrote nothing");
        }
    }

    [Test]
    public async Task A_batch_with_an_output_on_a_failure_is_refused_whole()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("batched"));
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        await Workers.ClaimAsync(new WorkerId("w1"), 10);

        var refused = Assert.ThrowsAsync<ArgumentException>(() => Workers.ReportOutcomesAsync([new RunOutcome(run.Id, new WorkerId("w1"), RunStatus.Failed, "boom", RunPayload.Parse("1"))]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused?.Message, Does.Contain("only a success records an output"));
            Assert.That((await _orderLib.Runs.GetAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running));
        }
    }

    [Test]
    public void Payloads_of_an_unknown_run_and_upstream_outputs_of_an_unknown_job_are_not_found()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.ThrowsAsync<RunNotFoundException>(() => _orderLib.Runs.GetPayloadsAsync(new RunId(404)));
            Assert.ThrowsAsync<JobNotFoundException>(() => _orderLib.Runs.GetUpstreamOutputsAsync(new JobId(404)));
        }
    }
}
