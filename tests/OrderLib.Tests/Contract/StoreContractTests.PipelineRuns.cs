using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

// Pipeline runs: what a trigger and a scheduled occurrence record (IRunStore.TriggerPipelinesAsync,
// IScheduleStore.EnqueueDueRunsAsync), what retries keep, and the reads and cancellation of IPipelineRunStore.
public abstract partial class StoreContractTests
{
    [Test]
    public async Task PipelineRun_OfATrigger_RecordsItsFieldsAndItsJobsInTopologicalOrder()
    {
        // Created downstream first, so job id order is the reverse of dependency order; c before b breaks the b/c tie.
        var d = await CreateJobAsync("d");
        var c = await CreateJobAsync("c");
        var b = await CreateJobAsync("b");
        var a = await CreateJobAsync("a");
        await DependAsync(b, a);
        await DependAsync(c, a);
        await DependAsync(d, b);
        await DependAsync(d, c);

        var triggered = await TriggerAsync([a.Id], 5, label: "nightly", input: """{"day":"2026-01-01"}""");
        var detail = await GetPipelineAsync(triggered.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(detail.Summary, Is.EqualTo(detail.Summary with
            {
                Id = triggered.Id,
                ClientId = Client,
                TriggerKind = PipelineTriggerKind.Manual,
                Label = "nightly",
                HasInput = true,
                CreatedAt = At(5),
                FinishedAt = null,
                State = PipelineRunState.Running,
                Counts = new PipelineRunCounts(4, 0, 0, 0, 0),
            }));
            Assert.That(detail.Summary.Roots, Is.EqualTo(new[] { new PipelineRunJobRef(a.Id, "a") }));
            Assert.That(detail.Input, Is.EqualTo(RunPayload.Parse("""{"day":"2026-01-01"}""")));
            Assert.That(detail.Jobs.Select(j => (j.Position, j.Job, j.IsRoot, j.Joined)), Is.EqualTo(new[]
            {
                (0, new PipelineRunJobRef(a.Id, "a"), true, false),
                (1, new PipelineRunJobRef(c.Id, "c"), false, false),
                (2, new PipelineRunJobRef(b.Id, "b"), false, false),
                (3, new PipelineRunJobRef(d.Id, "d"), false, false),
            }));
            Assert.That(detail.Jobs.Select(j => j.Runs), Is.EqualTo(triggered.Runs.Select(r => new[] { r.Run })), "each job with the run created for it");
            Assert.That(triggered.Runs.Select(r => r.Run.PipelineRunId), Is.All.EqualTo(triggered.Id), "every run created carries the pipeline run's id");
            Assert.That(triggered.Joined, Is.Empty);
            Assert.That(await GetRunAsync(triggered.Runs[3].Run), Is.EqualTo(triggered.Runs[3].Run), "as the store reads it back");
            foreach (var result in triggered.Runs)
            {
                Assert.That(await StoredInputAsync(result.Run.Id), Is.EqualTo("""{"day":"2026-01-01"}"""), "every run created carries the trigger's input");
            }
        }
    }

    [Test]
    public async Task PipelineRun_JoinsAJobsActiveRun_AndSaysWhichRunsItJoined()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var bPending = await EnqueueAsync(b, at: 1);

