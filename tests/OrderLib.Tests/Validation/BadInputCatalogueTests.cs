using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace OrderLib.Tests.Validation;

/// <summary>
/// Bad input through the public API, on every store: each case of <see cref="Cases"/> is refused with the exception type
/// it names, whose ParamName (for validation errors) and message name the field and the rule, and nothing of the client
/// changes (its jobs, their runs and dependencies read the same before and after). A subclass only says which store to
/// use. Every test builds its own service provider and runs as a fresh client, so tests sharing one database cannot see
/// each other.
/// </summary>
public abstract class BadInputCatalogueTests
{
    private const string Nul = "\0";
    private const string LoneHigh = "\uD800";
    private const string LoneLow = "\uDC00";
    private const string Emoji = "\U0001F600";
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly JobId NoJob = new(9_000_000_000_000_000_001);
    private static readonly RunId NoRun = new(9_000_000_000_000_000_011);

    private ServiceProvider? _services;
    private World? _world;

    /// <summary>The client's world, built afresh for each test.</summary>
    private World W => _world ?? throw new InvalidOperationException("No world yet.");

    /// <summary>Chooses the store under test on the builder <c>AddOrderLib</c> returns.</summary>
    protected abstract void UseStore(OrderLibBuilder builder);

    /// <summary>
    /// Builds the client's world: <c>extract</c> (every 10 minutes, its run Running for <c>w-1</c>) ← <c>transform</c>
    /// (its run Pending, waiting for extract), and <c>idle</c> (no runs).
    /// </summary>
    [SetUp]
    public async Task BuildWorld()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddOrderLib(UseStore);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
        var client = new ClientId("bad-input-" + Guid.NewGuid().ToString("N"));
        var lib = _services.GetRequiredService<IOrderLib>().ForClient(client);

        var extract = await lib.Jobs.CreateAsync(new JobDefinition("extract") { Schedule = "every 10m" });
        var transform = await lib.Jobs.CreateAsync(new JobDefinition("transform"));
        var idle = await lib.Jobs.CreateAsync(new JobDefinition("idle"));
        await lib.Dependencies.AddAsync(transform.Id, extract.Id);
        var running = await lib.Runs.StartAsync((await lib.Runs.EnqueueAsync(extract.Id)).Run.Id, new WorkerId("w-1"));
        var waiting = (await lib.Runs.EnqueueAsync(transform.Id)).Run;
        _world = new World(
            lib,
            _services.GetRequiredService<WorkerRunService>(),
            _services.GetRequiredService<ScheduleService>(),
            Clients.Only(client),
            extract.Id,
            transform.Id,
            idle.Id,
            running.Id,
            waiting.Id);
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

    [TestCaseSource(nameof(Cases))]
    public async Task Bad_input_is_refused_for_its_reason_and_changes_nothing(BadInput bad)
    {
        var before = await SnapshotAsync();

        var error = await CaptureAsync(() => bad.Act(W));

        Assert.That(error, Is.TypeOf(bad.Throws), $"{bad.Name}: {error}");
        using (Assert.EnterMultipleScope())
        {
            var paramName = error switch
            {
                OrderLibValidationException validation => validation.ParamName,
                ArgumentException argument => argument.ParamName,
                _ => null,
            };
            Assert.That(paramName, Is.EqualTo(bad.ParamName), $"{bad.Name}: the error names the field");
            foreach (var part in bad.Says(W))
            {
                Assert.That(error!.Message, Does.Contain(part), $"{bad.Name}: the message names the rule");
            }

            Assert.That(await SnapshotAsync(), Is.EqualTo(before), $"{bad.Name}: nothing was written");
        }
    }

    [Test]
    public async Task A_ten_megabyte_error_text_is_stored_capped_and_marked()
    {
        var huge = new string('x', 10 * 1024 * 1024);

        var completion = await W.Workers.ReportFailedAsync(W.RunningRun, new WorkerId("w-1"), huge);

        var stored = (await W.Lib.Runs.GetAsync(completion.Run.Id)).Error;
        Assert.That(stored, Is.EqualTo(ExpectedCap(huge.Length)));
        Assert.That(TextRules.TextElementCount(stored!), Is.EqualTo(TextRules.MaxReportLength));
    }

