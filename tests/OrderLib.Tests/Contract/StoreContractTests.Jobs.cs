using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task CreateJob_StoresTheWholeDefinitionWithClientAndTimestamps()
    {
        var definition = new JobDefinition("  extract  ")
        {
            Description = "pull the files",
            Priority = 7,
            MaxAttempts = 3,
            Schedule = "*/5 * * * *",
        };

        var job = await Jobs.CreateJobAsync(Client, definition, At(1), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Id.Value, Is.Positive);
            Assert.That(job.ClientId, Is.EqualTo(Client));
            Assert.That(job.Name, Is.EqualTo("extract"));
            Assert.That(job.Description, Is.EqualTo("pull the files"));
            Assert.That(job.Priority, Is.EqualTo(7));
            Assert.That(job.MaxAttempts, Is.EqualTo(3));
            Assert.That(job.Schedule, Is.EqualTo("*/5 * * * *"));
            Assert.That(job.CreatedAt, Is.EqualTo(At(1)));
            Assert.That(job.UpdatedAt, Is.EqualTo(At(1)));
            Assert.That(job.NextDueAt, Is.EqualTo(At(300)), "first due at the schedule's next occurrence");
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job));
        }
    }

    [Test]
    public async Task CreateJob_WithNullOptionalFields_RoundTripsNulls()
    {
        var job = await Jobs.CreateJobAsync(Client, new JobDefinition("bare"), At(2), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Description, Is.Null);
            Assert.That(job.Schedule, Is.Null);
            Assert.That(job.NextDueAt, Is.Null);
            Assert.That(job.Priority, Is.Zero);
            Assert.That(job.MaxAttempts, Is.EqualTo(1));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(job));
        }
    }

    [Test]
    public async Task CreateJob_AssignsIncreasingIds()
    {
        var first = await CreateJobAsync("a");
        var second = await CreateJobAsync("b");
        var third = await CreateJobAsync("c", client: OtherClient);

        Assert.That(new[] { first.Id.Value, second.Id.Value, third.Id.Value }, Is.Ordered.Ascending.And.Unique);
    }

    [Test]
    public async Task GetJobByName_FindsTheExactNameOfThisClientOnly()
    {
        var job = await CreateJobAsync("extract");
        await CreateJobAsync("extract", client: OtherClient);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extract", None), Is.EqualTo(job));
            Assert.That(await Jobs.GetJobByNameAsync(Client, "EXTRACT", None), Is.Null, "names are case-sensitive");
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extrac", None), Is.Null);
            Assert.That(await Jobs.GetJobByNameAsync(Client, "missing", None), Is.Null);
        }
    }

    [Test]
    public async Task GetJob_UnknownIdOrAnotherClientsJob_ReturnsNull()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, new JobId(long.MaxValue), None), Is.Null);
            Assert.That(await Jobs.GetJobAsync(Client, theirs.Id, None), Is.Null);
            Assert.That(await Jobs.GetJobByNameAsync(Client, "theirs", None), Is.Null);
            Assert.That(await Jobs.GetJobAsync(OtherClient, theirs.Id, None), Is.EqualTo(theirs));
        }
    }

    [Test]
    public async Task ListJobs_PagesInIdOrderWithCursor_AndShowsOnlyThisClient()
    {
        var jobs = await CreateJobsAsync("job", 5);
        await CreateJobAsync("job-000", client: OtherClient);
        var ids = jobs.Select(j => j.Id).ToArray();

        var page1 = await Jobs.ListJobsAsync(Client, null, 2, None);
        var page2 = await Jobs.ListJobsAsync(Client, page1[^1].Id, 2, None);
        var page3 = await Jobs.ListJobsAsync(Client, page2[^1].Id, 2, None);
        var page4 = await Jobs.ListJobsAsync(Client, page3[^1].Id, 2, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page1.Select(j => j.Id), Is.EqualTo(ids[0..2]));
            Assert.That(page2.Select(j => j.Id), Is.EqualTo(ids[2..4]));
            Assert.That(page3.Select(j => j.Id), Is.EqualTo(ids[4..5]));
            Assert.That(page4, Is.Empty);
            Assert.That(page1[0], Is.EqualTo(jobs[0]));
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(jobs));
        }
    }

    [Test]
    public async Task CreateJob_DuplicateNameInSameClient_IsRefusedAndWritesNothing()
    {
        var original = await CreateJobAsync("extract", priority: 1);

        var ex = Assert.ThrowsAsync<DuplicateJobNameException>(() =>
            Jobs.CreateJobAsync(Client, new JobDefinition(" extract ") { Priority = 9 }, At(5), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Name, Is.EqualTo("extract"));
            Assert.That(ex.ClientId, Is.EqualTo(Client));
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { original }));
        }
    }

    [Test]
    public async Task CreateJob_SameNameInAnotherClient_IsAllowed()
    {
        var mine = await CreateJobAsync("extract");
        var theirs = await CreateJobAsync("extract", client: OtherClient);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(theirs.Id, Is.Not.EqualTo(mine.Id));
            Assert.That(theirs.ClientId, Is.EqualTo(OtherClient));
            Assert.That(await Jobs.GetJobByNameAsync(OtherClient, "extract", None), Is.EqualTo(theirs));
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extract", None), Is.EqualTo(mine));
        }
    }

    [Test]
    public async Task CreateJob_NamesDifferingOnlyInCase_AreDistinctJobs()
    {
        var lower = await CreateJobAsync("extract");
        var upper = await CreateJobAsync("Extract");

        Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { lower, upper }));
    }

    [Test]
    public async Task UpdateJob_ReplacesTheDefinitionKeepsCreatedAtAndSetsUpdatedAt()
    {
        var job = await Jobs.CreateJobAsync(Client, new JobDefinition("extract") { Description = "old", Schedule = "0 * * * *" }, At(1), None);
        var definition = new JobDefinition("extract-v2") { Description = "new", Priority = 4, MaxAttempts = 5, Schedule = null };

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, definition, At(9), None);

        var expected = job with
        {
            Name = "extract-v2",
            Description = "new",
            Priority = 4,
            MaxAttempts = 5,
            Schedule = null,
            UpdatedAt = At(9),
            NextDueAt = null,
        };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated, Is.EqualTo(expected));
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.EqualTo(expected));
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extract", None), Is.Null);
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extract-v2", None), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task UpdateJob_KeepingItsOwnName_IsNotADuplicate()
    {
        var job = await CreateJobAsync("extract");

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("extract") { Priority = 3 }, At(2), None);

        Assert.That(updated, Is.EqualTo(job with { Priority = 3, UpdatedAt = At(2) }));
    }

    [Test]
    public async Task UpdateJob_ToANameTakenInTheClient_IsRefusedAndChangesNothing()
    {
        var extract = await CreateJobAsync("extract");
        var load = await CreateJobAsync("load");

        var ex = Assert.ThrowsAsync<DuplicateJobNameException>(() =>
            Jobs.UpdateJobAsync(Client, load.Id, new JobDefinition("extract") { Priority = 8 }, At(3), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Name, Is.EqualTo("extract"));
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { extract, load }));
        }
    }

    [Test]
    public async Task UpdateJob_ToANameTakenOnlyInAnotherClient_IsAllowed()
    {
        await CreateJobAsync("extract", client: OtherClient);
        var job = await CreateJobAsync("load");

        var updated = await Jobs.UpdateJobAsync(Client, job.Id, new JobDefinition("extract"), At(3), None);

        Assert.That(updated.Name, Is.EqualTo("extract"));
    }

    [Test]
    public async Task UpdateJob_UnknownIdOrAnotherClientsJob_ThrowsJobNotFoundAndChangesNothing()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var unknown = new JobId(long.MaxValue);

        var unknownEx = Assert.ThrowsAsync<JobNotFoundException>(() =>
            Jobs.UpdateJobAsync(Client, unknown, new JobDefinition("x"), At(1), None));
        var theirsEx = Assert.ThrowsAsync<JobNotFoundException>(() =>
            Jobs.UpdateJobAsync(Client, theirs.Id, new JobDefinition("mine now"), At(1), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknownEx.JobId, Is.EqualTo(unknown));
            Assert.That(theirsEx.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Jobs.GetJobAsync(OtherClient, theirs.Id, None), Is.EqualTo(theirs));
            Assert.That(await AllJobsAsync(Client), Is.Empty);
        }
    }

    [Test]
    public async Task DeleteJob_RemovesTheJobAndItsRuns()
    {
        var job = await CreateJobAsync("extract");
        var keep = await CreateJobAsync("keep");
        var finished = await RunToEndAsync(job, RunStatus.Succeeded, at: 1);
        var pending = await EnqueueAsync(job, at: 2);

        await Jobs.DeleteJobAsync(Client, job.Id, JobDeletion.CancelActiveRun, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, job.Id, None), Is.Null);
            Assert.That(await Jobs.GetJobByNameAsync(Client, "extract", None), Is.Null);
            Assert.That(await AllJobsAsync(Client), Is.EqualTo(new[] { keep }));
            Assert.That(await GetRunAsync(finished), Is.Null);
            Assert.That(await GetRunAsync(pending), Is.Null);
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty);
            Assert.ThrowsAsync<JobNotFoundException>(() => Runs.ListRunsAsync(Client, job.Id, null, 10, None));
        }
    }

    [Test]
    public async Task DeleteJob_FreesItsNameForANewJob()
    {
        var job = await CreateJobAsync("extract");
        await Jobs.DeleteJobAsync(Client, job.Id, JobDeletion.None, None);

        var again = await CreateJobAsync("extract");

        Assert.That(again.Id.Value, Is.GreaterThan(job.Id.Value), "ids are never reused");
    }

    [Test]
    public async Task DeleteJob_RemovesItsOwnUpstreamDependencies()
    {
        var upstream = await CreateJobAsync("upstream");
        var job = await CreateJobAsync("job");
        await DependAsync(job, upstream);

        await Jobs.DeleteJobAsync(Client, job.Id, JobDeletion.None, None);

        Assert.That(await DownstreamIdsAsync(upstream), Is.Empty);
    }

    [Test]
    public async Task DeleteJob_UnknownIdOrAnotherClientsJob_ThrowsJobNotFoundAndDeletesNothing()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, null, At(1), None)).Run;

        Assert.ThrowsAsync<JobNotFoundException>(() => Jobs.DeleteJobAsync(Client, new JobId(long.MaxValue), JobDeletion.RemoveDependencies, None));
        var ex = Assert.ThrowsAsync<JobNotFoundException>(() => Jobs.DeleteJobAsync(Client, theirs.Id, JobDeletion.RemoveDependencies, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Jobs.GetJobAsync(OtherClient, theirs.Id, None), Is.EqualTo(theirs));
            Assert.That(await Runs.GetRunAsync(OtherClient, theirRun.Id, None), Is.EqualTo(theirRun));
        }
    }

    [Test]
    public async Task DeleteJob_WithDependentsWithoutCascade_IsRefusedNamingThemAndDeletesNothing()
    {
        var extract = await CreateJobAsync("extract");
        var transform = await CreateJobAsync("transform");
        var load = await CreateJobAsync("load");
        await DependAsync(transform, extract);
        await DependAsync(load, extract);
        var extractRun = await RunToEndAsync(extract, RunStatus.Succeeded, at: 1);

        var ex = Assert.ThrowsAsync<JobHasDependentsException>(() => Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.None, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.JobId, Is.EqualTo(extract.Id));
            Assert.That(ex.DependentNames, Is.EquivalentTo(new[] { "transform", "load" }));
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.EqualTo(extract));
            Assert.That(await DownstreamIdsAsync(extract), Is.EqualTo(new[] { transform.Id, load.Id }));
            Assert.That(await GetRunAsync(extractRun), Is.EqualTo(extractRun));
        }
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    public async Task DeleteJob_WithAnActiveRun_IsRefusedNamingTheRunAndDeletesNothing(RunStatus status)
    {
        var extract = await CreateJobAsync("extract");
        var transform = await CreateJobAsync("transform");
        await DependAsync(transform, extract);
        var waiting = await EnqueueAsync(transform, at: 1);
        var active = await RunInStatusAsync(extract, status, at: 2);

        var ex = Assert.ThrowsAsync<JobHasActiveRunException>(() => Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.RemoveDependencies, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((ex.JobId, ex.RunId, ex.Status), Is.EqualTo((extract.Id, active.Id, status)));
            Assert.That(ex.Message, Does.Contain(active.Id.ToString()).And.Contain(status.ToString()).And.Contain(nameof(JobDeletion.CancelActiveRun)));
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.EqualTo(extract));
            Assert.That(await GetRunAsync(active), Is.EqualTo(active));
            Assert.That(await UpstreamIdsAsync(transform), Is.EqualTo(new[] { extract.Id }));
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(waiting), "the dependent still waits");
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(status == RunStatus.Pending ? new[] { active.Id } : Array.Empty<RunId>()));
        }
    }

    [Test]
    public async Task DeleteJob_WithDependentsAndAnActiveRun_NamesTheDependentsFirst()
    {
        var extract = await CreateJobAsync("extract");
        var transform = await CreateJobAsync("transform");
        await DependAsync(transform, extract);
        await EnqueueAsync(extract, at: 1);

        Assert.ThrowsAsync<JobHasDependentsException>(() => Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.CancelActiveRun, None));
    }

    [Test]
    public async Task DeleteJob_CancellingAPendingRun_DeletesItAndReleasesTheDependents()
    {
        var extract = await CreateJobAsync("extract");
        var transform = await CreateJobAsync("transform");
        await DependAsync(transform, extract);
        var waiting = await EnqueueAsync(transform, at: 1);
        var pending = await EnqueueAsync(extract, at: 2);

        await Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.RemoveDependencies | JobDeletion.CancelActiveRun, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.Null);
            Assert.That(await GetRunAsync(pending), Is.Null);
            Assert.That(await UpstreamIdsAsync(transform), Is.Empty);
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { waiting.Id }), "the dependent's pending run no longer waits");
            Assert.That(await ClaimIdsAsync(at: 3), Is.EqualTo(new[] { waiting.Id }), "the deleted run is never claimed");
        }
    }

    [Test]
    public async Task DeleteJob_CancellingARunningRun_EndsItSoItsWorkersReportsComeBackAsLost()
    {
        var extract = await CreateJobAsync("extract");
        var transform = await CreateJobAsync("transform");
        await DependAsync(transform, extract);
        var waiting = await EnqueueAsync(transform, at: 1);
        var running = await ClaimOnlyAsync(await EnqueueAsync(extract, at: 2), at: 3);

        await Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.RemoveDependencies | JobDeletion.CancelActiveRun, None);

        var outcome = new RunOutcome(running.Id, new WorkerId("worker-1"), RunStatus.Succeeded, null);
        var results = await Queue.CompleteRunsAsync([outcome], At(4), NoDelay, None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.Null);
            Assert.That(await GetRunAsync(running), Is.Null, "the run ended with its job");
            Assert.That(results, Is.EqualTo(new[] { new OutcomeResult(outcome, null, new LostRun(null, null)) }), "the worker's report is lost, not an error");
            Assert.ThrowsAsync<RunNotFoundException>(() => HeartbeatAsync(running, at: 4), "so is its heartbeat (the worker treats it as a lost lease)");
            Assert.That(await ReadyRunIdsAsync(at: 5), Is.EqualTo(new[] { waiting.Id }), "the dependent's pending run is released");
            Assert.That(await RescueAsync(at: 1000), Is.Empty, "nothing is left to rescue");
        }
    }

    [Test]
    public async Task DeleteJob_WithCascade_RemovesDependentsEdgesAndReleasesRunsThatWaitedOnlyForIt()
    {
        var extract = await CreateJobAsync("extract");
        var other = await CreateJobAsync("other");
        var onlyExtract = await CreateJobAsync("only-extract");
        var extractAndOther = await CreateJobAsync("extract-and-other");
        await DependAsync(onlyExtract, extract);
        await DependAsync(extractAndOther, extract);
        await DependAsync(extractAndOther, other);
        var released = await EnqueueAsync(onlyExtract, at: 1);
        var stillWaiting = await EnqueueAsync(extractAndOther, at: 2);
        Assert.That(await ReadyRunIdsAsync(at: 3), Is.Empty, "precondition: extract never ran, so nothing is ready");

        await Jobs.DeleteJobAsync(Client, extract.Id, JobDeletion.RemoveDependencies, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Jobs.GetJobAsync(Client, extract.Id, None), Is.Null);
            Assert.That(await UpstreamIdsAsync(onlyExtract), Is.Empty);
            Assert.That(await UpstreamIdsAsync(extractAndOther), Is.EqualTo(new[] { other.Id }));
            Assert.That(await DownstreamIdsAsync(other), Is.EqualTo(new[] { extractAndOther.Id }));
            Assert.That(await ReadyRunIdsAsync(at: 3), Is.EqualTo(new[] { released.Id }));
            Assert.That(await Jobs.GetJobAsync(Client, onlyExtract.Id, None), Is.EqualTo(onlyExtract));
        }

        var waitEx = Assert.ThrowsAsync<DependenciesNotSatisfiedException>(() => StartAsync(stillWaiting, at: 4));
        Assert.That(waitEx.Unsatisfied, Is.EqualTo(new[] { new UnsatisfiedDependency(other.Id, "other", null) }));
        var started = await StartAsync(released, at: 4);
        Assert.That(started.Status, Is.EqualTo(RunStatus.Running));
    }
}