        var triggered = await TriggerAsync([a.Id, b.Id], 2);
        var detail = await GetPipelineAsync(triggered.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered.Joined, Is.EqualTo(new[] { bPending }));
            Assert.That(triggered.Created.Select(r => r.JobId), Is.EqualTo(new[] { a.Id, c.Id }));
            Assert.That(bPending.PipelineRunId, Is.Null, "a plain enqueue belongs to no pipeline run");
            Assert.That(detail.Jobs.Select(j => (j.Job.Id, j.IsRoot, j.Joined)), Is.EqualTo(new[] { (a.Id, true, false), (b.Id, true, true), (c.Id, false, false) }));
            Assert.That(detail.Jobs[1].Runs, Is.EqualTo(new[] { bPending }), "the joined run, unchanged");
            Assert.That(await StoredInputAsync(bPending.Id), Is.Null, "a joined run keeps its own input (none)");
            Assert.That(detail.Summary.Roots.Select(r => r.Id), Is.EqualTo(new[] { a.Id, b.Id }));
            Assert.That(detail.Summary.HasInput, Is.False);
            Assert.That(detail.Input, Is.Null);
        }
    }

    [Test]
    public async Task PipelineRun_IsNotCreatedByAPlainEnqueue()
    {
        var a = await CreateJobAsync("a");

        var run = await EnqueueAsync(a, at: 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.PipelineRunId, Is.Null);
            Assert.That(await ListPipelinesAsync(new PipelineRunFilter()), Is.Empty);
        }
    }

    [Test]
    public async Task PipelineRun_RetriesKeepItsId_OnEveryPathThatRetries()
    {
        var finished = await CreateJobAsync("finished", maxAttempts: 2);
        var completed = await CreateJobAsync("completed", maxAttempts: 2);
        var batched = await CreateJobAsync("batched", maxAttempts: 2);
        var rescued = await CreateJobAsync("rescued", maxAttempts: 2);
        var triggered = await TriggerAsync([finished.Id, completed.Id, batched.Id, rescued.Id], 1, input: "[1,2,3]");
        var runs = triggered.Runs.ToDictionary(r => r.Run.JobId, r => r.Run);

        var claimed = (await ClaimAsync(at: 2, lease: 10)).ToDictionary(c => c.Run.JobId, c => c.Run);
        Assert.That(claimed.Keys, Is.EquivalentTo(runs.Keys), "every first attempt is claimed");

        var retries = new List<JobRun?>
        {
            (await Runs.FinishRunAsync(Client, claimed[finished.Id].Id, RunStatus.Failed, "boom", null, At(3), NoDelay, None)).Retry,
        };
        retries.Add((await CompleteAsync(claimed[completed.Id], RunStatus.Failed, at: 5, error: "boom")).Retry);
        var batch = await Queue.CompleteRunsAsync([new RunOutcome(claimed[batched.Id].Id, new WorkerId("worker-1"), RunStatus.Failed, "boom")], At(5), NoDelay, None);
        retries.Add(batch[0].Completion?.Retry);
        retries.Add((await RescueAsync(at: 100)).Single(c => c.Run.JobId == rescued.Id).Retry);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(retries, Has.All.Not.Null);
            Assert.That(retries.Select(r => r?.PipelineRunId), Is.All.EqualTo(triggered.Id), "each retry belongs to the pipeline run of the run it retries");
            Assert.That(retries.Select(r => r?.Attempt), Is.All.EqualTo(2));
            foreach (var retry in retries)
            {
                Assert.That(await StoredInputAsync(retry!.Id), Is.EqualTo("[1,2,3]"), $"the retry of job {retry.JobId} carries the input of the run it retries");
            }
            var detail = await GetPipelineAsync(triggered.Id);
            Assert.That(detail.Jobs.Select(j => j.Runs.Count), Is.All.EqualTo(2), "each job's chain: the first attempt and its retry");
            Assert.That(detail.Summary.Counts, Is.EqualTo(new PipelineRunCounts(Pending: 4, Running: 0, Succeeded: 0, Failed: 4, Cancelled: 0)));
            Assert.That(detail.Summary.State, Is.EqualTo(PipelineRunState.Running));
        }
    }

    [Test]
    public async Task PipelineRun_State_FollowsEachJobsLatestAttempt()
    {
        var retried = await CreateJobAsync("retried", maxAttempts: 2);
        var failing = await CreateJobAsync("failing");
        var downstream = await CreateJobAsync("downstream");
        var cancelled = await CreateJobAsync("cancelled");
        await DependAsync(downstream, failing);

        // Retried then succeeded: Succeeded, finished at the success.
        var first = await TriggerAsync([retried.Id], 1);
        var retry = (await Runs.FinishRunAsync(Client, (await StartAsync(first.Runs[0].Run, at: 2)).Id, RunStatus.Failed, "boom", null, At(3), NoDelay, None)).Retry!;
        await FinishAsync(await StartAsync(retry, at: 4), RunStatus.Succeeded, at: 5);

        // Failed for good, its dependent cancelled by the cascade: Failed.
        var second = await TriggerAsync([failing.Id], 6);
        await FinishAsync(await StartAsync(second.Runs[0].Run, at: 7), RunStatus.Failed, at: 8, error: "boom");

        // Cancelled: Cancelled.
        var third = await TriggerAsync([cancelled.Id], 9);
        await Runs.CancelRunAsync(Client, third.Runs[0].Run.Id, "stop", At(10), None);

        var page = await ListPipelinesAsync(new PipelineRunFilter());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(page.Select(p => p.Id), Is.EqualTo(new[] { third.Id, second.Id, first.Id }), "newest first");
            Assert.That(page.Select(p => (p.State, p.FinishedAt)), Is.EqualTo(new (PipelineRunState, DateTimeOffset?)[]
            {
                (PipelineRunState.Cancelled, At(10)),
                (PipelineRunState.Failed, At(8)),
                (PipelineRunState.Succeeded, At(5)),
            }));
            Assert.That(page.Select(p => p.Counts), Is.EqualTo(new[]
            {
                new PipelineRunCounts(0, 0, 0, 0, 1),
                new PipelineRunCounts(0, 0, 0, 1, 1),
                new PipelineRunCounts(0, 0, 1, 1, 0),
            }));
        }
    }

    [Test]
    public async Task PipelineRun_OfAScheduledOccurrence_IsCreatedWithItsRun_ButNotWhenAnActiveRunAbsorbsIt()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var enqueued = await Schedules.EnqueueDueRunsAsync(At(600), Clients.Only(Client), 100, None);
        var absorbed = await Schedules.EnqueueDueRunsAsync(At(1200), Clients.Only(Client), 100, None);

        var created = enqueued.Single();
        var detail = await GetPipelineAsync(created.PipelineRunId!.Value);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(created.Enqueue.Run.PipelineRunId, Is.EqualTo(created.PipelineRunId));
            Assert.That(detail.Summary, Is.EqualTo(detail.Summary with
            {
                ClientId = Client,
                TriggerKind = PipelineTriggerKind.Schedule,
                Label = null,
                HasInput = false,
                CreatedAt = At(600),
                State = PipelineRunState.Running,
                Counts = new PipelineRunCounts(1, 0, 0, 0, 0),
            }));
            Assert.That(detail.Summary.Roots, Is.EqualTo(new[] { new PipelineRunJobRef(job.Id, "extract") }));
            Assert.That(detail.Jobs.Select(j => (j.Position, j.Job.Id, j.IsRoot, j.Joined)), Is.EqualTo(new[] { (0, job.Id, true, false) }));
            Assert.That(detail.Jobs[0].Runs, Is.EqualTo(new[] { created.Enqueue.Run }));
            Assert.That(await StoredInputAsync(created.Enqueue.Run.Id), Is.Null, "a scheduled run has no input");
            Assert.That(absorbed.Single().Enqueue.Created, Is.False);
            Assert.That(absorbed.Single().PipelineRunId, Is.Null, "an occurrence the active run absorbs creates no pipeline run");
            Assert.That(await ListPipelinesAsync(new PipelineRunFilter()), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task PipelineRun_Listing_FiltersAndPagesNewestFirst()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var scheduled = await CreateJobAsync("scheduled", at: 1, schedule: "every 10m");
        var p1 = await TriggerAsync([a.Id], 10, label: "x");
        await FinishAsync(await StartAsync(p1.Runs[0].Run, at: 11), RunStatus.Succeeded, at: 12);
        var p2 = await TriggerAsync([b.Id], 20, label: "y");
        var p3 = (await Schedules.EnqueueDueRunsAsync(At(600), Clients.Only(Client), 100, None)).Single().PipelineRunId!.Value;
        var p4 = await TriggerAsync([a.Id], 700, label: "x");

        async Task<PipelineRunId[]> IdsAsync(PipelineRunFilter filter, PipelineRunId? before = null, int limit = 100) =>
            (await Pipelines.ListPipelineRunsAsync(Client, filter, before, limit, None)).Select(p => p.Id).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await IdsAsync(new PipelineRunFilter()), Is.EqualTo(new[] { p4.Id, p3, p2.Id, p1.Id }));
            Assert.That(await IdsAsync(new PipelineRunFilter(), limit: 2), Is.EqualTo(new[] { p4.Id, p3 }), "first page");
            Assert.That(await IdsAsync(new PipelineRunFilter(), before: p3, limit: 2), Is.EqualTo(new[] { p2.Id, p1.Id }), "next page");
            Assert.That(await IdsAsync(new PipelineRunFilter { RootJobId = a.Id }), Is.EqualTo(new[] { p4.Id, p1.Id }));
            Assert.That(await IdsAsync(new PipelineRunFilter { TriggerKind = PipelineTriggerKind.Schedule }), Is.EqualTo(new[] { p3 }));
            Assert.That(await IdsAsync(new PipelineRunFilter { TriggerKind = PipelineTriggerKind.Manual, Label = "x" }), Is.EqualTo(new[] { p4.Id, p1.Id }));
            Assert.That(await IdsAsync(new PipelineRunFilter { CreatedFrom = At(20), CreatedTo = At(700) }), Is.EqualTo(new[] { p3, p2.Id }), "from included, to excluded");
            Assert.That(await IdsAsync(new PipelineRunFilter { States = new HashSet<PipelineRunState> { PipelineRunState.Succeeded } }), Is.EqualTo(new[] { p1.Id }));
            Assert.That(await IdsAsync(new PipelineRunFilter { States = new HashSet<PipelineRunState> { PipelineRunState.Running } }, limit: 2), Is.EqualTo(new[] { p4.Id, p3 }));
            Assert.That(await IdsAsync(new PipelineRunFilter { States = new HashSet<PipelineRunState> { PipelineRunState.Running } }, before: p3), Is.EqualTo(new[] { p2.Id }));
            Assert.That(await IdsAsync(new PipelineRunFilter { RootJobId = scheduled.Id, Label = "x" }), Is.Empty);
        }
    }

    [Test]
    public async Task PipelineRun_Cancel_CancelsItsPendingRunsWithTheirCascade_AndMarksItsRunningOnes_LeavingJoinedRunsAlone()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var joined = await CreateJobAsync("joined");
        await DependAsync(b, a);
        await DependAsync(joined, a);
        var joinedRun = await EnqueueAsync(joined, at: 1);
        var triggered = await TriggerAsync([a.Id], 2);
        var aRunning = await ClaimOnlyAsync(triggered.Runs[0].Run, at: 3);

        var cancellation = await Pipelines.CancelPipelineRunAsync(Client, triggered.Id, "not today", At(4), None);

        var bRun = triggered.Runs.Single(r => r.Run.JobId == b.Id).Run;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cancellation, Is.EqualTo(cancellation with { Id = triggered.Id }));
            Assert.That(cancellation.Cancelled, Is.EqualTo(new[] { bRun.Id }));
            Assert.That(cancellation.CancelRequested, Is.EqualTo(new[] { aRunning.Id }));
            Assert.That(cancellation.CancelledDownstream, Is.Empty);
            Assert.That(cancellation.JoinedLeftAlone, Is.EqualTo(new[] { joinedRun.Id }));
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(bRun with { Status = RunStatus.Cancelled, FinishedAt = At(4), Error = "not today" }));
            Assert.That(await GetRunAsync(aRunning), Is.EqualTo(aRunning with { CancelRequested = true }));
            Assert.That(await GetRunAsync(joinedRun), Is.EqualTo(joinedRun), "the joined run belongs to another trigger");
        }
    }

    [Test]
    public async Task PipelineRun_Cancel_OfPendingRuns_CascadesAsCancellingEachRunWould()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var cJoined = await EnqueueAsync(c, at: 1);
        var triggered = await TriggerAsync([a.Id], 2);
        var (aRun, bRun) = (triggered.Runs[0].Run, triggered.Runs[1].Run);

        var cancellation = await Pipelines.CancelPipelineRunAsync(Client, triggered.Id, "stop", At(3), None);
        var again = await Pipelines.CancelPipelineRunAsync(Client, triggered.Id, "stop", At(4), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cancellation.Cancelled, Is.EqualTo(new[] { aRun.Id, bRun.Id }));
            Assert.That(cancellation.CancelRequested, Is.Empty);
            Assert.That(cancellation.CancelledDownstream, Is.EqualTo(new[] { cJoined.Id }), "the cascade reaches a joined run downstream");
            Assert.That(cancellation.JoinedLeftAlone, Is.Empty, "the run it joined was cancelled by the cascade");
            Assert.That(await GetRunAsync(aRun), Is.EqualTo(aRun with { Status = RunStatus.Cancelled, FinishedAt = At(3), Error = "stop" }));
            Assert.That(await GetRunAsync(bRun), Is.EqualTo(CancelledByUpstream(bRun, "a", failed: false, at: 3)));
            Assert.That(await GetRunAsync(cJoined), Is.EqualTo(CancelledByUpstream(cJoined, "a", failed: false, at: 3)));
            Assert.That(new[] { again.Cancelled, again.CancelRequested, again.CancelledDownstream }, Has.All.Empty, "nothing is left to cancel");
            Assert.That(again.JoinedLeftAlone, Is.EqualTo(new[] { cJoined.Id }));
            var summary = (await GetPipelineAsync(triggered.Id)).Summary;
            Assert.That((summary.State, summary.FinishedAt, summary.Counts), Is.EqualTo((PipelineRunState.Cancelled, (DateTimeOffset?)At(3), new PipelineRunCounts(0, 0, 0, 0, 3))), "the joined run counts too");
        }
    }

    [Test]
    public async Task PipelineRun_OfAnotherClientOrUnknown_BehavesAsNotExisting()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var triggered = await Runs.TriggerPipelinesAsync(OtherClient, [theirs.Id], new PipelineTrigger(PipelineTriggerKind.Manual, "x", null), At(1), None);
        var unknown = new PipelineRunId(long.MaxValue);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Pipelines.GetPipelineRunAsync(Client, triggered.Id, None), Is.Null);
            Assert.That(await Pipelines.GetPipelineRunAsync(Client, unknown, None), Is.Null);
            Assert.That(await ListPipelinesAsync(new PipelineRunFilter()), Is.Empty);
            Assert.That(await ListPipelinesAsync(new PipelineRunFilter { RootJobId = theirs.Id }), Is.Empty);
            var foreign = Assert.ThrowsAsync<PipelineRunNotFoundException>(() => Pipelines.CancelPipelineRunAsync(Client, triggered.Id, null, At(2), None));
            Assert.That(foreign?.PipelineRunId, Is.EqualTo(triggered.Id));
            Assert.ThrowsAsync<PipelineRunNotFoundException>(() => Pipelines.CancelPipelineRunAsync(Client, unknown, null, At(2), None));
            Assert.That(await GetRunAsync(triggered.Runs[0].Run), Is.Null);
            Assert.That((await Runs.GetRunAsync(OtherClient, triggered.Runs[0].Run.Id, None))?.Status, Is.EqualTo(RunStatus.Pending), "their run is untouched");
        }
    }

    [Test]
    public async Task PipelineRun_TriggerWithABadLabel_IsRefusedAndWritesNothing()
    {
        var a = await CreateJobAsync("a");
        var tooLong = new PipelineTrigger(PipelineTriggerKind.Manual, new string('x', TriggerOptions.MaxLabelLength + 1), null);

        var error = Assert.ThrowsAsync<OrderLibValidationException>(() => Runs.TriggerPipelinesAsync(Client, [a.Id], tooLong, At(1), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error?.ParamName, Is.EqualTo("label"));
            Assert.That(await ListPipelinesAsync(new PipelineRunFilter()), Is.Empty);
            Assert.That(await Runs.ListRunsAsync(Client, a.Id, null, 10, None), Is.Empty);
        }
    }

    [Test]
    public async Task PipelineRun_ConcurrentTriggersOfOverlappingPipelines_EachGetOneAndSayWhichRunsTheyJoined()
    {
        for (var round = 0; round < 3; round++)
        {
            var a = await CreateJobAsync($"a-{round}");
            var b = await CreateJobAsync($"b-{round}");
            var c = await CreateJobAsync($"c-{round}");
            await DependAsync(b, a);
            await DependAsync(c, b);
            var roots = new[] { a.Id, b.Id };
            var results = new TriggeredPipeline[Racers];

            var outcomes = await RaceAsync(Racers, async i => results[i] = await TriggerAsync([roots[i % 2]], 1));

            Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(results.Select(r => r.Id).Distinct().Count(), Is.EqualTo(Racers), $"round {round}: one pipeline run per trigger");
                var created = results.SelectMany(r => r.Created).ToArray();
                Assert.That(created.Select(r => r.JobId), Is.EquivalentTo(new[] { a.Id, b.Id, c.Id }), $"round {round}: each job's run is created once");
                foreach (var result in results)
                {
                    foreach (var joinedRun in result.Joined)
                    {
                        Assert.That(created.Select(r => r.Id), Does.Contain(joinedRun.Id), $"round {round}: a joined run is one another trigger created");
                        Assert.That(joinedRun.PipelineRunId, Is.Not.EqualTo(result.Id));
                    }

                    var detail = await GetPipelineAsync(result.Id);
                    Assert.That(detail.Jobs.Select(j => (j.Job.Id, j.Joined, j.Runs[0].Id)), Is.EqualTo(result.Runs.Select(r => (r.Run.JobId, !r.Created, r.Run.Id))), $"round {round}: the record says what the result says");
                }
            }
        }
    }

    [Test]
    public async Task PipelineRun_IsPrunedWithItsLastRun_WhenCreatedBeforeTheCutOff()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var gone = await TriggerAsync([a.Id], 1);
        await FinishAsync(await StartAsync(gone.Runs[0].Run, at: 2), RunStatus.Succeeded, at: 3);
        await RunToEndAsync(a, RunStatus.Succeeded, at: 4);
        var kept = await TriggerAsync([b.Id], 5);
        await FinishAsync(await StartAsync(kept.Runs[0].Run, at: 6), RunStatus.Succeeded, at: 7);

        var deleted = (await PruneAllAsync(new PruneRequest(At(1000)))).SelectMany(batch => batch.Deleted).Select(run => run.RunId).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.EqualTo(new[] { gone.Runs[0].Run.Id }), "b's run is its job's latest: it stays");
            Assert.That(await Pipelines.GetPipelineRunAsync(Client, gone.Id, None), Is.Null, "no run of it is left");
            Assert.That((await ListPipelinesAsync(new PipelineRunFilter())).Select(p => p.Id), Is.EqualTo(new[] { kept.Id }));
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The input JSON the store holds for the run, or null.</summary>
    private async Task<string?> StoredInputAsync(RunId runId) => (await Runs.GetRunPayloadsAsync(Client, runId, None))?.Input?.Json;

    private Task<TriggeredPipeline> TriggerAsync(IReadOnlyCollection<JobId> jobIds, int at, string? label = null, string? input = null) =>
        Runs.TriggerPipelinesAsync(Client, jobIds, new PipelineTrigger(PipelineTriggerKind.Manual, label, input is null ? null : RunPayload.Parse(input)), At(at), None);

    private async Task<IReadOnlyList<EnqueueResult>> TriggerRunsAsync(IReadOnlyCollection<JobId> jobIds, int at) =>
        (await TriggerAsync(jobIds, at)).Runs;

    private async Task<PipelineRunDetail> GetPipelineAsync(PipelineRunId id) =>
        await Pipelines.GetPipelineRunAsync(Client, id, None) ?? throw new AssertionException($"Pipeline run {id} was not found.");

    private Task<IReadOnlyList<PipelineRunSummary>> ListPipelinesAsync(PipelineRunFilter filter) =>
        Pipelines.ListPipelineRunsAsync(Client, filter, null, 100, None);
}