    [Test]
    public async Task A_ten_megabyte_operator_error_text_and_cancel_reason_are_stored_capped_and_marked()
    {
        var huge = string.Concat(Enumerable.Repeat(Emoji, 5 * 1024 * 1024)); // 10 MB of UTF-16, 5,242,880 text elements

        var cancelled = await W.Lib.Runs.CancelAsync(W.WaitingRun, huge);
        var failed = await W.Lib.Runs.MarkFailedAsync(W.RunningRun, huge);

        using (Assert.EnterMultipleScope())
        {
            foreach (var stored in new[] { (await W.Lib.Runs.GetAsync(failed.Run.Id)).Error, (await W.Lib.Runs.GetAsync(cancelled.Id)).Error })
            {
                Assert.That(stored, Does.StartWith(Emoji + Emoji).And.EndWith("… [truncated: 5,242,880 characters in all]"));
                Assert.That(TextRules.TextElementCount(stored!), Is.EqualTo(TextRules.MaxReportLength));
            }
        }
    }

    [TestCase(int.MinValue)]
    [TestCase(int.MaxValue)]
    public async Task Any_priority_is_accepted_and_kept(int priority)
    {
        var job = await W.Lib.Jobs.CreateAsync(new JobDefinition("extreme") { Priority = priority });
        Assert.That((await W.Lib.Jobs.GetAsync(job.Id)).Priority, Is.EqualTo(priority));
    }

