using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

/// <summary>
/// Paused jobs (<see cref="IJobStore.PauseJobAsync"/>, <see cref="IJobStore.ResumeJobAsync"/>): a paused job's runs are never
/// claimed, listed as ready or started, and its schedule enqueues nothing; runs already Running finish; runs created while it
/// is paused (enqueue, trigger, retry) are held until it is resumed.
/// </summary>
public abstract partial class StoreContractTests
{
    // ---------------------------------------------------------------- pause and resume themselves

    [Test]
    public async Task Pause_SetsPausedAt_KeepsEverythingElse_AndIsIdempotent()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var paused = await Jobs.PauseJobAsync(Client, job.Id, At(5), None);
        var pausedAgain = await Jobs.PauseJobAsync(Client, job.Id, At(9), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused, Is.EqualTo(job with { PausedAt = At(5) }), "only PausedAt changes, UpdatedAt and the due time included");
            Assert.That(paused.IsPaused, Is.True);
            Assert.That(paused.PausedAt?.Offset, Is.EqualTo(TimeSpan.Zero), "UTC");
            Assert.That(pausedAgain, Is.EqualTo(paused), "pausing a paused job keeps the time it was first paused at");
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(paused));
        }
    }

    [Test]
    public async Task Resume_ClearsPausedAt_AndResumingAJobThatIsNotPausedChangesNothing()
    {
        var job = await CreateJobAsync("extract", at: 1);
        var untouched = await Jobs.ResumeJobAsync(Client, job.Id, None);
        await Jobs.PauseJobAsync(Client, job.Id, At(5), None);

        var resumed = await Jobs.ResumeJobAsync(Client, job.Id, None);
        var resumedAgain = await Jobs.ResumeJobAsync(Client, job.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(untouched, Is.EqualTo(job));
            Assert.That(resumed, Is.EqualTo(job), "PausedAt is null again; nothing else changed");
            Assert.That(resumed.IsPaused, Is.False);
            Assert.That(resumedAgain, Is.EqualTo(job));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job));
        }
    }

    [Test]
    public async Task PauseAndResume_OfAnUnknownJobOrAnotherClientsJob_ThrowJobNotFound_AndChangeNothing()
    {
        var others = await CreateJobAsync("extract", client: OtherClient);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(
                () => Jobs.PauseJobAsync(Client, new JobId(long.MaxValue), At(1), None),
                Throws.TypeOf<JobNotFoundException>().With.Property(nameof(JobNotFoundException.JobId)).EqualTo(new JobId(long.MaxValue)));
            Assert.That(
                () => Jobs.PauseJobAsync(Client, others.Id, At(1), None),
                Throws.TypeOf<JobNotFoundException>().With.Property(nameof(JobNotFoundException.JobId)).EqualTo(others.Id));
            Assert.That(
                () => Jobs.ResumeJobAsync(Client, others.Id, None),
                Throws.TypeOf<JobNotFoundException>().With.Property(nameof(JobNotFoundException.JobId)).EqualTo(others.Id));
            Assert.That(await Jobs.GetJobAsync(OtherClient, others.Id, None), Is.EqualTo(others), "the other client's job is not paused");
        }
    }

    [Test]
    public async Task Pause_IsVisibleOnEveryJobRead_AndKeptByUpdatesAndGraphDefinitions()
    {
        var upstream = await CreateJobAsync("extract", at: 1);
        var dependent = await CreateJobAsync("load", at: 1);
        await DependAsync(dependent, upstream);

        var paused = await Jobs.PauseJobAsync(Client, upstream.Id, At(5), None);
        await AssertEveryReadShowsAsync(paused, dependent);
        var found = await History.SearchJobsAsync(Client, new JobFilter(), null, 10, None);
        Assert.That(found.Select(f => f.Job), Is.EqualTo(new[] { paused, dependent }), "job search");

        var updated = await Jobs.UpdateJobAsync(Client, upstream.Id, new JobDefinition("extract") { Priority = 3 }, At(7), None);
        var defined = await Deps.DefineGraphAsync(Client, new GraphDefinition([new JobDefinition("extract") { Priority = 4 }], []), At(8), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(paused with { Priority = 3, UpdatedAt = At(7) }), "an update keeps the pause");
            Assert.That(defined.Jobs.Single().Job, Is.EqualTo(paused with { Priority = 4, UpdatedAt = At(8) }), "a graph definition keeps the pause");
            Assert.That(await Jobs.GetJobAsync(Client, upstream.Id, None), Is.EqualTo(paused with { Priority = 4, UpdatedAt = At(8) }));
        }
    }

    // ---------------------------------------------------------------- what a pause holds

    [Test]
    public async Task PausedJob_ItsPendingRun_IsNeitherClaimedNorListedReadyNorStarted_UntilItIsResumed()
    {
        var job = await CreateJobAsync("extract");
        var run = await EnqueueAsync(job, at: 1);

        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty, "not listed as ready");
            Assert.That(await ClaimIdsAsync(at: 3), Is.Empty, "not claimed");
            Assert.That(
                () => StartAsync(run, at: 3),
                Throws.TypeOf<JobPausedException>()
                    .With.Property(nameof(JobPausedException.RunId)).EqualTo(run.Id)
                    .And.Property(nameof(JobPausedException.JobId)).EqualTo(job.Id)
                    .And.Property(nameof(JobPausedException.JobName)).EqualTo("extract")
                    .And.Property(nameof(JobPausedException.PausedAt)).EqualTo(At(2)));
            Assert.That(await GetRunAsync(run), Is.EqualTo(run), "the run stays pending, unchanged");
        }

        await Jobs.ResumeJobAsync(Client, job.Id, None);

        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { run.Id }), "ready again once resumed");
        await ClaimOnlyAsync(run, at: 4);
    }

    [Test]
    public async Task PausedJob_StartRefusal_NamesThePauseBeforeTheBackoffAndTheUpstreamJobs()
    {
        var upstream = await CreateJobAsync("extract");
        var job = await CreateJobAsync("load");
        await DependAsync(job, upstream);
        var run = await EnqueueAsync(job, at: 1);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        Assert.That(() => StartAsync(run, at: 3), Throws.TypeOf<JobPausedException>());

        await Jobs.ResumeJobAsync(Client, job.Id, None);

        Assert.That(() => StartAsync(run, at: 3), Throws.TypeOf<DependenciesNotSatisfiedException>(), "resumed, it still waits for its upstream job");
    }

    [Test]
    public async Task PausedJob_EnqueuedWhilePaused_GetsAPendingRunThatIsHeldUntilResumed()
    {
        var job = await CreateJobAsync("extract");
        await Jobs.PauseJobAsync(Client, job.Id, At(1), None);

        var enqueued = await Runs.EnqueueRunAsync(Client, job.Id, null, At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued.Created, Is.True);
            Assert.That(enqueued.Run.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
            Assert.That(await ClaimIdsAsync(at: 3), Is.Empty);
        }

        await Jobs.ResumeJobAsync(Client, job.Id, None);
        await ClaimOnlyAsync(enqueued.Run, at: 4);
    }

    [Test]
    public async Task PausedJob_WaitingOnItsUpstreamJob_IsReadyOnlyOnceBothTheUpstreamJobSucceededAndItIsResumed()
    {
        var upstream = await CreateJobAsync("extract");
        var job = await CreateJobAsync("load");
        await DependAsync(job, upstream);
        var upstreamRun = await EnqueueAsync(upstream, at: 1);
        var run = await EnqueueAsync(job, at: 1);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        await FinishAsync(await StartAsync(upstreamRun, at: 3), RunStatus.Succeeded, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.Empty, "the upstream job succeeded, but the job is paused");

        await Jobs.ResumeJobAsync(Client, job.Id, None);
        Assert.That(await ReadyRunIdsAsync(at: 6), Is.EqualTo(new[] { run.Id }));

        await Jobs.PauseJobAsync(Client, job.Id, At(7), None);
        await Jobs.PauseJobAsync(Client, job.Id, At(8), None);
        await Jobs.ResumeJobAsync(Client, job.Id, None);
        Assert.That(await ReadyRunIdsAsync(at: 9), Is.EqualTo(new[] { run.Id }), "pausing twice is held once: one resume releases it");
    }

    [Test]
    public async Task PausedJob_ResumedWhileItsUpstreamJobHasNotSucceeded_StillWaitsForIt()
    {
        var upstream = await CreateJobAsync("extract");
        var job = await CreateJobAsync("load");
        await DependAsync(job, upstream);
        var upstreamRun = await EnqueueAsync(upstream, at: 1);
        var run = await EnqueueAsync(job, at: 1);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);
        await Jobs.ResumeJobAsync(Client, job.Id, None);

        Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { upstreamRun.Id }), "the job's run still waits for its upstream job");

        await FinishAsync(await StartAsync(upstreamRun, at: 3), RunStatus.Succeeded, at: 4);
        Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task PausedJob_GraphChangesWhileItIsPaused_KeepItsRunHeld_AndTheResumeReleasesIt()
    {
        var upstream = await CreateJobAsync("extract");
        var deleted = await CreateJobAsync("fetch");
        var job = await CreateJobAsync("load");
        await DependAsync(job, deleted);
        var run = await EnqueueAsync(job, at: 1);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        await DependAsync(job, upstream, at: 3);
        await Deps.RemoveDependencyAsync(Client, job.Id, upstream.Id, None);
        await Jobs.DeleteJobAsync(Client, deleted.Id, JobDeletion.RemoveDependencies, None);
        await Deps.DefineGraphAsync(Client, new GraphDefinition([new JobDefinition("load") { Priority = 2 }], [new GraphDependency("load", "extract")]), At(4), None);
        await RunToEndAsync(upstream, RunStatus.Succeeded, at: 5);

        Assert.That(await ReadyRunIdsAsync(at: 6), Is.Empty, "every wait it had is gone but the pause");

        await Jobs.ResumeJobAsync(Client, job.Id, None);
        Assert.That(await ReadyRunIdsAsync(at: 7), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task PausedJob_ItsRunningRunFinishesNormally_AndASuccessStillReleasesItsDependents()
    {
        var job = await CreateJobAsync("extract");
        var dependent = await CreateJobAsync("load");
        await DependAsync(dependent, job);
        var running = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1);
        var dependentRun = await EnqueueAsync(dependent, at: 1);

        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);
        var heartbeat = await HeartbeatAsync(running, at: 3);
        var completion = await CompleteAsync(running, RunStatus.Succeeded, at: 4);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(heartbeat.Run.Status, Is.EqualTo(RunStatus.Running), "its worker keeps it");
            Assert.That(completion.Run.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { dependentRun.Id }), "the pause holds the job's own runs only");
        }
    }

    /// <summary>How a test ends a running run as a failure with attempts left.</summary>
    public enum FailureKind
    {
        /// <summary>An operator's <see cref="IRunStore.FinishRunAsync"/>.</summary>
        Finish,

        /// <summary>The worker's <see cref="IRunQueueStore.CompleteRunAsync"/>.</summary>
        Complete,

        /// <summary>The worker's batched <see cref="IRunQueueStore.CompleteRunsAsync"/>.</summary>
        CompleteBatch,

        /// <summary>A rescue after the lease expired (<see cref="IRunQueueStore.RescueExpiredRunsAsync"/>).</summary>
        Rescue,
    }

    [TestCase(FailureKind.Finish)]
    [TestCase(FailureKind.Complete)]
    [TestCase(FailureKind.CompleteBatch)]
    [TestCase(FailureKind.Rescue)]
    public async Task PausedJob_AFailedAttemptsRetry_IsCreatedButHeldUntilResumed(FailureKind kind)
    {
        var job = await CreateJobAsync("flaky", maxAttempts: 2);
        var running = await ClaimOnlyAsync(await EnqueueAsync(job, at: 1), at: 1, lease: 10);
        await Jobs.PauseJobAsync(Client, job.Id, At(2), None);

        var retry = kind switch
        {
            FailureKind.Finish => (await Runs.FinishRunAsync(Client, running.Id, RunStatus.Failed, "boom", null, At(20), NoDelay, None)).Retry,
            FailureKind.Complete => (await CompleteAsync(running, RunStatus.Failed, at: 20, error: "boom")).Retry,
            FailureKind.CompleteBatch => (await Queue.CompleteRunsAsync([new RunOutcome(running.Id, new WorkerId("worker-1"), RunStatus.Failed, "boom")], At(20), NoDelay, None))[0].Completion!.Retry,
            _ => (await RescueAsync(at: 20)).Single().Retry,
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(retry, Is.Not.Null);
            Assert.That(retry!.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(retry.Attempt, Is.EqualTo(2));
            Assert.That(await ReadyRunIdsAsync(at: 21), Is.Empty, "the retry is held");
            Assert.That(await ClaimIdsAsync(at: 21), Is.Empty);
        }

        await Jobs.ResumeJobAsync(Client, job.Id, None);
        await ClaimOnlyAsync(retry!, at: 22);
    }

    [Test]
    public async Task PausedJob_TriggeredInAPipeline_GetsItsPendingRun_HeldUntilResumed_WhileItsDependentsWaitForIt()
    {
        var root = await CreateJobAsync("extract");
        var dependent = await CreateJobAsync("load");
        await DependAsync(dependent, root);
        await Jobs.PauseJobAsync(Client, root.Id, At(1), None);

        var triggered = await Runs.TriggerPipelinesAsync(Client, [root.Id], PipelineTrigger.Manual(new TriggerOptions()), At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered.Runs.Select(t => (t.Run.JobId, t.Created, t.Run.Status)), Is.EqualTo(new[] { (root.Id, true, RunStatus.Pending), (dependent.Id, true, RunStatus.Pending) }));
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty, "the root is paused, its dependent waits for it");
        }

        await Jobs.ResumeJobAsync(Client, root.Id, None);
        Assert.That(await ReadyRunIdsAsync(at: 4), Is.EqualTo(new[] { triggered.Runs[0].Run.Id }));
    }

    [Test]
    public async Task PausedJob_IsNeverEnqueuedByTheScheduler_NorCountedInTheEarliestDueTime_AndResumedEnqueuesOnceForEveryMissedOccurrence()
    {
        var paused = await CreateJobAsync("extract", at: 1, schedule: "every 10m");
        var other = await CreateJobAsync("report", at: 1, schedule: "every 1h");
        await Jobs.PauseJobAsync(Client, paused.Id, At(2), None);

        var whilePaused = await EnqueueDueAsync(at: 3 * TenMinutes);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whilePaused, Is.Empty, "due at 600, 1200 and 1800, but paused");
            Assert.That((await Jobs.GetJobAsync(Client, paused.Id, None))!.NextDueAt, Is.EqualTo(At(TenMinutes)), "its due time stays where it was");
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.EqualTo(At(3600)), "the paused job's past due time does not count");
            Assert.That(await Runs.ListRunsAsync(Client, paused.Id, null, 10, None), Is.Empty);
        }

        await Jobs.PauseJobAsync(Client, other.Id, At(4), None);
        Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.Null, "every scheduled job is paused");

        await Jobs.ResumeJobAsync(Client, paused.Id, None);
        Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.EqualTo(At(TenMinutes)));
        var afterResume = await EnqueueDueAsync(at: (3 * TenMinutes) + 5);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterResume.Select(e => (e.JobId, e.DueAt, e.NextDueAt, e.Enqueue.Created)), Is.EqualTo(new[] { (paused.Id, At(TenMinutes), (DateTimeOffset?)At(4 * TenMinutes), true) }), "one run for the missed occurrences");
            Assert.That(await EnqueueDueAsync(at: (3 * TenMinutes) + 6), Is.Empty, "the missed occurrences collapsed into that one");
            Assert.That(await Runs.ListRunsAsync(Client, paused.Id, null, 10, None), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Concurrency_PausesResumesAndEnqueuesAtOnce_LeaveTheRunHeldExactlyWhileTheJobIsPaused()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var job = await CreateJobAsync($"extract-{round}");

            var outcomes = await RaceAsync(Racers, i => (i % 3) switch
            {
                0 => (Task)Jobs.PauseJobAsync(Client, job.Id, At(1), None),
                1 => Jobs.ResumeJobAsync(Client, job.Id, None),
                _ => Runs.EnqueueRunAsync(Client, job.Id, null, At(1), None),
            });

            var run = (await Runs.ListRunsAsync(Client, job.Id, null, 10, None)).Single();
            var paused = (await Jobs.GetJobAsync(Client, job.Id, None))!.IsPaused;
            var readyAsItIs = (await ReadyRunIdsAsync(at: 2)).Contains(run.Id);
            await Jobs.PauseJobAsync(Client, job.Id, At(3), None);
            var readyPaused = (await ReadyRunIdsAsync(at: 4)).Contains(run.Id);
            await Jobs.ResumeJobAsync(Client, job.Id, None);
            var readyResumed = (await ReadyRunIdsAsync(at: 5)).Contains(run.Id);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
                Assert.That(readyAsItIs, Is.EqualTo(!paused), $"round {round}: held exactly while paused (paused: {paused})");
                Assert.That(readyPaused, Is.False, $"round {round}: paused again");
                Assert.That(readyResumed, Is.True, $"round {round}: resumed");
            }
        }
    }

    // ---------------------------------------------------------------- statistics and search

    [Test]
    public async Task Statistics_QueueDepth_CountsAPausedJobsPendingRunAsPausedOnly()
    {
        var upstream = await CreateJobAsync("extract");
        var waiting = await CreateJobAsync("load");
        var pausedWaiting = await CreateJobAsync("report");
        var pausedReady = await CreateJobAsync("archive");
        var pausedRunning = await CreateJobAsync("clean");
        await DependAsync(waiting, upstream);
        await DependAsync(pausedWaiting, upstream);
        await EnqueueAsync(upstream, at: 1);
        await EnqueueAsync(waiting, at: 1);
        await EnqueueAsync(pausedWaiting, at: 1);
        await EnqueueAsync(pausedReady, at: 1);
        await StartAsync(await EnqueueAsync(pausedRunning, at: 1), at: 1);
        foreach (var job in new[] { pausedWaiting, pausedReady, pausedRunning })
        {
            await Jobs.PauseJobAsync(Client, job.Id, At(2), None);
        }

        var stats = await History.GetStatisticsAsync(Client, new StatisticsQuery(At(0), At(100)), At(10), None);

        Assert.That(stats.Queue, Is.EqualTo(new QueueDepth(Ready: 1, WaitingOnUpstream: 1, Paused: 2, ScheduledLater: 0, Running: 1, OldestReadySince: At(1))));
    }

    [Test]
    public async Task SearchJobs_ByPaused_FindsThePausedJobsOrTheOthers()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");
        var report = await CreateJobAsync("report");
        await Jobs.PauseJobAsync(Client, load.Id, At(1), None);
        await Jobs.PauseJobAsync(Client, report.Id, At(1), None);
        await Jobs.ResumeJobAsync(Client, report.Id, None);

        async Task<JobId[]> FoundAsync(bool? paused) =>
            (await History.SearchJobsAsync(Client, new JobFilter { Paused = paused }, null, 10, None)).Select(f => f.Job.Id).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await FoundAsync(true), Is.EqualTo(new[] { load.Id }));
            Assert.That(await FoundAsync(false), Is.EqualTo(new[] { extract.Id, report.Id }));
            Assert.That(await FoundAsync(null), Is.EqualTo(new[] { extract.Id, load.Id, report.Id }));
            Assert.That(await History.CountJobsAsync(Client, new JobFilter { Paused = true }, None), Is.EqualTo(1));
            Assert.That(await History.CountJobsAsync(Client, new JobFilter { Paused = false }, None), Is.EqualTo(2));
        }
    }
}
