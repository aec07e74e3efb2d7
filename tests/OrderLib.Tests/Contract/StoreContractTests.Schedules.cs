using System.Collections.Concurrent;
using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

/// <summary>
/// Scheduled jobs: the next due time a job keeps (<see cref="Job.NextDueAt"/>) and <see cref="IScheduleStore"/>.
/// <see cref="T0"/> is 2026-01-01 00:00:00 UTC, a Thursday in winter (Europe/Paris is UTC+1). The scheduler is not
/// scoped to a client and the PostgreSQL fixture shares one database, so every call names this test's clients,
/// except the one that proves "null serves all clients", which runs a month before <see cref="T0"/>, where no other test
/// has a job due.
/// </summary>
public abstract partial class StoreContractTests
{
    private const int TenMinutes = 600;
    private const int Day = 86_400;

    // ---------------------------------------------------------------- next due time on create, update and every read

    [TestCase("every 10m", 1, 600)]
    [TestCase("every 10m", 600, 1200, Description = "strictly after: created on an occurrence, first due at the next one")]
    [TestCase("PT15M", 0, 900)]
    [TestCase("every 1h30m", 1, 5400, Description = "intervals are aligned to the Unix epoch, not to the creation time")]
    [TestCase("*/30 * * * * *", 1, 30, Description = "six fields: seconds first")]
    [TestCase("0 3 * * *", 1, 3 * 3600)]
    [TestCase("0 3 * * *", 3 * 3600, Day + (3 * 3600))]
    [TestCase("TZ=Europe/Paris 0 3 * * *", 1, 2 * 3600, Description = "03:00 in Paris in winter is 02:00 UTC")]
    [TestCase("TZ=Europe/Paris 0 3 * * *", 2 * 3600, Day + (2 * 3600))]
    [TestCase("TZ=Europe/Paris 0 3 * * *", (86 * Day) + (2 * 3600) + 1, (87 * Day) + 3600, Description = "28 March 03:00 CET was 02:00 UTC; 29 March 03:00 CEST is 01:00 UTC")]
    public async Task Schedule_CreateJob_IsFirstDueAtTheScheduleNextOccurrence(string schedule, int createdAt, int dueAt)
    {
        var job = await Jobs.CreateJobAsync(Client, new JobDefinition("scheduled") { Schedule = schedule }, At(createdAt), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Schedule, Is.EqualTo(schedule));
            Assert.That(job.NextDueAt, Is.EqualTo(At(dueAt)));
            Assert.That(job.NextDueAt?.Offset, Is.EqualTo(TimeSpan.Zero), "due times are UTC");
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job));
        }
    }

    [Test]
    public async Task Schedule_CreateJobWithoutSchedule_IsNeverDue()
    {
        var job = await CreateJobAsync("manual", at: 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.NextDueAt, Is.Null);
            Assert.That(await EnqueueDueAsync(100 * Day), Is.Empty);
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.Null);
        }
    }

    [Test]
    public async Task Schedule_EveryJobRead_ShowsTheNextDueTime_BeforeAndAfterTheSchedulerAdvancesIt()
    {
        var upstream = await CreateJobAsync("extract", at: 1, schedule: "every 10m");
        var dependent = await CreateJobAsync("load", at: 1, schedule: "0 3 * * *");
        await DependAsync(dependent, upstream);

        await AssertEveryReadShowsAsync(upstream with { NextDueAt = At(600) }, dependent with { NextDueAt = At(3 * 3600) });

        await EnqueueDueAsync(600);

        await AssertEveryReadShowsAsync(upstream with { NextDueAt = At(1200) }, dependent with { NextDueAt = At(3 * 3600) });
    }

    [Test]
    public async Task Schedule_UpdateWithTheSameSchedule_KeepsTheDueTimeEvenWhenItHasPassed()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("extract") { Priority = 5, Schedule = "every 10m" }, At(700), None);

        var expected = job with { Priority = 5, UpdatedAt = At(700), NextDueAt = At(600) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(expected));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(expected));
        }

        var enqueued = await EnqueueDueAsync(700);
        Assert.That(enqueued.Select(e => (e.JobId, e.DueAt)), Is.EqualTo(new[] { (job.Id, At(600)) }), "the occurrence an edit passed over is still enqueued");
    }

    [Test]
    public async Task Schedule_UpdateWithTheSameSchedule_GivesAJobWithoutADueTimeOne()
    {
        // A yearly schedule created in December 9999 has no further occurrence the calendar can hold: scheduled, never due.
        const string yearly = "0 0 1 1 *";
        var job = await Jobs.CreateJobAsync(Client, new JobDefinition("yearly") { Schedule = yearly }, new DateTimeOffset(9999, 12, 1, 0, 0, 0, TimeSpan.Zero), None);
        _testJobs.Add(job.Id);
        Assert.That((job.Schedule, job.NextDueAt), Is.EqualTo((yearly, (DateTimeOffset?)null)), "precondition: a scheduled job without a due time");

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("yearly") { Schedule = yearly }, At(0), None);

        var expected = job with { UpdatedAt = At(0), NextDueAt = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(expected), "the unchanged schedule is computed from now, as for a job that never had a due time");
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(expected));
        }
    }

    [TestCase("every 10m", "every 15m", 1000, 1800)]
    [TestCase("every 10m", "0 3 * * *", 1000, 3 * 3600)]
    [TestCase("0 3 * * *", "TZ=Europe/Paris 0 3 * * *", 1000, 2 * 3600)]
    [TestCase(null, "every 10m", 1000, 1200)]
    public async Task Schedule_UpdateWithAChangedSchedule_RecomputesTheDueTimeFromNow(string? before, string after, int updatedAt, int dueAt)
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: before);

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("extract") { Schedule = after }, At(updatedAt), None);

        var expected = job with { Schedule = after, UpdatedAt = At(updatedAt), NextDueAt = At(dueAt) };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(expected));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task Schedule_UpdateRemovingTheSchedule_ClearsTheDueTimeAndTheJobIsNeverDue()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("extract"), At(700), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(job with { Schedule = null, UpdatedAt = At(700), NextDueAt = null }));
            Assert.That(await EnqueueDueAsync(100 * Day), Is.Empty);
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.Empty);
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.Null);
        }
    }

    [Test]
    public async Task Schedule_DeletedJob_IsNeverDue()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        await Jobs.DeleteJobAsync(Client, job.Id, JobDeletion.None, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await EnqueueDueAsync(100 * Day), Is.Empty);
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.Null);
        }
    }

    // ---------------------------------------------------------------- enqueueing due runs

    [Test]
    public async Task Schedule_EnqueueDue_BeforeTheDueTime_DoesNothing()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var enqueued = await EnqueueDueAsync(599);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued, Is.Empty);
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.Empty);
        }
    }

    [Test]
    public async Task Schedule_EnqueueDue_AtTheDueTime_CreatesOnePendingRunAndAdvancesToTheNextOccurrence()
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");

        var enqueued = await EnqueueDueAsync(600);

        Assert.That(enqueued, Has.Count.EqualTo(1));
        var run = JobRun.CreatePending(enqueued[0].Enqueue.Run.Id, job.Id, attempt: 1, At(600)) with { PipelineRunId = await OnlyPipelineRunIdAsync() };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued[0], Is.EqualTo(new ScheduledEnqueue(Client, job.Id, "extract", At(600), At(1200), new EnqueueResult(run, Created: true))));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.EqualTo(new[] { run }));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job with { NextDueAt = At(1200) }), "only the due time changes");
            Assert.That(await EnqueueDueAsync(600), Is.Empty, "the occurrence is consumed");
            Assert.That(await EnqueueDueAsync(1199), Is.Empty);
        }
    }

    [TestCase("every 10m", 600, (3 * 3600) + 5, (3 * 3600) + 600, Description = "18 missed occurrences")]
    [TestCase("every 10m", 600, 1200, 1800, Description = "one missed occurrence, called exactly on the next one")]
    [TestCase("0 3 * * *", 3 * 3600, (3 * Day) + (3 * 3600) + 1, (4 * Day) + (3 * 3600), Description = "three days down")]
    public async Task Schedule_EnqueueDue_AfterDowntime_CollapsesMissedOccurrencesIntoOneRun(string schedule, int dueAt, int now, int nextDueAt)
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: schedule);
        Assert.That(job.NextDueAt, Is.EqualTo(At(dueAt)));

        var enqueued = await EnqueueDueAsync(now);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued.Select(e => (e.JobId, e.DueAt, e.NextDueAt, e.Enqueue.Created)), Is.EqualTo(new[] { (job.Id, At(dueAt), (DateTimeOffset?)At(nextDueAt), true) }));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Has.Count.EqualTo(1), "one run, not one per missed occurrence");
            Assert.That((await Jobs.GetJobAsync(Client, job.Id, None))?.NextDueAt, Is.EqualTo(At(nextDueAt)), "next due after now");
            Assert.That(await EnqueueDueAsync(now), Is.Empty);
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    public async Task Schedule_EnqueueDue_JobWithAnActiveRun_ConsumesTheOccurrenceWithoutASecondRun(RunStatus status)
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");
        var active = await RunInStatusAsync(job, status, at: 10);

        var enqueued = await EnqueueDueAsync(600);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued, Is.EqualTo(new[] { new ScheduledEnqueue(Client, job.Id, "extract", At(600), At(1200), new EnqueueResult(active, Created: false)) }));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.EqualTo(new[] { active }));
            Assert.That((await Jobs.GetJobAsync(Client, job.Id, None))?.NextDueAt, Is.EqualTo(At(1200)), "the occurrence is consumed");
            Assert.That(await EnqueueDueAsync(600), Is.Empty);
        }
    }

    [TestCase(RunStatus.Succeeded)]
    [TestCase(RunStatus.Failed)]
    [TestCase(RunStatus.Cancelled)]
    public async Task Schedule_EnqueueDue_JobWhoseLatestRunEnded_GetsANewRun(RunStatus status)
    {
        var job = await CreateJobAsync("extract", at: 1, schedule: "every 10m");
        var ended = await RunInStatusAsync(job, status, at: 10);

        var enqueued = await EnqueueDueAsync(600);

        Assert.That(enqueued, Has.Count.EqualTo(1));
        var run = JobRun.CreatePending(enqueued[0].Enqueue.Run.Id, job.Id, attempt: 1, At(600)) with { PipelineRunId = await OnlyPipelineRunIdAsync() };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued[0].Enqueue, Is.EqualTo(new EnqueueResult(run, Created: true)));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Is.EqualTo(new[] { run, ended }));
        }
    }

    [Test]
    public async Task Schedule_EnqueueDue_TakesAtMostLimitJobs_EarliestDueFirstThenJobId()
    {
        var every20A = await CreateJobAsync("every-20-a", at: 1, schedule: "every 20m"); // due 1200
        var every10 = await CreateJobAsync("every-10", at: 1, schedule: "every 10m"); // due 600
        var every20B = await CreateJobAsync("every-20-b", at: 1, schedule: "every 20m"); // due 1200
        var every5 = await CreateJobAsync("every-5", at: 1, schedule: "every 5m"); // due 300
        await CreateJobAsync("later", at: 1, schedule: "every 30m"); // due 1800: not due

        var first = await EnqueueDueAsync(1200, limit: 3);
        var second = await EnqueueDueAsync(1200, limit: 3);
        var third = await EnqueueDueAsync(1200, limit: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Select(e => (e.JobId, e.DueAt)), Is.EqualTo(new[] { (every5.Id, At(300)), (every10.Id, At(600)), (every20A.Id, At(1200)) }));
            Assert.That(second.Select(e => (e.JobId, e.DueAt)), Is.EqualTo(new[] { (every20B.Id, At(1200)) }), "the job left over by the limit, and nothing advanced past now again");
            Assert.That(third, Is.Empty);
        }
    }

    [Test]
    public async Task Schedule_EnqueueDue_ServesOnlyTheClientsAsked()
    {
        var mine = await CreateJobAsync("extract", at: 1, schedule: "every 10m");
        var theirs = await CreateJobAsync("extract", client: OtherClient, at: 1, schedule: "every 10m");

        var forThem = await EnqueueDueAsync(600, clients: Clients.Only(OtherClient));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(forThem.Select(e => (e.ClientId, e.JobId)), Is.EqualTo(new[] { (OtherClient, theirs.Id) }));
            Assert.That(await Jobs.GetJobAsync(Client, mine.Id, None), Is.EqualTo(mine), "another client's job is not advanced");
            Assert.That(await Runs.ListRunsAsync(Client, mine.Id, null, 100, None), Is.Empty, "nor enqueued");
        }

        var forBoth = await EnqueueDueAsync(600, clients: Clients.Only(Client, OtherClient));

        Assert.That(forBoth.Select(e => (e.ClientId, e.JobId)), Is.EqualTo(new[] { (Client, mine.Id) }));
    }

    [Test]
    public async Task Schedule_EnqueueDue_WithoutClientFilter_ServesEveryClient()
    {
        // A month before T0 nothing of other tests is due, so serving every client there touches only these two jobs.
        const int monthBefore = -30 * Day;
        var mine = await CreateJobAsync("extract", at: monthBefore + 1, schedule: "every 10m");
        var theirs = await CreateJobAsync("extract", client: OtherClient, at: monthBefore + 1, schedule: "every 10m");

        var earliest = await Schedules.GetEarliestDueAtAsync(Clients.All, None);
        var enqueued = await Schedules.EnqueueDueRunsAsync(At(monthBefore + TenMinutes), Clients.All, 100, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(earliest, Is.EqualTo(At(monthBefore + TenMinutes)));
            Assert.That(enqueued.Select(e => (e.ClientId, e.JobId, e.Enqueue.Created)), Is.EqualTo(new[] { (Client, mine.Id, true), (OtherClient, theirs.Id, true) }));
        }
    }

    [Test]
    public async Task Schedule_GetEarliestDueAt_IsTheMinimumOverTheClientsAsked()
    {
        await CreateJobAsync("every-10", at: 1, schedule: "every 10m"); // due 600
        await CreateJobAsync("every-5", at: 1, schedule: "every 5m"); // due 300
        await CreateJobAsync("manual", at: 1);
        await CreateJobAsync("every-2", client: OtherClient, at: 1, schedule: "every 2m"); // due 120
        var nobody = new ClientId("n-" + Guid.NewGuid().ToString("N"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.EqualTo(At(300)));
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(OtherClient), None), Is.EqualTo(At(120)));
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client, OtherClient), None), Is.EqualTo(At(120)));
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(nobody), None), Is.Null);
        }

        await EnqueueDueAsync(300);

        Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.EqualTo(At(600)), "every-5 advanced to 600, every-10 is due at 600");
    }

    [Test]
    public async Task Concurrency_SchedulersEnqueueingDueRunsAtOnce_ConsumeEveryOccurrenceExactlyOnce()
    {
        const int jobCount = 12;
        var jobs = new List<Job>(jobCount);
        for (var i = 0; i < jobCount; i++)
        {
            jobs.Add(await CreateJobAsync($"scheduled-{i:D2}", at: 1, schedule: "every 10m"));
        }

        for (var round = 0; round < Rounds; round++)
        {
            var now = TenMinutes * (round + 1);
            var handled = new ConcurrentBag<ScheduledEnqueue>();

            // Each scheduler calls with a small limit until it finds nothing due, so the callers share the work.
            var outcomes = await RaceAsync(Racers, async _ =>
            {
                for (var call = 0; call < jobCount + 1; call++)
                {
                    var batch = await EnqueueDueAsync(now, limit: 3);
                    if (batch.Count == 0)
                    {
                        return;
                    }

                    foreach (var entry in batch)
                    {
                        handled.Add(entry);
                    }
                }

                throw new InvalidOperationException($"A scheduler still found due jobs after {jobCount + 1} calls: an occurrence is enqueued more than once.");
            });

            var entries = handled.ToArray();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
                Assert.That(entries.Select(e => e.JobId), Is.EquivalentTo(jobs.Select(j => j.Id)), $"round {round}: each job's occurrence consumed exactly once");
                Assert.That(entries.Select(e => e.DueAt), Is.All.EqualTo(At(now)), $"round {round}");
                Assert.That(entries.Select(e => e.NextDueAt), Is.All.EqualTo(At(now + TenMinutes)), $"round {round}");
                Assert.That(entries.Select(e => e.Enqueue.Created), Is.All.True, $"round {round}: every occurrence created a run");
                Assert.That(entries.Select(e => e.Enqueue.Run.Id).Distinct().Count(), Is.EqualTo(jobCount), $"round {round}: one run per job");
                Assert.That(await EnqueueDueAsync(now), Is.Empty, $"round {round}: nothing is left due");
            }

            foreach (var job in jobs)
            {
                var runs = await Runs.ListRunsAsync(Client, job.Id, null, 100, None);
                Assert.That(runs, Has.Count.EqualTo(round + 1), $"round {round}: job {job.Name} has one run per occurrence");
                Assert.That(runs[0].EnqueuedAt, Is.EqualTo(At(now)), $"round {round}: job {job.Name}'s newest run");

                // End the run, so that the next occurrence creates a run rather than meeting an active one.
                await Runs.CancelRunAsync(Client, runs[0].Id, "next round", At(now), None);
            }
        }
    }

    // ---------------------------------------------------------------- a schedule that can no longer be read

    /// <summary>
    /// A stored schedule text this machine cannot read (a time zone it does not know, say the job was saved where the zone
    /// exists) ends with the occurrence it consumed: the run is enqueued, the due time becomes null, and no scheduler
    /// fails on it again (JobSchedules.NextDueAtOrEnd, the same rule on every store).
    /// </summary>
    [Test]
    public async Task Schedule_AScheduleThatCanNoLongerBeRead_EndsWithTheOccurrenceItConsumed()
    {
        var job = await CreateJobAsync("unreadable", schedule: "every 10m");
        await StoreScheduleTextAsync(job.Id, "TZ=Mars/Olympus 0 3 * * *");

        var handled = await EnqueueDueAsync(at: TenMinutes);

        Assert.That(handled, Has.Count.EqualTo(1));
        using (Assert.EnterMultipleScope())
        {
            Assert.That((handled[0].JobId, handled[0].DueAt, handled[0].NextDueAt), Is.EqualTo((job.Id, At(TenMinutes), (DateTimeOffset?)null)));
            Assert.That(handled[0].Enqueue.Created, Is.True);
            Assert.That(handled[0].Enqueue.Run.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That((await Jobs.GetJobAsync(Client, job.Id, None))!.NextDueAt, Is.Null, "the schedule ended");
            Assert.That(await Schedules.GetEarliestDueAtAsync(Clients.Only(Client), None), Is.Null);
            Assert.That(await EnqueueDueAsync(at: 10 * Day), Is.Empty, "nothing is due any more");
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Replaces the stored schedule text of the job as it is, without reading it: what a job saved by a machine that could
    /// read the text looks like to one that cannot.
    /// </summary>
    protected abstract Task StoreScheduleTextAsync(JobId jobId, string schedule);

    /// <summary>The id of this test's one pipeline run (a scheduled occurrence that created a run records one).</summary>
    private async Task<PipelineRunId> OnlyPipelineRunIdAsync() =>
        (await Pipelines.ListPipelineRunsAsync(Client, new PipelineRunFilter(), null, 10, None)).Single().Id;

    /// <summary>Enqueues the runs due at <paramref name="at"/> for this test's client (unless <paramref name="clients"/> says otherwise).</summary>
    private Task<IReadOnlyList<ScheduledEnqueue>> EnqueueDueAsync(int at, int limit = 100, Clients? clients = null) =>
        Schedules.EnqueueDueRunsAsync(At(at), clients ?? Clients.Only(Client), limit, None);

    /// <summary>Checks that every read that returns jobs returns them exactly as expected, next due time included.</summary>
    private async Task AssertEveryReadShowsAsync(Job upstream, Job dependent)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, upstream.Id, None), Is.EqualTo(upstream), "get");
            Assert.That(await Jobs.GetJobByNameAsync(Client, upstream.Name, None), Is.EqualTo(upstream), "get by name");
            Assert.That(await Jobs.ListJobsAsync(Client, null, 100, None), Is.EqualTo(new[] { upstream, dependent }), "list");
            Assert.That((await Runs.ListLatestRunsAsync(Client, null, 100, None)).Select(r => r.Job), Is.EqualTo(new[] { upstream, dependent }), "list latest runs");
            Assert.That(await Deps.ListUpstreamAsync(Client, dependent.Id, None), Is.EqualTo(new[] { upstream }), "list upstream");
            Assert.That(await Deps.ListDownstreamAsync(Client, upstream.Id, None), Is.EqualTo(new[] { dependent }), "list downstream");
        }
    }
}