    /// <summary>The error text stored for <paramref name="length"/> 'x' characters: the head, then the mark, 8,000 in all.</summary>
    private static string ExpectedCap(int length)
    {
        var mark = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"… [truncated: {length:N0} characters in all]");
        return new string('x', TextRules.MaxReportLength - mark.Length) + mark;
    }

    /// <summary>The catalogue: each bad input with what it must be refused with.</summary>
    private static IEnumerable<TestCaseData> Cases() => Catalogue().Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    private static IEnumerable<BadInput> Catalogue()
    {
        const string name = nameof(JobDefinition.Name);
        const string description = nameof(JobDefinition.Description);
        const string schedule = nameof(JobDefinition.Schedule);
        const string nul = "NUL (U+0000)";
        const string surrogate = "lone UTF-16 surrogate";

        // Names
        yield return Invalid("name empty", w => Create(w, new JobDefinition("")), name, "must not be empty or blank");
        yield return Invalid("name blank", w => Create(w, new JobDefinition(" \t ")), name, "must not be empty or blank");
        yield return Invalid("name of 201 characters", w => Create(w, new JobDefinition(new string('n', 201))), name, "at most 200 characters (text elements); got 201");
        yield return Invalid("name of 201 emoji", w => Create(w, new JobDefinition(Repeat(Emoji, 201))), name, "at most 200 characters (text elements); got 201");
        yield return Invalid("name of 150 flags (300 code points)", w => Create(w, new JobDefinition(Repeat("\U0001F1EB\U0001F1F7", 150))), name, "200 Unicode code points", "got 150 text elements of 300 code points");
        yield return Invalid("name with NUL", w => Create(w, new JobDefinition("ex" + Nul + "tract")), name, nul);
        yield return Invalid("name with a lone high surrogate", w => Create(w, new JobDefinition("ex" + LoneHigh)), name, surrogate);
        yield return Invalid("name with a lone low surrogate", w => Create(w, new JobDefinition(LoneLow + "ex")), name, surrogate);
        yield return Invalid("update to a name with NUL", w => w.Lib.Jobs.UpdateAsync(w.Idle, new JobDefinition("idle" + Nul)), name, nul);
        yield return Invalid("find by a name with NUL", w => w.Lib.Jobs.FindByNameAsync("extract" + Nul), "name", nul);
        yield return Invalid("get by a name with a lone surrogate", w => w.Lib.Jobs.GetByNameAsync("extract" + LoneHigh), "name", surrogate);
        yield return Refused<DuplicateJobNameException>("create with a taken name", w => Create(w, new JobDefinition(" extract ")), _ => ["'extract'"]);
        yield return Refused<DuplicateJobNameException>("update to a taken name", w => w.Lib.Jobs.UpdateAsync(w.Idle, new JobDefinition("transform")), _ => ["'transform'"]);
        yield return Refused<JobNotFoundException>("get by an unknown name", w => w.Lib.Jobs.GetByNameAsync("never-created"), _ => ["'never-created'"]);

        // Descriptions
        yield return Invalid("description of 4001 characters", w => Create(w, new JobDefinition("d") { Description = new string('d', 4001) }), description, "at most 4000 characters (text elements); got 4001");
        yield return Invalid("description of 4001 emoji", w => Create(w, new JobDefinition("d") { Description = Repeat(Emoji, 4001) }), description, "at most 4000 characters (text elements); got 4001");
        yield return Invalid("description with NUL", w => Create(w, new JobDefinition("d") { Description = "a" + Nul }), description, nul);
        yield return Invalid("description with a lone surrogate", w => Create(w, new JobDefinition("d") { Description = "a" + LoneLow + "b" }), description, surrogate);

        // Schedules
        foreach (var (text, rule) in new[]
        {
            ("every 15", "every 15m"),
            ("every 15x", "units d, h, m, s"),
            ("61 * * * *", "not valid"),
            ("* * *", "5 fields"),
            ("@often", "not valid"),
            ("TZ=Mars/Olympus 0 3 * * *", "time zone 'Mars/Olympus' is unknown"),
            ("every 0s", "at least 1 second"),
            ("PT0.5S", "whole number of seconds"),
            ("P1Y", "no years or months"),
            ("every 100000000d", "at most 3650 days"),
            ("every 9999999d", "at most 3650 days"),
            ("every 3651d", "at most 3650 days"),
            ("P9999999D", "at most 3650 days"),
            ("0 0 30 2 *", "has no occurrence"),
            ("0 0 31 4 *", "has no occurrence"),
            ("TZ=Europe/Paris 0 0 30 2 *", "has no occurrence"),
        })
        {
            yield return Invalid($"schedule '{text}'", w => Create(w, new JobDefinition("s") { Schedule = text }), schedule, $"'{text}'", rule);
        }

        yield return Invalid("schedule blank", w => Create(w, new JobDefinition("s") { Schedule = "   " }), schedule, "must not be blank");
        yield return Invalid("schedule of 201 characters", w => Create(w, new JobDefinition("s") { Schedule = "every 1m" + new string(' ', 150) + new string('m', 43) }), schedule, "at most 200 characters (text elements); got 201");
        yield return Invalid("schedule with NUL", w => Create(w, new JobDefinition("s") { Schedule = "every 1m" + Nul }), schedule, nul);
        yield return Invalid("schedule with a lone surrogate", w => Create(w, new JobDefinition("s") { Schedule = "every 1m" + LoneHigh }), schedule, surrogate);
        yield return Invalid("update to a never-occurring cron", w => w.Lib.Jobs.UpdateAsync(w.Extract, new JobDefinition("extract") { Schedule = "0 0 30 2 *" }), schedule, "has no occurrence");
        yield return Invalid("update to an overflowing interval", w => w.Lib.Jobs.UpdateAsync(w.Idle, new JobDefinition("idle") { Schedule = "every 9999999d" }), schedule, "at most 3650 days");
        yield return Invalid("update of an unknown job to an overflowing interval (validation first)", w => w.Lib.Jobs.UpdateAsync(NoJob, new JobDefinition("x") { Schedule = "every 9999999d" }), schedule, "at most 3650 days");
        yield return Invalid("update of an unknown job to a never-occurring cron (validation first)", w => w.Lib.Jobs.UpdateAsync(NoJob, new JobDefinition("x") { Schedule = "0 0 30 2 *" }), schedule, "has no occurrence");
        yield return Invalid("update of an unknown job to bad syntax (validation first)", w => w.Lib.Jobs.UpdateAsync(NoJob, new JobDefinition("x") { Schedule = "every 15" }), schedule, "every 15m");
        yield return Refused<JobNotFoundException>("update of an unknown job", w => w.Lib.Jobs.UpdateAsync(NoJob, new JobDefinition("x") { Schedule = "every 1m" }), _ => [NoJob.ToString()]);

        // Max attempts
        yield return Invalid("max attempts 0", w => Create(w, new JobDefinition("m") { MaxAttempts = 0 }), nameof(JobDefinition.MaxAttempts), "at least 1; got 0");
        yield return Invalid("max attempts -1", w => Create(w, new JobDefinition("m") { MaxAttempts = -1 }), nameof(JobDefinition.MaxAttempts), "at least 1; got -1");
        yield return Invalid("max attempts int.MinValue on update", w => w.Lib.Jobs.UpdateAsync(w.Idle, new JobDefinition("idle") { MaxAttempts = int.MinValue }), nameof(JobDefinition.MaxAttempts), "at least 1");

        // Client ids
        yield return Invalid("client id empty", w => w.Lib.ForClient(new ClientId("")).Jobs.ListAsync(), "clientId", "must not be empty or blank");
        yield return Invalid("client id of 101 characters", w => w.Lib.ForClient(new ClientId(new string('c', 101))).Jobs.ListAsync(), "clientId", "at most 100 characters (text elements); got 101");
        yield return Invalid("client id with NUL", w => w.Lib.ForClient(new ClientId("acme" + Nul)).Jobs.ListAsync(), "clientId", nul);
        yield return Invalid("client id with a lone surrogate", w => w.Lib.ForClient(new ClientId(LoneLow + "acme")).Jobs.ListAsync(), "clientId", surrogate);
        yield return Invalid("served client id with NUL", w => w.Scheduler.EnqueueDueAsync(1, Clients.Only(new ClientId("a" + Nul))), "clientId", nul);
        yield return Invalid("no served clients", w => w.Workers.ClaimAsync(new WorkerId("w-9"), 1, Clients.Only()), "clients", "at least one client");

        // Worker ids
        yield return Invalid("worker id blank", w => w.Lib.Runs.StartAsync(w.WaitingRun, new WorkerId("  ")), "workerId", "empty or blank");
        yield return Invalid("worker id of 201 characters", w => w.Workers.ClaimAsync(new WorkerId(new string('w', 201)), 1, w.Served), "workerId", "at most 200 characters (text elements); got 201");
        yield return Invalid("worker id with NUL", w => w.Workers.ClaimAsync(new WorkerId("w" + Nul), 1, w.Served), "workerId", nul);
        yield return Invalid("worker id with a lone surrogate", w => w.Workers.HeartbeatAsync(w.RunningRun, new WorkerId("w-1" + LoneHigh)), "workerId", surrogate);

        // Error texts and reasons
        yield return Invalid("worker error text with NUL", w => w.Workers.ReportFailedAsync(w.RunningRun, new WorkerId("w-1"), "boom" + Nul), "errorText", nul);
        yield return Invalid("worker error text with a lone surrogate", w => w.Workers.ReportFailedAsync(w.RunningRun, new WorkerId("w-1"), "boom" + LoneHigh), "errorText", surrogate);
        yield return Invalid("worker error text with NUL on an unknown run (validation first)", w => w.Workers.ReportFailedAsync(NoRun, new WorkerId("w-1"), Nul), "errorText", nul);
        yield return Invalid("worker cancel reason with NUL", w => w.Workers.ReportCancelledAsync(w.RunningRun, new WorkerId("w-1"), "stop" + Nul), "reason", nul);
        yield return Invalid("worker cancel reason with a lone surrogate", w => w.Workers.ReportCancelledAsync(w.RunningRun, new WorkerId("w-1"), LoneLow), "reason", surrogate);
        yield return Invalid("operator error text with NUL", w => w.Lib.Runs.MarkFailedAsync(w.RunningRun, "boom" + Nul), "errorText", nul);
        yield return Invalid("operator error text with a lone surrogate", w => w.Lib.Runs.MarkFailedAsync(w.RunningRun, LoneHigh + "boom"), "errorText", surrogate);
        yield return Invalid("operator error text with NUL on an unknown run (validation first)", w => w.Lib.Runs.MarkFailedAsync(NoRun, Nul), "errorText", nul);
        yield return Invalid("cancel reason with NUL", w => w.Lib.Runs.CancelAsync(w.WaitingRun, "no" + Nul), "reason", nul);
        yield return Invalid("cancel reason with a lone surrogate", w => w.Lib.Runs.CancelAsync(w.RunningRun, "no" + LoneLow), "reason", surrogate);
        yield return Invalid("cancel reason with NUL on an unknown run (validation first)", w => w.Lib.Runs.CancelAsync(NoRun, Nul), "reason", nul);
        yield return BadInput.Of<ArgumentNullException>("operator error text null", w => w.Lib.Runs.MarkFailedAsync(w.RunningRun, null!), "errorText");
        yield return BadInput.Of<ArgumentNullException>("worker error text null", w => w.Workers.ReportFailedAsync(w.RunningRun, new WorkerId("w-1"), null!), "errorText");

        // Page limits
        foreach (var (operation, act) in new (string, Func<World, int, Task>)[]
        {
            ("Jobs.List", (w, limit) => w.Lib.Jobs.ListAsync(null, limit)),
            ("Runs.ListForJob", (w, limit) => w.Lib.Runs.ListForJobAsync(w.Extract, null, limit)),
            ("Runs.ListLatest", (w, limit) => w.Lib.Runs.ListLatestAsync(null, limit)),
            ("Runs.ListReady", (w, limit) => w.Lib.Runs.ListReadyAsync(limit)),
            ("Workers.Claim", (w, limit) => w.Workers.ClaimAsync(new WorkerId("w-9"), limit, w.Served)),
            ("Workers.RescueExpired", (w, limit) => w.Workers.RescueExpiredAsync(limit)),
            ("Scheduler.EnqueueDue", (w, limit) => w.Scheduler.EnqueueDueAsync(limit, w.Served)),
        })
        {
            yield return Invalid($"{operation} limit 0", w => act(w, 0), "limit", "1 to 1000 items; got 0");
            yield return Invalid($"{operation} limit 1001", w => act(w, 1001), "limit", "1 to 1000 items; got 1001");
        }

        yield return Invalid("Runs.ListForJob limit -1 of an unknown job (validation first)", w => w.Lib.Runs.ListForJobAsync(NoJob, null, -1), "limit", "got -1");

        // Cursors
        foreach (var (label, text) in new[]
        {
            ("a number", "42"),
            ("empty", ""),
            ("not base64url", "k1:5"),
            ("another prefix", Base64Url.EncodeToString(Encoding.UTF8.GetBytes("k2:5"))),
            ("a negative key", Base64Url.EncodeToString(Encoding.UTF8.GetBytes("k1:-5"))),
            ("an overflowing key", Base64Url.EncodeToString(Encoding.UTF8.GetBytes("k1:99999999999999999999"))),
            ("with NUL", "a" + Nul),
        })
        {
            yield return Invalid($"cursor {label}", w => w.Lib.Jobs.ListAsync(PageCursor.Parse(text)), "cursor", "not a page cursor");
        }

        // Dependencies
        yield return Refused<SelfDependencyException>("self dependency", w => w.Lib.Dependencies.AddAsync(w.Extract, w.Extract), w => ["itself"]);
        yield return Refused<DuplicateDependencyException>("duplicate dependency", w => w.Lib.Dependencies.AddAsync(w.Transform, w.Extract), w => ["already depends", w.Extract.ToString()]);
        yield return Refused<DependencyCycleException>("cyclic dependency", w => w.Lib.Dependencies.AddAsync(w.Extract, w.Transform), w => ["cycle", $"{w.Extract} -> {w.Transform} -> {w.Extract}"]);
        yield return Refused<JobNotFoundException>("dependency on an unknown job", w => w.Lib.Dependencies.AddAsync(w.Idle, NoJob), _ => [NoJob.ToString()]);
        yield return Refused<JobNotFoundException>("self dependency of an unknown job", w => w.Lib.Dependencies.AddAsync(NoJob, NoJob), _ => [NoJob.ToString()]);
        yield return Refused<DependencyNotFoundException>("removing a missing dependency", w => w.Lib.Dependencies.RemoveAsync(w.Extract, w.Transform), w => ["does not depend", w.Transform.ToString()]);
        yield return Refused<JobHasDependentsException>("deleting a job others depend on", w => w.Lib.Jobs.DeleteAsync(w.Extract), _ => ["'transform'", "RemoveDependencies"]);
        yield return Refused<JobHasActiveRunException>("deleting a job whose run is Running", w => w.Lib.Jobs.DeleteAsync(w.Extract, JobDeletion.RemoveDependencies), w => [w.RunningRun.ToString(), "Running", "CancelActiveRun"]);
        yield return Refused<JobHasActiveRunException>("deleting a job whose run is Pending", w => w.Lib.Jobs.DeleteAsync(w.Transform), w => [w.WaitingRun.ToString(), "Pending", "CancelActiveRun"]);

        // Graphs (Jobs.DefineGraphAsync): each refused as a whole, not even its valid jobs written
        yield return Refused<DuplicateJobInGraphException>("graph defining a name twice", w => Define(w, [new JobDefinition("fresh"), new JobDefinition(" fresh ")], []), _ => ["'fresh'", "more than once"]);
        yield return Refused<SelfDependencyInGraphException>("graph with a self dependency", w => Define(w, [new JobDefinition("fresh")], [("fresh", "fresh")]), _ => ["'fresh'", "itself"]);
        yield return Refused<DuplicateDependencyInGraphException>("graph listing a dependency twice", w => Define(w, [new JobDefinition("fresh")], [("fresh", "idle"), (" fresh", "idle ")]), _ => ["'fresh' cannot depend on 'idle'", "more than once"]);
        yield return Refused<UnknownJobInGraphException>("graph depending on an unknown job", w => Define(w, [new JobDefinition("fresh")], [("fresh", "extract"), ("fresh", "never-created")]), _ => ["'fresh' cannot depend on 'never-created'", "neither defined in the graph nor a job of the client"]);
        yield return Refused<UnknownJobInGraphException>("graph with an unknown dependent", w => Define(w, [], [("never-created", "extract")]), _ => ["'never-created'", "neither defined in the graph"]);
        yield return Refused<GraphCycleException>("graph closing a cycle within itself", w => Define(w, [new JobDefinition("p"), new JobDefinition("q")], [("p", "q"), ("q", "p")]), _ => ["cycle", "'p' -> 'q' -> 'p'"]);
        yield return Refused<GraphCycleException>("graph closing a cycle through an existing dependency", w => Define(w, [new JobDefinition("fresh")], [("fresh", "transform"), ("extract", "fresh")]), _ => ["cycle", "'fresh' -> 'transform' -> 'extract' -> 'fresh'"]);
        yield return Invalid("graph with a never-occurring cron", w => Define(w, [new JobDefinition("fresh"), new JobDefinition("s") { Schedule = "0 0 30 2 *" }], []), schedule, "has no occurrence");
        yield return Invalid("graph updating a job to a bad schedule", w => Define(w, [new JobDefinition("idle") { Schedule = "every 15" }], []), schedule, "every 15m");
        yield return Invalid("graph dependency naming a blank job", w => Define(w, [new JobDefinition("fresh")], [("fresh", "  ")]), nameof(GraphDependency.DependsOnName), "must not be empty or blank");
        yield return Invalid("graph dependency with NUL in its name", w => Define(w, [new JobDefinition("fresh")], [("fr" + Nul + "esh", "idle")]), nameof(GraphDependency.JobName), nul);
        yield return BadInput.Of<ArgumentNullException>("graph null", w => w.Lib.Jobs.DefineGraphAsync(null!), "graph");

        // Unknown ids
        yield return Refused<JobNotFoundException>("enqueue of an unknown job", w => w.Lib.Runs.EnqueueAsync(NoJob), _ => [NoJob.ToString()]);
        yield return Refused<JobNotFoundException>("trigger of an unknown job", w => w.Lib.Runs.TriggerAsync(NoJob), _ => [NoJob.ToString()]);
        yield return Refused<JobNotFoundException>("trigger of several jobs, one unknown", w => w.Lib.Runs.TriggerAsync([w.Idle, NoJob]), _ => [NoJob.ToString()]);
        yield return Invalid("trigger of an empty list of jobs", w => w.Lib.Runs.TriggerAsync([]), "jobIds", "at least one job id", "empty");
        yield return Invalid("trigger naming a job twice", w => w.Lib.Runs.TriggerAsync([w.Idle, w.Transform, w.Idle]), "jobIds", "listed twice", "each job once");
        yield return Invalid("trigger with an empty label", w => w.Lib.Runs.TriggerAsync(w.Idle, new TriggerOptions { Label = "" }), "label", "must not be empty");
        yield return Invalid("trigger with a label too long", w => w.Lib.Runs.TriggerAsync(w.Idle, new TriggerOptions { Label = new string('l', TriggerOptions.MaxLabelLength + 1) }), "label", "at most 200");
        yield return Invalid("trigger with NUL in its label", w => w.Lib.Runs.TriggerAsync(w.Idle, new TriggerOptions { Label = "a" + Nul }), "label", nul);
        yield return Invalid("pipeline run listing with its creation range the wrong way round", w => w.Lib.Pipelines.ListAsync(new PipelineRunSearch { Filter = new PipelineRunFilter { CreatedFrom = DateTimeOffset.UnixEpoch.AddDays(1), CreatedTo = DateTimeOffset.UnixEpoch } }), "createdTo", "comes before");
        yield return Invalid("pipeline run listing with an unknown state", w => w.Lib.Pipelines.ListAsync(new PipelineRunSearch { Filter = new PipelineRunFilter { States = new HashSet<PipelineRunState> { (PipelineRunState)42 } } }), "states", "not a pipeline run state");
        yield return Invalid("pipeline run listing with another listing's cursor", async w => await w.Lib.Pipelines.ListAsync(new PipelineRunSearch { Cursor = (await w.Lib.Jobs.ListAsync(limit: 1)).Next }), "cursor", "another listing");
        yield return Invalid("pipeline run listing with a page too large", w => w.Lib.Pipelines.ListAsync(new PipelineRunSearch { Limit = 1001 }), "limit", "1 to 1000");
        yield return Refused<PipelineRunNotFoundException>("get of an unknown pipeline run", w => w.Lib.Pipelines.GetAsync(new PipelineRunId(9_000_000_000_000_000_021)), _ => ["9000000000000000021"]);
        yield return Refused<PipelineRunNotFoundException>("cancel of an unknown pipeline run", w => w.Lib.Pipelines.CancelAsync(new PipelineRunId(9_000_000_000_000_000_021)), _ => ["9000000000000000021"]);
        yield return Refused<JobNotFoundException>("delete of an unknown job", w => w.Lib.Jobs.DeleteAsync(NoJob), _ => [NoJob.ToString()]);
        yield return Refused<RunNotFoundException>("start of an unknown run", w => w.Lib.Runs.StartAsync(NoRun, new WorkerId("w-9")), _ => [NoRun.ToString()]);
        yield return Refused<RunNotFoundException>("cancel of an unknown run", w => w.Lib.Runs.CancelAsync(NoRun), _ => [NoRun.ToString()]);
        yield return Refused<RunNotFoundException>("heartbeat of an unknown run", w => w.Workers.HeartbeatAsync(NoRun, new WorkerId("w-1")), _ => [NoRun.ToString()]);

        // Run states and leases
        yield return Refused<DependenciesNotSatisfiedException>("start of a run whose dependency has not succeeded", w => w.Lib.Runs.StartAsync(w.WaitingRun, new WorkerId("w-2")), _ => ["'extract' (latest run Running)"]);
        yield return Refused<IllegalRunTransitionException>("start of a running run", w => w.Lib.Runs.StartAsync(w.RunningRun, new WorkerId("w-2")), _ => ["Running", "Running"]);
        yield return Refused<IllegalRunTransitionException>("marking a pending run succeeded", w => w.Lib.Runs.MarkSucceededAsync(w.WaitingRun), _ => ["Pending", "Succeeded"]);
        yield return Refused<LeaseLostException>("completing with a lost lease", w => w.Workers.ReportSucceededAsync(w.RunningRun, new WorkerId("w-2")), _ => ["'w-2'", "held by 'w-1'"]);
        yield return Refused<LeaseLostException>("failing with a lost lease", w => w.Workers.ReportFailedAsync(w.RunningRun, new WorkerId("w-2"), "boom"), _ => ["'w-2'", "held by 'w-1'"]);
        yield return Refused<LeaseLostException>("heartbeat with a lost lease", w => w.Workers.HeartbeatAsync(w.RunningRun, new WorkerId("w-2")), _ => ["'w-2'", "held by 'w-1'"]);
        yield return Refused<LeaseLostException>("completing a pending run", w => w.Workers.ReportSucceededAsync(w.WaitingRun, new WorkerId("w-1")), _ => ["it is Pending"]);
    }

    private static BadInput Invalid(string name, Func<World, Task> act, string paramName, params string[] says) =>
        new(name, act, typeof(OrderLibValidationException), paramName, _ => says);

    private static BadInput Refused<TException>(string name, Func<World, Task> act, Func<World, string[]> says)
        where TException : OrderLibException =>
        new(name, act, typeof(TException), null, says);

    private static Task<Job> Create(World w, JobDefinition definition) => w.Lib.Jobs.CreateAsync(definition);

    // Builds the graph inside the act, so that a refusal by GraphDefinition itself is caught like the store's.
    private static Task<GraphDefinitionResult> Define(World w, JobDefinition[] jobs, (string JobName, string DependsOnName)[] dependencies) =>
        w.Lib.Jobs.DefineGraphAsync(new GraphDefinition(jobs, dependencies.Select(d => new GraphDependency(d.JobName, d.DependsOnName))));

    private static string Repeat(string text, int times) => string.Concat(Enumerable.Repeat(text, times));

    private static async Task<Exception?> CaptureAsync(Func<Task> act)
    {
        try
        {
            await act();
            return null;
        }
        catch (Exception error)
        {
            return error;
        }
    }

    /// <summary>Every job of the client with its dependencies and all its runs, as text.</summary>
    private async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        foreach (var job in (await W.Lib.Jobs.ListAsync(null, 1000)).Items)
        {
            text.AppendLine(job.ToString());
            text.AppendLine("  upstream: " + string.Join(", ", (await W.Lib.Dependencies.ListUpstreamAsync(job.Id)).Select(j => j.Id)));
            foreach (var run in (await W.Lib.Runs.ListForJobAsync(job.Id, null, 1000)).Items)
            {
                text.AppendLine("  " + run);
            }
        }

        return text.ToString();
    }

    /// <summary>One bad input.</summary>
    /// <param name="Name">What is wrong, for the test name.</param>
    /// <param name="Act">Calls the public API with it.</param>
    /// <param name="Throws">The exception type it must be refused with.</param>
    /// <param name="ParamName">The field a validation (or argument) error names; null for other errors.</param>
    /// <param name="Says">What the message must contain: the rule, and the field or id where the type does not name it.</param>
    public sealed record BadInput(string Name, Func<World, Task> Act, Type Throws, string? ParamName, Func<World, string[]> Says)
    {
        /// <summary>A case refused with <typeparamref name="TException"/> naming <paramref name="paramName"/>.</summary>
        public static BadInput Of<TException>(string name, Func<World, Task> act, string paramName)
            where TException : ArgumentException =>
            new(name, act, typeof(TException), paramName, _ => [paramName]);

        /// <summary>The name, for test listings.</summary>
        public override string ToString() => Name;
    }

    /// <summary>The client's services and the ids of its world.</summary>
    public sealed record World(
        IOrderLib Lib,
        WorkerRunService Workers,
        ScheduleService Scheduler,
        Clients Served,
        JobId Extract,
        JobId Transform,
        JobId Idle,
        RunId RunningRun,
        RunId WaitingRun);
}
