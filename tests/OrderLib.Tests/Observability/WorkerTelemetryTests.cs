using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OrderLib.Ports;
using OrderLib.Tests.Hosting;

namespace OrderLib.Tests.Observability;

/// <summary>
/// The hosted worker's spans and metrics for runs enqueued or triggered inside a caller's activity, on every store: the
/// caller's trace context is stored with the runs (on the databases in <c>job_runs.trace_parent</c> and
/// <c>trace_state</c>) and comes back with their claim, so each run's execution span is the triggering span's child.
/// </summary>
[TestFixture(StoreKind.InMemory)]
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
[NonParallelizable]
public sealed class WorkerTelemetryTests(StoreKind storeKind)
{
    private static readonly ActivitySource Web = new(TelemetryCapture.TestSourceName);

    // A database store under a busy machine may take longer than the harness's default wait.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly FixtureStore _store = new(storeKind);

    [OneTimeSetUp]
    public Task CreateStore() => _store.CreateAsync("telemetry");

    [OneTimeTearDown]
    public Task DropStore() => _store.DropAsync();

    [Test]
    public async Task A_triggered_pipeline_runs_in_the_callers_trace_links_to_its_claims_and_records_its_failure_and_metrics()
    {
        using var capture = new TelemetryCapture();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (extract, load) = ($"extract-{suffix}", $"load-{suffix}");
        await using var harness = WorkerHarness.Create(
            worker => worker
                .Handle(extract, (_, _) => Task.CompletedTask)
                .Handle(load, (_, _) => throw new InvalidOperationException("load broke")),
            store: _store.Use);
        var a = await harness.CreateJobAsync(extract);
        var b = await harness.CreateJobAsync(load);
        await harness.OrderLib.Dependencies.AddAsync(b.Id, a.Id);
        await harness.StartAsync();

        TriggeredPipeline triggered;
        ActivityContext request;
        var traceState = $"orderlib-test={suffix}";
        using (var web = Web.StartActivity("GET /trigger", ActivityKind.Server))
        {
            Assert.That(web, Is.Not.Null);
            web!.TraceStateString = traceState;
            request = web.Context;
            triggered = await harness.OrderLib.Runs.TriggerAsync(a.Id);
        }

        await harness.Eventually(async () => await harness.LatestStatusAsync(b) == RunStatus.Failed, "the load run to fail", Patience);
        await harness.Eventually(
            () => Task.FromResult(capture.Stopped.Count(s => s.OperationName == OrderLibTelemetry.Spans.Complete && s.Links.Any()) >= 2 && RunSpans(capture, suffix).Count == 2),
            "the run and completion spans to end",
            Patience);

        var trigger = capture.Stopped.Single(s => s.OperationName == OrderLibTelemetry.Spans.Trigger && s.TraceId == request.TraceId);
        var runs = RunSpans(capture, suffix).ToDictionary(s => (string)s.GetTagItem(OrderLibTelemetry.Attributes.JobName)!);
        var claims = capture.Stopped.Where(s => s.OperationName == OrderLibTelemetry.Spans.Claim).ToDictionary(s => s.SpanId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(trigger.ParentSpanId, Is.EqualTo(request.SpanId), "the trigger span is the request's child");
            Assert.That(trigger.GetTagItem(OrderLibTelemetry.Attributes.RunsCreated), Is.EqualTo(2));
            Assert.That(trigger.GetTagItem(OrderLibTelemetry.Attributes.RunsJoined), Is.EqualTo(0));
            Assert.That(trigger.GetTagItem(OrderLibTelemetry.Attributes.TriggerRoots), Is.EqualTo(1));
            Assert.That(trigger.GetTagItem(OrderLibTelemetry.Attributes.PipelineRunId), Is.EqualTo(triggered.Id.Value));
            foreach (var (name, run) in runs)
            {
                Assert.That(run.TraceId, Is.EqualTo(request.TraceId), $"{name}: in the request's trace");
                Assert.That(run.ParentSpanId, Is.EqualTo(trigger.SpanId), $"{name}: the trigger span is its parent");
                Assert.That(run.TraceStateString, Is.EqualTo(traceState), $"{name}: the request's tracestate came along");
                Assert.That(run.Kind, Is.EqualTo(ActivityKind.Consumer));
                Assert.That(run.Links.Select(l => l.Context.SpanId).Where(claims.ContainsKey), Is.Not.Empty, $"{name}: links to the claim span");
                Assert.That(run.GetTagItem(OrderLibTelemetry.Attributes.RunAttempt), Is.EqualTo(1));
                Assert.That(run.GetTagItem(OrderLibTelemetry.Attributes.Client), Is.EqualTo("default"));
                Assert.That(run.GetTagItem(OrderLibTelemetry.Attributes.PipelineRunId), Is.EqualTo(triggered.Id.Value));
                Assert.That(run.GetTagItem(OrderLibTelemetry.Attributes.WorkerId), Is.EqualTo("test-worker"));
            }

            Assert.That(runs[extract].GetTagItem(OrderLibTelemetry.Attributes.RunId), Is.EqualTo(triggered.Runs[0].Run.Id.Value));
            Assert.That(runs[extract].GetTagItem(OrderLibTelemetry.Attributes.RunOutcome), Is.EqualTo("succeeded"));
            Assert.That(runs[extract].Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(runs[load].GetTagItem(OrderLibTelemetry.Attributes.RunOutcome), Is.EqualTo("failed"));
            Assert.That(runs[load].Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(runs[load].GetTagItem(OrderLibTelemetry.Attributes.ErrorType), Is.EqualTo(typeof(InvalidOperationException).FullName));
            var exception = runs[load].Events.Single(e => e.Name == "exception");
            Assert.That(exception.Tags.Single(t => t.Key == "exception.message").Value, Is.EqualTo("load broke"));
            Assert.That(claims.Values.Where(c => (int)c.GetTagItem(OrderLibTelemetry.Attributes.RunsClaimed)! > 0), Is.Not.Empty, "claims say how many runs they took");

            var runSpanIds = runs.Values.Select(r => r.SpanId).ToHashSet();
            var completes = capture.Stopped.Where(s => s.OperationName == OrderLibTelemetry.Spans.Complete && s.Links.Any(l => runSpanIds.Contains(l.Context.SpanId))).ToList();
            Assert.That(completes.Sum(c => (int)c.GetTagItem(OrderLibTelemetry.Attributes.OutcomesCount)!), Is.EqualTo(2), "completion spans count the outcomes and link to the runs");
            Assert.That(completes.Sum(c => (int)c.GetTagItem(OrderLibTelemetry.Attributes.OutcomesLost)!), Is.Zero);
            if (storeKind != StoreKind.InMemory)
            {
                Assert.That(
                    await StoredTraceContextsAsync(triggered.Runs.Select(r => r.Run.Id)),
                    Is.EqualTo(new[] { (trigger.Id, traceState), (trigger.Id, traceState) }),
                    "job_runs.trace_parent and trace_state hold the trigger span's context");
            }
        }

        // Metrics: completions by outcome and job, durations, claims.
        var measured = capture.Measurements.ToList();
        double Sum(string name, string job, string? outcome = null) => measured
            .Where(m => m.Name == name && (string?)m.Tag(OrderLibTelemetry.Attributes.JobName) == job && (outcome is null || (string?)m.Tag(OrderLibTelemetry.Attributes.RunOutcome) == outcome))
            .Sum(m => m.Value);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Sum(OrderLibTelemetry.Metrics.RunsCompleted, extract, "succeeded"), Is.EqualTo(1));
            Assert.That(Sum(OrderLibTelemetry.Metrics.RunsCompleted, load, "failed"), Is.EqualTo(1));
            Assert.That(measured.Count(m => m.Name == OrderLibTelemetry.Metrics.RunDuration && (string?)m.Tag(OrderLibTelemetry.Attributes.JobName) == load), Is.EqualTo(1));
            Assert.That(measured.Where(m => m.Name == OrderLibTelemetry.Metrics.RunDuration).Select(m => m.Unit), Is.All.EqualTo("s"));
            Assert.That(measured.Where(m => m.Name == OrderLibTelemetry.Metrics.RunsClaimed).Sum(m => m.Value), Is.GreaterThanOrEqualTo(2));
            Assert.That(measured.Count(m => m.Name == OrderLibTelemetry.Metrics.ClaimDuration && m.Unit == "s"), Is.GreaterThanOrEqualTo(2));
        }
    }

