using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Tenancy;

/// <summary>
/// Tenant isolation through the public services, on every adapter: client B, holding client A's job ids, run ids and
/// job names, gets exactly what it gets for ids and names that never existed — the same exception type and the same
/// message apart from the id or name itself — and changes nothing of A's (or of its own); B's lists never show A's
/// items; workers and schedulers limited to some clients never touch the others; the same job name in two clients is two
/// jobs. A subclass only says which store to use. Every test builds its own service provider and runs as two fresh
/// clients, so tests sharing one database cannot see each other.
/// </summary>
public abstract partial class TenantIsolationTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    // Ids no store will ever assign in a test run.
    private static readonly Targets Never = new(
        Job: new JobId(9_000_000_000_000_000_001),
        SecondJob: new JobId(9_000_000_000_000_000_002),
        IdleJob: new JobId(9_000_000_000_000_000_003),
        JobName: "never-created",
        WaitingRun: new RunId(9_000_000_000_000_000_011),
        ReadyRun: new RunId(9_000_000_000_000_000_012),
        RunningRun: new RunId(9_000_000_000_000_000_013),
        FinishedRun: new RunId(9_000_000_000_000_000_014),
        PipelineRun: new PipelineRunId(9_000_000_000_000_000_021));

    private ServiceProvider? _services;
    private FakeTimeProvider _time = new(Start);
    private IOrderLib? _a;
    private IOrderLib? _b;
    private Targets? _foreign;
    private Job? _bExtract;
    private Job? _bOther;
    private JobRun? _bReadyRun;

    /// <summary>Client A, whose jobs and runs B must not reach.</summary>
    private IOrderLib A => _a ?? throw new InvalidOperationException("No services yet.");

    /// <summary>Client B, which holds A's ids and names.</summary>
    private IOrderLib B => _b ?? throw new InvalidOperationException("No services yet.");

    /// <summary>A's ids and names: what B tries to use.</summary>
    private Targets Foreign => _foreign ?? throw new InvalidOperationException("No world yet.");

    private WorkerRunService Workers => _services!.GetRequiredService<WorkerRunService>();

    private ScheduleService Scheduler => _services!.GetRequiredService<ScheduleService>();

    /// <summary>Chooses the store under test on the builder <c>AddOrderLib</c> returns.</summary>
    protected abstract void UseStore(OrderLibBuilder builder);

    /// <summary>
    /// Builds A's world through A's services: <c>extract</c> (every 10 minutes, running) ← <c>transform</c> (pending, waiting
    /// for extract) ← <c>load</c> (its only run succeeded before the dependencies were added; paused), <c>solo</c> (a ready run) and
    /// <c>report</c> (every 10 minutes, never ran). B has its own <c>extract</c> (every 10 minutes) and <c>other</c> (a ready run).
    /// for extract) ← <c>load</c> (its only run succeeded before the dependencies were added), <c>solo</c> (a ready run) and
    /// <c>report</c> (every 10 minutes, never ran), and a pipeline run triggered from solo (which joined its ready run). B has its own <c>extract</c> (every 10 minutes) and <c>other</c> (a ready run).
    /// </summary>
    [SetUp]
    public async Task BuildTwoClients()
    {
        _time = new FakeTimeProvider(Start);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddOrderLib(UseStore);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });

        var unique = Guid.NewGuid().ToString("N");
        var root = _services.GetRequiredService<IOrderLib>();
        _a = root.ForClient(new ClientId("a-" + unique));
        _b = root.ForClient(new ClientId("b-" + unique));

        var extract = await A.Jobs.CreateAsync(new JobDefinition("extract") { Schedule = "every 10m" });
        var transform = await A.Jobs.CreateAsync(new JobDefinition("transform"));
        var load = await A.Jobs.CreateAsync(new JobDefinition("load"));
        var solo = await A.Jobs.CreateAsync(new JobDefinition("solo"));
        await A.Jobs.CreateAsync(new JobDefinition("report") { Schedule = "every 10m" });

        var finished = await A.Runs.EnqueueAsync(load.Id, RunPayload.Parse("""{"a":"input"}"""));
        await A.Runs.StartAsync(finished.Run.Id, new WorkerId("a-worker"));
        await A.Runs.MarkSucceededAsync(finished.Run.Id, RunPayload.Parse("""{"a":"output"}"""));
        await A.Dependencies.AddAsync(transform.Id, extract.Id);
        await A.Dependencies.AddAsync(load.Id, transform.Id);
        await A.Jobs.PauseAsync(load.Id);
        var running = await A.Runs.StartAsync((await A.Runs.EnqueueAsync(extract.Id)).Run.Id, new WorkerId("a-worker"));
        var waiting = (await A.Runs.EnqueueAsync(transform.Id)).Run;
        var ready = (await A.Runs.EnqueueAsync(solo.Id)).Run;
        var pipeline = await A.Runs.TriggerAsync(solo.Id, new TriggerOptions { Label = "a-label" });
        _foreign = new Targets(extract.Id, transform.Id, load.Id, "transform", waiting.Id, ready.Id, running.Id, finished.Run.Id, pipeline.Id);

        _bExtract = await B.Jobs.CreateAsync(new JobDefinition("extract") { Schedule = "every 10m" });
        _bOther = await B.Jobs.CreateAsync(new JobDefinition("other"));
        _bReadyRun = (await B.Runs.EnqueueAsync(_bOther.Id)).Run;
    }

    [TearDown]
    public async Task DisposeServices()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
            _services = null;
        }
    }

    // ---------------------------------------------------------------- every operation with another client's ids

    /// <summary>The operations B tries on A's ids (and on ids that never existed), by name; see <see cref="Operations"/>.</summary>
    private static string[] OperationNames() => [.. Operations.Keys];

    [TestCaseSource(nameof(OperationNames))]
    public async Task AnotherClientsIdOrName_FailsExactlyLikeOneThatNeverExisted_AndChangesNothing(string operation)
    {
        var (expectedType, act, named) = Operations[operation];
        var ownJob = _bOther!.Id;
        var before = await SnapshotAsync();

        var forNever = await CaptureAsync(() => act(B, Never, ownJob));
        var forForeign = await CaptureAsync(() => act(B, Foreign, ownJob));

        Assert.That(forNever, Is.InstanceOf(expectedType), $"{operation} with ids that never existed: {forNever}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(forForeign?.GetType(), Is.EqualTo(forNever!.GetType()), $"{operation} with client A's ids: {forForeign}");
            Assert.That(Shape(forForeign?.Message), Is.EqualTo(Shape(forNever.Message)), $"{operation}: the message differs only by the id or name");
            Assert.That(named(Never), Does.Contain(Subject(forNever)), $"{operation}: the error names what was asked for");
            Assert.That(named(Foreign), Does.Contain(Subject(forForeign)), $"{operation}: the error names what was asked for");
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), $"{operation}: nothing of A or B changed");
        }
    }

    /// <summary>
    /// Every public operation of Jobs, Dependencies and Runs that takes an id or a name: what it should throw for an id or
    /// name the client does not have, what it does with B's own job id where it needs one, and which of the targets the
    /// error should name. (Worker heartbeats and completions are not scoped to a client: they are fenced by the worker id.)
    /// </summary>
    private static readonly Dictionary<string, Operation> Operations = new()
    {
        ["Jobs.Get"] = Job((b, t, _) => b.Jobs.GetAsync(t.Job), t => t.Job),
        ["Jobs.GetByName"] = Job((b, t, _) => b.Jobs.GetByNameAsync(t.JobName), t => t.JobName),
        ["Jobs.Update"] = Job((b, t, _) => b.Jobs.UpdateAsync(t.Job, new JobDefinition("taken-over") { Priority = 99 }), t => t.Job),
        ["Jobs.Update (keeping its name)"] = Job((b, t, _) => b.Jobs.UpdateAsync(t.SecondJob, new JobDefinition(t.JobName) { Schedule = "every 1m" }), t => t.SecondJob),
        ["Jobs.DefineGraph (depending on a foreign job by name)"] = new(
            typeof(UnknownJobInGraphException),
            (b, t, _) => b.Jobs.DefineGraphAsync(new GraphDefinition([new JobDefinition("b-graph-job")], [new GraphDependency("b-graph-job", t.JobName)])),
            t => [t.JobName]),
        ["Jobs.Pause"] = Job((b, t, _) => b.Jobs.PauseAsync(t.Job), t => t.Job),
        ["Jobs.Resume (paused job)"] = Job((b, t, _) => b.Jobs.ResumeAsync(t.IdleJob), t => t.IdleJob),
        ["Jobs.Delete"] = Job((b, t, _) => b.Jobs.DeleteAsync(t.IdleJob), t => t.IdleJob),
        ["Jobs.Delete (with dependents, cascade)"] = Job((b, t, _) => b.Jobs.DeleteAsync(t.Job, JobDeletion.RemoveDependencies), t => t.Job),
        ["Dependencies.Add (dependent foreign)"] = Job((b, t, own) => b.Dependencies.AddAsync(t.Job, own), t => t.Job),
        ["Dependencies.Add (upstream foreign)"] = Job((b, t, own) => b.Dependencies.AddAsync(own, t.Job), t => t.Job),
        ["Dependencies.Add (both foreign)"] = Job((b, t, _) => b.Dependencies.AddAsync(t.IdleJob, t.Job), t => [t.IdleJob, t.Job]),
        ["Dependencies.Add (closing a cycle of A)"] = Job((b, t, _) => b.Dependencies.AddAsync(t.Job, t.SecondJob), t => [t.Job, t.SecondJob]),
        ["Dependencies.Remove (dependent foreign)"] = Job((b, t, own) => b.Dependencies.RemoveAsync(t.SecondJob, own), t => t.SecondJob),
        ["Dependencies.Remove (upstream foreign)"] = Job((b, t, own) => b.Dependencies.RemoveAsync(own, t.Job), t => t.Job),
        ["Dependencies.Remove (an edge of A)"] = Job((b, t, _) => b.Dependencies.RemoveAsync(t.SecondJob, t.Job), t => [t.SecondJob, t.Job]),
        ["Dependencies.ListUpstream"] = Job((b, t, _) => b.Dependencies.ListUpstreamAsync(t.SecondJob), t => t.SecondJob),
        ["Dependencies.ListDownstream"] = Job((b, t, _) => b.Dependencies.ListDownstreamAsync(t.Job), t => t.Job),
        ["Dependencies.GetGraph (around a foreign job)"] = Job((b, t, _) => b.Dependencies.GetGraphAsync(GraphSelection.Around(t.SecondJob)), t => t.SecondJob),
        ["Runs.Enqueue (job with an active run)"] = Job((b, t, _) => b.Runs.EnqueueAsync(t.Job), t => t.Job),
        ["Runs.Enqueue (job without an active run)"] = Job((b, t, _) => b.Runs.EnqueueAsync(t.IdleJob), t => t.IdleJob),
        ["Runs.Enqueue with an input (job without an active run)"] = Job((b, t, _) => b.Runs.EnqueueAsync(t.IdleJob, RunPayload.Parse("\"b's input\"")), t => t.IdleJob),
        ["Runs.GetUpstreamOutputs"] = Job((b, t, _) => b.Runs.GetUpstreamOutputsAsync(t.SecondJob), t => t.SecondJob),
        ["Runs.Trigger"] = Job((b, t, _) => b.Runs.TriggerAsync(t.Job), t => t.Job),
        ["Runs.ListForJob"] = Job((b, t, _) => b.Runs.ListForJobAsync(t.Job), t => t.Job),
        ["Runs.Start (ready run)"] = Run((b, t, _) => b.Runs.StartAsync(t.ReadyRun, new WorkerId("b-worker")), t => t.ReadyRun),
        ["Runs.Start (waiting run)"] = Run((b, t, _) => b.Runs.StartAsync(t.WaitingRun, new WorkerId("b-worker")), t => t.WaitingRun),
        ["Runs.Start (running run)"] = Run((b, t, _) => b.Runs.StartAsync(t.RunningRun, new WorkerId("b-worker")), t => t.RunningRun),
        ["Runs.Succeed (running run)"] = Run((b, t, _) => b.Runs.MarkSucceededAsync(t.RunningRun), t => t.RunningRun),
        ["Runs.Succeed (finished run)"] = Run((b, t, _) => b.Runs.MarkSucceededAsync(t.FinishedRun), t => t.FinishedRun),
        ["Runs.Succeed with an output (running run)"] = Run((b, t, _) => b.Runs.MarkSucceededAsync(t.RunningRun, RunPayload.Parse("\"b's output\"")), t => t.RunningRun),
        ["Runs.Fail (running run)"] = Run((b, t, _) => b.Runs.MarkFailedAsync(t.RunningRun, "sabotage"), t => t.RunningRun),
        ["Runs.Cancel (ready run)"] = Run((b, t, _) => b.Runs.CancelAsync(t.ReadyRun, "sabotage"), t => t.ReadyRun),
        ["Runs.Cancel (running run)"] = Run((b, t, _) => b.Runs.CancelAsync(t.RunningRun, "sabotage"), t => t.RunningRun),
        ["Runs.Cancel (finished run)"] = Run((b, t, _) => b.Runs.CancelAsync(t.FinishedRun, "sabotage"), t => t.FinishedRun),
        ["Runs.Get (running run)"] = Run((b, t, _) => b.Runs.GetAsync(t.RunningRun), t => t.RunningRun),
        ["Runs.Get (finished run)"] = Run((b, t, _) => b.Runs.GetAsync(t.FinishedRun), t => t.FinishedRun),
        ["Runs.GetPayloads (running run)"] = Run((b, t, _) => b.Runs.GetPayloadsAsync(t.RunningRun), t => t.RunningRun),
        ["Runs.GetPayloads (finished run)"] = Run((b, t, _) => b.Runs.GetPayloadsAsync(t.FinishedRun), t => t.FinishedRun),
        ["Runs.Explain (waiting run)"] = Run((b, t, _) => b.Runs.ExplainAsync(t.WaitingRun), t => t.WaitingRun),
        ["Runs.Explain (running run)"] = Run((b, t, _) => b.Runs.ExplainAsync(t.RunningRun), t => t.RunningRun),
        ["Runs.Explain (finished run)"] = Run((b, t, _) => b.Runs.ExplainAsync(t.FinishedRun), t => t.FinishedRun),
        ["Pipelines.Get"] = PipelineRun((b, t, _) => b.Pipelines.GetAsync(t.PipelineRun), t => t.PipelineRun),
        ["Pipelines.Cancel"] = PipelineRun((b, t, _) => b.Pipelines.CancelAsync(t.PipelineRun, "sabotage"), t => t.PipelineRun),
    };

    // ---------------------------------------------------------------- lists, names, claims, schedules

    [Test]
    public async Task ListsOfB_ShowOnlyBsJobsAndRuns()
    {
        var aJobs = (await A.Jobs.ListAsync(limit: 1000)).Items.Select(j => j.Id).ToArray();
        var bJobs = new[] { _bExtract!.Id, _bOther!.Id };

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await B.Jobs.ListAsync(limit: 1000)).Items.Select(j => j.Id), Is.EqualTo(bJobs), "jobs");
            Assert.That((await B.Runs.ListLatestAsync(limit: 1000)).Items.Select(r => (r.Job.Id, r.LatestRun?.Id)), Is.EqualTo(new[] { (_bExtract.Id, (RunId?)null), (_bOther.Id, _bReadyRun!.Id) }), "jobs with their latest run");
            Assert.That((await B.Runs.ListReadyAsync(limit: 1000)).Select(r => r.Id), Is.EqualTo(new[] { _bReadyRun.Id }), "ready runs");
            Assert.That(await B.Jobs.FindByNameAsync(Foreign.JobName), Is.Null, "find by A's name");
            Assert.That(await B.Jobs.FindByNameAsync(Never.JobName), Is.Null, "find by a name nobody has");
            Assert.That((await B.Pipelines.ListAsync(new PipelineRunSearch())).Items, Is.Empty, "pipeline runs");
            Assert.That((await B.Pipelines.ListAsync(new PipelineRunSearch { Filter = new PipelineRunFilter { Label = "a-label" } })).Items, Is.Empty, "pipeline runs by A's label");
            Assert.That((await A.Pipelines.ListAsync(new PipelineRunSearch())).Items.Select(p => p.Id), Is.EqualTo(new[] { Foreign.PipelineRun }), "A's pipeline runs, for comparison");
            Assert.That(aJobs, Has.Length.EqualTo(5), "A's jobs, for comparison");
            Assert.That(aJobs.Intersect(bJobs), Is.Empty, "A's jobs, for comparison");
            Assert.That((await A.Runs.ListReadyAsync(limit: 1000)).Select(r => r.Id), Is.EqualTo(new[] { Foreign.ReadyRun }), "A's ready runs, for comparison");
        }
    }

    [Test]
    public async Task HistorySearchesOfB_FindNothingOfA_EvenByAsJobIdsAndNames()
    {
        // Searches that name jobs: each finds for A's ids and names exactly what it finds for ids and names nobody has.
        var byTargets = new (string Name, Func<Targets, Task<object>> Search)[]
        {
            ("runs by job ids", async t => Ids(await B.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { JobIds = [t.Job, t.SecondJob, t.IdleJob] }, IncludeTotal = true }))),
            ("runs by job name", async t => Ids(await B.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { JobName = t.JobName }, IncludeTotal = true }))),
            ("runs by job name prefix", async t => Ids(await B.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { JobNamePrefix = t.JobName }, OrderBy = RunTimestamp.Finished }))),
            ("jobs by name", async t => Ids(await B.History.SearchJobsAsync(new JobSearch { Filter = new JobFilter { NameEquals = t.JobName }, IncludeTotal = true }))),
            ("jobs by name prefix", async t => Ids(await B.History.SearchJobsAsync(new JobSearch { Filter = new JobFilter { NamePrefix = t.JobName } }))),
            ("jobs by name part", async t => Ids(await B.History.SearchJobsAsync(new JobSearch { Filter = new JobFilter { NameContains = t.JobName.ToUpperInvariant() } }))),
        };
        var before = await SnapshotAsync();

        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, search) in byTargets)
            {
                var forNever = await search(Never);
                Assert.That(forNever, Is.EqualTo("0:"), $"{name}: nothing for a name or id nobody has");
                Assert.That(await search(Foreign), Is.EqualTo(forNever), $"{name}: nothing of A's either");
            }

            // Searches that name no job: B's own runs and jobs only.
            var everyRun = new RunSearch { OrderBy = RunTimestamp.Enqueued, Direction = SortDirection.OldestFirst, IncludeTotal = true };
            Assert.That(Ids(await B.History.SearchRunsAsync(everyRun)), Is.EqualTo($"1:{_bReadyRun!.Id}"), "every run of B's");
            Assert.That(await B.History.StreamRunsAsync(everyRun).Select(r => r.Run.Id).ToListAsync(), Is.EqualTo(new[] { _bReadyRun.Id }), "every run of B's, streamed");
            Assert.That(Ids(await B.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { WorkerId = "a-worker" } })), Is.EqualTo("0:"), "A's worker");
            Assert.That(Ids(await B.History.SearchJobsAsync(new JobSearch { IncludeTotal = true })), Is.EqualTo($"2:{_bExtract!.Id},{_bOther!.Id}"), "every job of B's");
            Assert.That(Ids(await B.History.SearchJobsAsync(new JobSearch { Filter = new JobFilter { HasDependents = true } })), Is.EqualTo("0:"), "A's dependencies");
            Assert.That((await A.History.SearchRunsAsync(everyRun)).Total, Is.EqualTo(4), "A's runs, for comparison");
            Assert.That(await SnapshotAsync(), Is.EqualTo(before), "searches change nothing");
        }
    }

    [Test]
    public async Task TheSameNameInTwoClients_IsTwoJobs()
    {
        var aExtract = await A.Jobs.GetByNameAsync("extract");
        var bExtract = await B.Jobs.GetByNameAsync("extract");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(aExtract.Id, Is.Not.EqualTo(bExtract.Id));
            Assert.That(bExtract, Is.EqualTo(_bExtract));
            Assert.That(aExtract.ClientId, Is.EqualTo(A.ClientId));
            Assert.That(bExtract.ClientId, Is.EqualTo(B.ClientId));
            Assert.ThrowsAsync<DuplicateJobNameException>(() => B.Jobs.CreateAsync(new JobDefinition("extract")), "unique within a client");
        }

        var before = await SnapshotAsync(A);
        await B.Jobs.UpdateAsync(bExtract.Id, new JobDefinition("extract") { Priority = 3 });
        await B.Runs.EnqueueAsync(bExtract.Id);
        await B.Jobs.DeleteAsync(bExtract.Id, JobDeletion.CancelActiveRun);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await SnapshotAsync(A), Is.EqualTo(before), "changing and deleting B's 'extract' leaves A's alone");
            Assert.That(await B.Jobs.FindByNameAsync("extract"), Is.Null);
            Assert.That(await A.Jobs.GetByNameAsync("extract"), Is.EqualTo(aExtract));
        }
    }

    [Test]
    public async Task UpstreamOutputs_NeverCrossClients_EvenBetweenJobsOfTheSameName()
    {
        // A's extract succeeds with an output; B's own load depends on B's extract (same name, never ran).
        await A.Runs.MarkSucceededAsync(Foreign.RunningRun, RunPayload.Parse("""{"from":"a"}"""));
        var bLoad = await B.Jobs.CreateAsync(new JobDefinition("load"));
        await B.Dependencies.AddAsync(bLoad.Id, _bExtract!.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await B.Runs.GetUpstreamOutputsAsync(bLoad.Id), Is.EqualTo(new[] { new UpstreamOutput(_bExtract.Id, "extract", null, null) }), "B sees its own extract, which never succeeded");
            Assert.That(await A.Runs.GetUpstreamOutputsAsync(Foreign.SecondJob), Is.EqualTo(new[] { new UpstreamOutput(Foreign.Job, "extract", Foreign.RunningRun, RunPayload.Parse("""{"from":"a"}""")) }), "A's transform sees A's extract, for comparison");
        }
    }

    [Test]
    public async Task ClaimsForSomeClients_NeverHandOutAnotherClientsRuns()
    {
        var before = await SnapshotAsync(A);

        var forB = await Workers.ClaimAsync(new WorkerId("b-worker"), 100, Clients.Only(B.ClientId));
        var forBAgain = await Workers.ClaimAsync(new WorkerId("b-worker"), 100, Clients.Only(B.ClientId));
        var afterB = await SnapshotAsync(A);
        var forA = await Workers.ClaimAsync(new WorkerId("a-worker"), 100, Clients.Only(A.ClientId));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(forB.Select(c => (c.ClientId, c.Run.Id)), Is.EqualTo(new[] { (B.ClientId, _bReadyRun!.Id) }));
            Assert.That(forBAgain, Is.Empty, "A's ready run is never handed to a worker serving B");
            Assert.That(afterB, Is.EqualTo(before), "A's runs are untouched by B's claims");
            Assert.That(forA.Select(c => (c.ClientId, c.Run.Id)), Is.EqualTo(new[] { (A.ClientId, Foreign.ReadyRun) }));
        }
    }

    [Test]
    public async Task SchedulerForSomeClients_EnqueuesOnlyTheirJobs()
    {
        _time.Advance(TimeSpan.FromMinutes(11));
        var before = await SnapshotAsync(A);
        var bDue = _bExtract!.NextDueAt;

        var earliestForB = await Scheduler.GetEarliestDueAtAsync(Clients.Only(B.ClientId));
        var forB = await Scheduler.EnqueueDueAsync(100, Clients.Only(B.ClientId));
        var forBAgain = await Scheduler.EnqueueDueAsync(100, Clients.Only(B.ClientId));
        var afterB = await SnapshotAsync(A);
        var forA = await Scheduler.EnqueueDueAsync(100, Clients.Only(A.ClientId));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bDue, Is.EqualTo(Start.AddMinutes(10)));
            Assert.That(earliestForB, Is.EqualTo(bDue));
            Assert.That(forB.Select(e => (e.ClientId, e.JobId, e.Enqueue.Created)), Is.EqualTo(new[] { (B.ClientId, _bExtract.Id, true) }));
            Assert.That(forB.Select(e => e.Enqueue.Run.JobId), Is.EqualTo(new[] { _bExtract.Id }));
            Assert.That(forBAgain, Is.Empty, "A's due jobs are never enqueued by a scheduler serving B");
            Assert.That(afterB, Is.EqualTo(before), "A's jobs keep their due times and get no runs");
            Assert.That(forA.Select(e => (e.ClientId, e.JobName)), Is.EqualTo(new[] { (A.ClientId, "extract"), (A.ClientId, "report") }));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Operation Job(Func<IOrderLib, Targets, JobId, Task> act, Func<Targets, object> named) =>
        new(typeof(JobNotFoundException), act, t => [named(t)]);

    private static Operation Job(Func<IOrderLib, Targets, JobId, Task> act, Func<Targets, object[]> named) =>
        new(typeof(JobNotFoundException), act, named);

    private static Operation Run(Func<IOrderLib, Targets, JobId, Task> act, Func<Targets, object> named) =>
        new(typeof(RunNotFoundException), act, t => [named(t)]);

    private static Operation PipelineRun(Func<IOrderLib, Targets, JobId, Task> act, Func<Targets, object> named) =>
        new(typeof(PipelineRunNotFoundException), act, t => [named(t)]);

    /// <summary>A page of a search as text: its total when counted (else its item count), then its item ids.</summary>
    private static string Ids(Page<RunWithJobName> page) => $"{page.Total ?? page.Items.Count}:{string.Join(",", page.Items.Select(r => r.Run.Id))}";

    /// <inheritdoc cref="Ids(Page{RunWithJobName})"/>
    private static string Ids(Page<JobWithLatestRun> page) => $"{page.Total ?? page.Items.Count}:{string.Join(",", page.Items.Select(j => j.Job.Id))}";

    private static async Task<Exception?> CaptureAsync(Func<Task> act)
    {
        try
        {
            await act();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>What a not-found error is about: the job id or name, or the run id.</summary>
    private static object? Subject(Exception? error) => error switch
    {
        JobNotFoundException { JobId: { } id } => id,
        JobNotFoundException { JobName: { } name } => name,
        UnknownJobInGraphException unknown => unknown.UnknownName,
        RunNotFoundException run => run.RunId,
        PipelineRunNotFoundException pipeline => pipeline.PipelineRunId,
        _ => null,
    };

    /// <summary>The message with every number and quoted name replaced, so that two messages about different ids compare.</summary>
    private static string? Shape(string? message) =>
        message is null ? null : QuotedText().Replace(Numbers().Replace(message, "#"), "'…'");

    /// <summary>Everything a client can read about its jobs, their dependencies and runs, as text.</summary>
    private static async Task<string> SnapshotAsync(IOrderLib client)
    {
        var text = new StringBuilder();
        foreach (var job in (await client.Jobs.ListAsync(limit: 1000)).Items)
        {
            text.AppendLine(job.ToString());
            text.AppendLine("  upstream: " + string.Join(", ", (await client.Dependencies.ListUpstreamAsync(job.Id)).Select(j => j.Id)));
            text.AppendLine("  downstream: " + string.Join(", ", (await client.Dependencies.ListDownstreamAsync(job.Id)).Select(j => j.Id)));
            foreach (var run in (await client.Runs.ListForJobAsync(job.Id, limit: 1000)).Items)
            {
                text.AppendLine("  " + run);
                text.AppendLine("    payloads: " + await client.Runs.GetPayloadsAsync(run.Id));
            }
        }

        text.AppendLine("ready: " + string.Join(", ", (await client.Runs.ListReadyAsync(limit: 1000)).Select(r => r.Id)));
        foreach (var pipeline in (await client.Pipelines.ListAsync(new PipelineRunSearch { Limit = 1000 })).Items)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"pipeline run {pipeline.Id}: {pipeline.State} {pipeline.Counts} {pipeline.FinishedAt:O}");
        }

        return text.ToString();
    }

    private async Task<string> SnapshotAsync() => "A:\n" + await SnapshotAsync(A) + "B:\n" + await SnapshotAsync(B);

    [GeneratedRegex(@"\d+")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"'[^']*'")]
    private static partial Regex QuotedText();

    /// <summary>One operation of the matrix.</summary>
    /// <param name="Throws">The not-found error it must throw.</param>
    /// <param name="Act">Calls it as client B on the targets; the job id is one of B's own, for operations that take two jobs.</param>
    /// <param name="Named">Which of the targets the error may name.</param>
    private sealed record Operation(Type Throws, Func<IOrderLib, Targets, JobId, Task> Act, Func<Targets, object[]> Named);

    /// <summary>The ids and name an operation is tried on: client A's, or ones that never existed.</summary>
    /// <param name="Job">A job with dependents (A's: extract, running).</param>
    /// <param name="SecondJob">A job that depends on <paramref name="Job"/> (A's: transform).</param>
    /// <param name="IdleJob">A paused job without an active run (A's: load, which depends on transform).</param>
    /// <param name="JobName">A job name (A's: transform; B has no job of that name).</param>
    /// <param name="WaitingRun">A pending run waiting for its upstream job.</param>
    /// <param name="ReadyRun">A pending run ready to start.</param>
    /// <param name="RunningRun">A running run.</param>
    /// <param name="FinishedRun">A succeeded run.</param>
    /// <param name="PipelineRun">A pipeline run (A's: triggered from solo, joining its ready run).</param>
    private sealed record Targets(JobId Job, JobId SecondJob, JobId IdleJob, string JobName, RunId WaitingRun, RunId ReadyRun, RunId RunningRun, RunId FinishedRun, PipelineRunId PipelineRun);
}
