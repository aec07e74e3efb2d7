using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Services;

/// <summary>
/// <see cref="RunService.RetryAsync"/> through the public services, on every adapter: a Failed or Cancelled run gets a
/// new run of its job with the same input; any other run, or a job that already has an active run, is refused with a
/// <see cref="RunNotRetryableException"/> naming the run (and the active one) and nothing is written; another client's
/// run is not found. One fixture per store; each test runs as a fresh client.
/// </summary>
[TestFixture(StoreKind.InMemory)]
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class RunRetryTests(StoreKind storeKind)
{
    private static readonly WorkerId Worker = new("w1");
    private readonly FixtureStore _store = new(storeKind);
    private ServiceProvider? _services;
    private IOrderLib? _orderLib;

    private IOrderLib OrderLib => _orderLib ?? throw new InvalidOperationException("No services yet.");

    [OneTimeSetUp]
    public Task CreateStore() => _store.CreateAsync("retry");

    [OneTimeTearDown]
    public Task DropStore() => _store.DropAsync();

    [SetUp]
    public void CreateServices()
    {
        var services = new ServiceCollection();
        services.AddOrderLib(_store.Use);
        _services = services.BuildServiceProvider();
        _orderLib = _services.GetRequiredService<IOrderLib>().ForClient(new ClientId("retry-" + Guid.NewGuid().ToString("N")));
    }

    [TearDown]
    public async Task DisposeServices()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Test]
    public async Task A_failed_run_is_retried_as_a_new_pending_run_of_its_job_with_the_same_input()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("flaky"));
        var input = RunPayload.Parse("""{ "day": "2026-12-07" }""");
        var failed = await FailedRunAsync(job, input);

        var retry = await OrderLib.Runs.RetryAsync(failed.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(retry.Id, Is.Not.EqualTo(failed.Id));
            Assert.That((retry.JobId, retry.Status, retry.Attempt), Is.EqualTo((job.Id, RunStatus.Pending, 1)));
            Assert.That((await OrderLib.Runs.GetPayloadsAsync(retry.Id)).Input, Is.EqualTo(input), "the same input, text unchanged");
            Assert.That((await OrderLib.Runs.GetAsync(failed.Id)).Status, Is.EqualTo(RunStatus.Failed), "the failed run stays as it was");
        }
    }

    [Test]
    public async Task A_cancelled_run_without_input_is_retried_without_input()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("stopped"));
        var cancelled = await OrderLib.Runs.CancelAsync((await OrderLib.Runs.EnqueueAsync(job.Id)).Run.Id, "not today");

        var retry = await OrderLib.Runs.RetryAsync(cancelled.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((retry.JobId, retry.Status), Is.EqualTo((job.Id, RunStatus.Pending)));
            Assert.That((await OrderLib.Runs.GetPayloadsAsync(retry.Id)).Input, Is.Null);
        }
    }

    [Test]
    public async Task A_run_that_is_not_failed_or_cancelled_is_refused_naming_it_and_its_status_and_nothing_is_enqueued()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("fine"));
        var succeeded = (await OrderLib.Runs.EnqueueAsync(job.Id)).Run;
        await OrderLib.Runs.StartAsync(succeeded.Id, Worker);
        await OrderLib.Runs.MarkSucceededAsync(succeeded.Id);
        var other = await OrderLib.Jobs.CreateAsync(new JobDefinition("busy"));
        var running = await OrderLib.Runs.StartAsync((await OrderLib.Runs.EnqueueAsync(other.Id)).Run.Id, Worker);

        var refusedSuccess = Assert.ThrowsAsync<RunNotRetryableException>(() => OrderLib.Runs.RetryAsync(succeeded.Id));
        var refusedRunning = Assert.ThrowsAsync<RunNotRetryableException>(() => OrderLib.Runs.RetryAsync(running.Id));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusedSuccess?.Message, Is.EqualTo($"Run {succeeded.Id} cannot be retried: it is Succeeded; only a Failed or Cancelled run can be retried."));
            Assert.That((refusedSuccess?.RunId, refusedSuccess?.Status, refusedSuccess?.ActiveRunId), Is.EqualTo((succeeded.Id, RunStatus.Succeeded, (RunId?)null)));
            Assert.That(refusedRunning?.Status, Is.EqualTo(RunStatus.Running));
            Assert.That((await OrderLib.Runs.ListForJobAsync(job.Id)).Items.Select(run => run.Id), Is.EqualTo(new[] { succeeded.Id }), "no new run");
            Assert.That((await OrderLib.Runs.ListForJobAsync(other.Id)).Items.Select(run => run.Id), Is.EqualTo(new[] { running.Id }), "no new run");
        }
    }

    [Test]
    public async Task A_failed_run_whose_job_has_an_active_run_is_refused_naming_that_run_and_nothing_is_written()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("again"));
        var failed = await FailedRunAsync(job, RunPayload.Parse("1"));
        var pending = (await OrderLib.Runs.EnqueueAsync(job.Id, RunPayload.Parse("2"))).Run;

        var refused = Assert.ThrowsAsync<RunNotRetryableException>(() => OrderLib.Runs.RetryAsync(failed.Id));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused?.Message, Is.EqualTo($"Run {failed.Id} cannot be retried: its job already has run {pending.Id}, which is Pending."));
            Assert.That(refused?.ActiveRunId, Is.EqualTo(pending.Id));
            Assert.That((await OrderLib.Runs.ListForJobAsync(job.Id)).Items.Select(run => run.Id), Is.EqualTo(new[] { pending.Id, failed.Id }));
            Assert.That((await OrderLib.Runs.GetPayloadsAsync(pending.Id)).Input, Is.EqualTo(RunPayload.Parse("2")), "the active run's input is kept");
        }
    }

    [Test]
    public async Task Another_clients_run_or_an_unknown_id_is_not_found_and_nothing_is_enqueued()
    {
        var job = await OrderLib.Jobs.CreateAsync(new JobDefinition("mine"));
        var failed = await FailedRunAsync(job, null);
        var stranger = OrderLib.ForClient(new ClientId("stranger-" + Guid.NewGuid().ToString("N")));

        var foreign = Assert.ThrowsAsync<RunNotFoundException>(() => stranger.Runs.RetryAsync(failed.Id));
        var unknown = Assert.ThrowsAsync<RunNotFoundException>(() => OrderLib.Runs.RetryAsync(new RunId(9_000_000_000_000_000_001)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(foreign?.RunId, Is.EqualTo(failed.Id));
            Assert.That(unknown, Is.Not.Null);
            Assert.That((await OrderLib.Runs.ListForJobAsync(job.Id)).Items, Has.Count.EqualTo(1));
        }
    }

    private async Task<JobRun> FailedRunAsync(Job job, RunPayload? input)
    {
        var run = (await OrderLib.Runs.EnqueueAsync(job.Id, input)).Run;
        await OrderLib.Runs.StartAsync(run.Id, Worker);
        await OrderLib.Runs.MarkFailedAsync(run.Id, "boom");
        return await OrderLib.Runs.GetAsync(run.Id);
    }
}