    [Test]
    public async Task An_enqueue_inside_an_activity_becomes_the_parent_of_the_runs_execution_span_through_the_OpenTelemetry_sdk()
    {
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetryCapture.TestSourceName)
            .AddOrderLibInstrumentation()
            .AddInMemoryExporter(exported)
            .Build();
        var name = $"single-{Guid.NewGuid():N}";
        await using var harness = WorkerHarness.Create(worker => worker.Handle(name, (_, _) => Task.CompletedTask), store: _store.Use);
        var job = await harness.CreateJobAsync(name);
        await harness.StartAsync();

        ActivityTraceId traceId;
        using (var web = Web.StartActivity("POST /enqueue"))
        {
            traceId = web!.TraceId;
            await harness.OrderLib.Runs.EnqueueAsync(job.Id);
        }

        await harness.Eventually(async () => await harness.LatestStatusAsync(job) == RunStatus.Succeeded, "the run to succeed", Patience);
        await harness.StopAsync();
        tracing.ForceFlush();

        lock (exported)
        {
            var enqueue = exported.Single(a => a.OperationName == OrderLibTelemetry.Spans.Enqueue && a.TraceId == traceId);
            var run = exported.Single(a => a.OperationName == OrderLibTelemetry.Spans.Run && (string?)a.GetTagItem(OrderLibTelemetry.Attributes.JobName) == name);
            Assert.That((run.TraceId, run.ParentSpanId), Is.EqualTo((traceId, enqueue.SpanId)));
        }
    }

    /// <summary>The stored <c>(trace_parent, trace_state)</c> of the runs, read from the database behind the store's back.</summary>
    private async Task<List<(string? TraceParent, string? TraceState)>> StoredTraceContextsAsync(IEnumerable<RunId> runs) =>
        await DbQuery.ListAsync(
            _store.CreateConnection(),
            $"SELECT trace_parent, trace_state FROM job_runs WHERE id IN ({string.Join(", ", runs.Select(r => r.Value))}) ORDER BY id",
            row => (row.IsDBNull(0) ? null : row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1)));

    private static List<Activity> RunSpans(TelemetryCapture capture, string suffix) =>
        capture.Stopped.Where(s => s.OperationName == OrderLibTelemetry.Spans.Run && ((string?)s.GetTagItem(OrderLibTelemetry.Attributes.JobName))?.EndsWith(suffix, StringComparison.Ordinal) == true).ToList();
}
