using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrderLib.Ports;

namespace OrderLib.Tests.Services;

/// <summary>The public services over the in-memory adapter: what they add on top of the stores.</summary>
public class ServiceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private FakeTimeProvider _time = null!;
    private ServiceProvider _provider = null!;
    private IOrderLib _orderLib = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(T0);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddOrderLib(o => o.UseInMemory().Configure(options =>
        {
            options.LeaseDuration = TimeSpan.FromMinutes(2);
            options.RetryBaseDelay = TimeSpan.FromSeconds(10);
            options.RetryJitter = 0;
        }));
        _provider = services.BuildServiceProvider();
        _orderLib = _provider.GetRequiredService<IOrderLib>();
    }

    [TearDown]
    public void TearDown() => _provider.Dispose();

    [Test]
    public async Task Times_come_from_the_injected_time_provider_truncated_to_microseconds()
    {
        _time.Advance(TimeSpan.FromTicks(12_345_678)); // 1.2345678 s: the last tick is below a microsecond
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        Assert.That(job.CreatedAt, Is.EqualTo(T0 + TimeSpan.FromTicks(12_345_670)));
    }

    [Test]
    public async Task Start_holds_the_run_for_the_configured_lease_duration()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        _time.Advance(TimeSpan.FromSeconds(10));
        var started = await _orderLib.Runs.StartAsync(run.Id, new WorkerId(" worker-1 "));
        Assert.Multiple(() =>
        {
            Assert.That(started.WorkerId, Is.EqualTo(new WorkerId("worker-1")));
            Assert.That(started.StartedAt, Is.EqualTo(T0.AddSeconds(10)));
            Assert.That(started.LeaseExpiresAt, Is.EqualTo(T0.AddSeconds(10).AddMinutes(2)));
        });
    }

    [TestCase("")]
    [TestCase("   ")]
    public async Task Blank_worker_id_is_refused_and_the_run_stays_pending(string workerId)
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.Runs.StartAsync(run.Id, new WorkerId(workerId)));
        Assert.That((await _orderLib.Runs.GetAsync(run.Id)).Status, Is.EqualTo(RunStatus.Pending));
    }

    [Test]
    public async Task Pause_and_explain_read_the_time_from_the_injected_time_provider()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        _time.Advance(TimeSpan.FromSeconds(10));

        var paused = await _orderLib.Jobs.PauseAsync(job.Id);
        var explanation = await _orderLib.Runs.ExplainAsync(run.Id);
        var resumed = await _orderLib.Jobs.ResumeAsync(job.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.PausedAt, Is.EqualTo(T0.AddSeconds(10)));
            Assert.That(explanation.Reasons, Is.EqualTo(new RunReason[] { new JobPausedReason(job.Id, "a", T0.AddSeconds(10)) }));
            Assert.That(resumed.PausedAt, Is.Null);
            Assert.That((await _orderLib.Runs.ExplainAsync(run.Id)).IsReady, Is.True);
        }
    }

    [Test]
    public async Task Explain_judges_a_lease_and_a_backoff_at_the_services_time()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a") { MaxAttempts = 2 });
        var run = await _orderLib.Runs.StartAsync((await _orderLib.Runs.EnqueueAsync(job.Id)).Run.Id, new WorkerId("w"));
        _time.Advance(TimeSpan.FromMinutes(2));
        var atLeaseEnd = await _orderLib.Runs.ExplainAsync(run.Id);
        _time.Advance(TimeSpan.FromSeconds(1));
        var afterLeaseEnd = await _orderLib.Runs.ExplainAsync(run.Id);
        var retry = (await _orderLib.Runs.MarkFailedAsync(run.Id, "boom")).Retry!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(atLeaseEnd.Reasons, Is.EqualTo(new RunReason[] { new HeldByWorkerReason(new WorkerId("w"), T0.AddMinutes(2), LeaseExpired: false, CancelRequested: false) }));
            Assert.That(afterLeaseEnd.Reasons, Is.EqualTo(new RunReason[] { new HeldByWorkerReason(new WorkerId("w"), T0.AddMinutes(2), LeaseExpired: true, CancelRequested: false) }));
            Assert.That((await _orderLib.Runs.ExplainAsync(retry.Id)).Reasons, Is.EqualTo(new RunReason[] { new NotAvailableYetReason(T0.AddMinutes(2).AddSeconds(11)) }), "the configured 10 s backoff");
        }
    }

    [Test]
    public async Task Listing_jobs_pages_with_a_cursor_and_ends_with_no_cursor()
    {
        for (var i = 0; i < 5; i++)
        {
            await _orderLib.Jobs.CreateAsync(new JobDefinition($"job-{i}"));
        }

        var first = await _orderLib.Jobs.ListAsync(limit: 2);
        var second = await _orderLib.Jobs.ListAsync(first.Next, 2);
        var third = await _orderLib.Jobs.ListAsync(second.Next, 2);
        Assert.Multiple(() =>
        {
            Assert.That(first.Items.Select(j => j.Name), Is.EqualTo(new[] { "job-0", "job-1" }));
            Assert.That(second.Items.Select(j => j.Name), Is.EqualTo(new[] { "job-2", "job-3" }));
            Assert.That(third.Items.Select(j => j.Name), Is.EqualTo(new[] { "job-4" }));
            Assert.That(third.Next, Is.Null);
        });
    }

    [Test]
    public async Task A_cursor_carried_as_text_continues_the_listing_and_foreign_text_is_refused()
    {
        for (var i = 0; i < 3; i++)
        {
            await _orderLib.Jobs.CreateAsync(new JobDefinition($"job-{i}"));
        }

        var first = await _orderLib.Jobs.ListAsync(limit: 2);
        var text = first.Next!.Value.ToString();
        var second = await _orderLib.Jobs.ListAsync(PageCursor.Parse(text), 2);
        Assert.Multiple(() =>
        {
            Assert.That(Uri.EscapeDataString(text), Is.EqualTo(text), "the text is URL-safe");
            Assert.That(second.Items.Select(j => j.Name), Is.EqualTo(new[] { "job-2" }));
            Assert.That(() => PageCursor.Parse("42"), Throws.TypeOf<OrderLibValidationException>().With.Message.Contains("not a page cursor"));
            Assert.That(() => PageCursor.Parse(""), Throws.TypeOf<OrderLibValidationException>());
        });
    }

    [Test]
    public async Task A_full_last_page_has_no_cursor()
    {
        await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        await _orderLib.Jobs.CreateAsync(new JobDefinition("b"));
        var page = await _orderLib.Jobs.ListAsync(limit: 2);
        Assert.That(page.Items, Has.Count.EqualTo(2));
        Assert.That(page.Next, Is.Null);
    }

    [TestCase(0)]
    [TestCase(1001)]
    public void Page_size_out_of_range_is_refused(int limit)
    {
        Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.Jobs.ListAsync(limit: limit));
        Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.Runs.ListReadyAsync(limit));
        Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.Runs.ListLatestAsync(limit: limit));
    }

    [Test]
    public async Task Get_by_name_trims_and_unknown_names_and_ids_are_not_found()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        Assert.That((await _orderLib.Jobs.GetByNameAsync("  extract ")).Id, Is.EqualTo(job.Id));
        Assert.That(await _orderLib.Jobs.FindByNameAsync("nope"), Is.Null);
        Assert.ThrowsAsync<JobNotFoundException>(() => _orderLib.Jobs.GetByNameAsync("nope"));
        Assert.ThrowsAsync<JobNotFoundException>(() => _orderLib.Jobs.GetAsync(new JobId(999)));
        Assert.ThrowsAsync<RunNotFoundException>(() => _orderLib.Runs.GetAsync(new RunId(999)));
    }

    [Test]
    public async Task ForClient_sees_only_its_own_jobs_and_runs()
    {
        var acme = _orderLib.ForClient(new ClientId("acme"));
        var job = await acme.Jobs.CreateAsync(new JobDefinition("extract"));
        var run = (await acme.Runs.EnqueueAsync(job.Id)).Run;
        Assert.Multiple(() =>
        {
            Assert.That(acme.ClientId, Is.EqualTo(new ClientId("acme")));
            Assert.That(_orderLib.ClientId, Is.EqualTo(ClientId.Default));
            Assert.ThrowsAsync<JobNotFoundException>(() => _orderLib.Jobs.GetAsync(job.Id));
            Assert.ThrowsAsync<RunNotFoundException>(() => _orderLib.Runs.GetAsync(run.Id));
            Assert.ThrowsAsync<RunNotFoundException>(() => _orderLib.Runs.StartAsync(run.Id, new WorkerId("w")));
        });
        Assert.That((await _orderLib.Jobs.ListAsync()).Items, Is.Empty);
        Assert.That((await _orderLib.Jobs.CreateAsync(new JobDefinition("extract"))).Id, Is.Not.EqualTo(job.Id));
    }

    [Test]
    public async Task A_pipeline_runs_in_dependency_order_through_the_services()
    {
        var extract = await _orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        var report = await _orderLib.Jobs.CreateAsync(new JobDefinition("report") { Priority = 5 });
        await _orderLib.Dependencies.AddAsync(report.Id, extract.Id);
        var reportRun = (await _orderLib.Runs.EnqueueAsync(report.Id)).Run;
        var extractRun = (await _orderLib.Runs.EnqueueAsync(extract.Id)).Run;

        Assert.That((await _orderLib.Runs.ListReadyAsync()).Select(r => r.Id), Is.EqualTo(new[] { extractRun.Id }));
        var refused = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => _orderLib.Runs.StartAsync(reportRun.Id, new WorkerId("w")));
        Assert.That(refused!.Message, Does.Contain("'extract' (latest run Pending)"));

        await _orderLib.Runs.StartAsync(extractRun.Id, new WorkerId("w"));
        await _orderLib.Runs.MarkSucceededAsync(extractRun.Id);
        Assert.That((await _orderLib.Runs.ListReadyAsync()).Select(r => r.Id), Is.EqualTo(new[] { reportRun.Id }));
        await _orderLib.Runs.StartAsync(reportRun.Id, new WorkerId("w"));
        var failed = await _orderLib.Runs.MarkFailedAsync(reportRun.Id, "smtp down");

        var latest = await _orderLib.Runs.ListLatestAsync();
        Assert.That(latest.Items.Select(r => (r.Job.Name, r.LatestRun!.Status)), Is.EqualTo(new[] { ("extract", RunStatus.Succeeded), ("report", RunStatus.Failed) }));
        Assert.That(failed.Run.Error, Is.EqualTo("smtp down"));
        Assert.That(failed.Retry, Is.Null, "one attempt only");
        var history = await _orderLib.Runs.ListForJobAsync(report.Id);
        Assert.That(history.Items.Single().Id, Is.EqualTo(reportRun.Id));
    }

    [Test]
    public async Task Failure_with_attempts_left_is_retried_after_the_configured_backoff()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("flaky") { MaxAttempts = 2 });
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        await _orderLib.Runs.StartAsync(run.Id, new WorkerId("w"));
        var completion = await _orderLib.Runs.MarkFailedAsync(run.Id, "timeout");
        Assert.That(completion.Retry, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(completion.Retry!.Attempt, Is.EqualTo(2));
            Assert.That(completion.Retry.AvailableAt, Is.EqualTo(T0.AddSeconds(10)), "base delay 10 s, no jitter");
        });
    }

    [Test]
    public async Task Trigger_enqueues_the_job_and_its_dependents()
    {
        var extract = await _orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        var report = await _orderLib.Jobs.CreateAsync(new JobDefinition("report"));
        await _orderLib.Dependencies.AddAsync(report.Id, extract.Id);
        var results = await _orderLib.Runs.TriggerAsync(extract.Id);
        Assert.That(results.Runs.Select(r => (r.Run.JobId, r.Created)), Is.EqualTo(new[] { (extract.Id, true), (report.Id, true) }));
    }

    [Test]
    public async Task Pipelines_list_pages_newest_first_get_and_cancel_as_a_whole()
    {
        var extract = await _orderLib.Jobs.CreateAsync(new JobDefinition("extract"));
        var report = await _orderLib.Jobs.CreateAsync(new JobDefinition("report"));
        await _orderLib.Dependencies.AddAsync(report.Id, extract.Id);
        var first = await _orderLib.Runs.TriggerAsync(extract.Id, new TriggerOptions { Label = "first", Input = RunPayload.Parse("{}") });
        var second = await _orderLib.Runs.TriggerAsync(report.Id, new TriggerOptions { Label = "second" });

        var page1 = await _orderLib.Pipelines.ListAsync(new PipelineRunSearch { Limit = 1 });
        var page2 = await _orderLib.Pipelines.ListAsync(new PipelineRunSearch { Limit = 1, Cursor = page1.Next });
        var detail = await _orderLib.Pipelines.GetAsync(first.Id);
        var cancellation = await _orderLib.Pipelines.CancelAsync(first.Id, "enough");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page1.Items.Select(p => p.Label), Is.EqualTo(new[] { "second" }));
            Assert.That(page2.Items.Select(p => p.Label), Is.EqualTo(new[] { "first" }));
            Assert.That(page2.Next, Is.Null);
            Assert.That(PageCursor.Parse(page1.Next!.Value.ToString()), Is.EqualTo(page1.Next), "the cursor travels as text");
            Assert.That(second.Joined.Select(r => r.JobId), Is.EqualTo(new[] { report.Id }), "the second trigger joined report's run");
            Assert.That(detail.Input, Is.EqualTo(RunPayload.Parse("{}")));
            Assert.That(cancellation.Cancelled, Is.EqualTo(first.Runs.Select(r => r.Run.Id)));
            Assert.That((await _orderLib.Pipelines.GetAsync(first.Id)).Summary.State, Is.EqualTo(PipelineRunState.Cancelled));
            Assert.ThrowsAsync<OrderLibValidationException>(() => _orderLib.Jobs.ListAsync(page1.Next), "a job listing refuses a pipeline run cursor");
        }
    }

    [Test]
    public async Task A_pipeline_runs_picture_colours_each_job_by_its_run_in_that_pipeline_run_not_by_a_later_one()
    {
        var extract = await _orderLib.Jobs.CreateAsync(new JobDefinition("extract") { MaxAttempts = 2 });
        var report = await _orderLib.Jobs.CreateAsync(new JobDefinition("report"));
        var unrelated = await _orderLib.Jobs.CreateAsync(new JobDefinition("unrelated"));
        await _orderLib.Dependencies.AddAsync(report.Id, extract.Id);
        var first = await _orderLib.Runs.TriggerAsync(extract.Id);
        var workers = _provider.GetRequiredService<WorkerRunService>();
        var worker = new WorkerId("w1");
        await workers.ClaimAsync(worker, 10);
        await workers.ReportFailedAsync(first.Runs[0].Run.Id, worker, "flaky");   // a retry follows, in the same pipeline run
        _time.Advance(TimeSpan.FromMinutes(5));
        var retry = (await workers.ClaimAsync(worker, 10)).Single();
        await workers.ReportSucceededAsync(retry.Run.Id, worker);
        await _orderLib.Jobs.PauseAsync(report.Id);
        await _orderLib.Runs.CancelAsync(first.Runs[1].Run.Id, "not today");
        await _orderLib.Jobs.ResumeAsync(report.Id);
        await _orderLib.Runs.TriggerAsync(report.Id);                              // a later pipeline run: report Pending again

        var picture = await _orderLib.Pipelines.GetGraphAsync(first.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(picture.Nodes.Select(n => (n.Name, n.Status, n.RunId)), Is.EqualTo(new (string, RunStatus?, RunId?)[]
            {
                ("extract", RunStatus.Succeeded, retry.Run.Id), ("report", RunStatus.Cancelled, first.Runs[1].Run.Id),
            }), "the retry's success and this pipeline run's cancelled report; not the unrelated job, not report's later run");
            Assert.That(picture.Edges, Is.EqualTo(new[] { new JobGraphEdge(report.Id, extract.Id) }));
            Assert.That(picture.ToMermaid(), Does.Contain("class j" + extract.Id + " succeeded").And.Contains("class j" + report.Id + " cancelled").And.Not.Contains("unrelated"));
            Assert.That(picture.Nodes.Select(n => n.JobId), Does.Not.Contain(unrelated.Id));
            Assert.ThrowsAsync<PipelineRunNotFoundException>(() => _orderLib.Pipelines.GetGraphAsync(new PipelineRunId(987_654_321)));
        }
    }

    [Test]
    public async Task Worker_service_claims_heartbeats_and_completes_with_the_lease_from_options()
    {
        var job = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var run = (await _orderLib.Runs.EnqueueAsync(job.Id)).Run;
        var workers = _provider.GetRequiredService<WorkerRunService>();
        var claimed = await workers.ClaimAsync(new WorkerId(" w1 "), 10);
        Assert.That(claimed.Select(c => c.Run.Id), Is.EqualTo(new[] { run.Id }));
        Assert.That(claimed[0].Run.LeaseExpiresAt, Is.EqualTo(T0.AddMinutes(2)));
        _time.Advance(TimeSpan.FromMinutes(1));
        var beat = await workers.HeartbeatAsync(run.Id, new WorkerId("w1"));
        Assert.That(beat.Run.LeaseExpiresAt, Is.EqualTo(T0.AddMinutes(3)));
        Assert.ThrowsAsync<LeaseLostException>(() => workers.ReportSucceededAsync(run.Id, new WorkerId("w2")));
        var done = await workers.ReportSucceededAsync(run.Id, new WorkerId("w1"));
        Assert.That(done.Run.Status, Is.EqualTo(RunStatus.Succeeded));
    }

    [Test]
    public async Task Worker_service_reports_a_batch_of_outcomes_at_the_clock_time_and_refuses_an_oversized_one()
    {
        var a = await _orderLib.Jobs.CreateAsync(new JobDefinition("a"));
        var b = await _orderLib.Jobs.CreateAsync(new JobDefinition("b"));
        await _orderLib.Runs.EnqueueAsync(a.Id);
        await _orderLib.Runs.EnqueueAsync(b.Id);
        var workers = _provider.GetRequiredService<WorkerRunService>();
        var worker = new WorkerId("w1");
        var claimed = await workers.ClaimAsync(worker, 10);
        _time.Advance(TimeSpan.FromSeconds(30));

        var results = await workers.ReportOutcomesAsync([
            new RunOutcome(claimed[0].Run.Id, worker, RunStatus.Succeeded, null),
            new RunOutcome(claimed[1].Run.Id, new WorkerId("someone-else"), RunStatus.Failed, "not mine"),
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(results[0].Completion!.Run.FinishedAt, Is.EqualTo(T0.AddSeconds(30)));
            Assert.That(results[1].Lost, Is.EqualTo(new LostRun(RunStatus.Running, worker)));
            Assert.That(
                () => workers.ReportOutcomesAsync(Enumerable.Range(1, 1001).Select(i => new RunOutcome(new RunId(i), worker, RunStatus.Succeeded, null)).ToArray()),
                Throws.TypeOf<OrderLibValidationException>().With.Message.Contains("1000"));
        });
    }

    [Test]
    public void Worker_service_refuses_bad_arguments()
    {
        var workers = _provider.GetRequiredService<WorkerRunService>();
        Assert.ThrowsAsync<OrderLibValidationException>(() => workers.ClaimAsync(new WorkerId(" "), 1));
        Assert.ThrowsAsync<OrderLibValidationException>(() => workers.ClaimAsync(new WorkerId("w"), 0));
        Assert.ThrowsAsync<OrderLibValidationException>(() => workers.ClaimAsync(new WorkerId("w"), 1, Clients.Only()));
        Assert.ThrowsAsync<OrderLibValidationException>(() => workers.RescueExpiredAsync(0));
        Assert.ThrowsAsync<ArgumentNullException>(() => workers.ReportFailedAsync(new RunId(1), new WorkerId("w"), null!));
    }

    [Test]
    public void Fail_requires_error_text()
    {
        Assert.ThrowsAsync<ArgumentNullException>(() => _orderLib.Runs.MarkFailedAsync(new RunId(1), null!));
    }
}
