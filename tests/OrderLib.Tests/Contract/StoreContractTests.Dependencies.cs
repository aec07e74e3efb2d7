using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task AddDependency_ReturnsTheEdge_AndListsShowDirectNeighboursInIdOrder()
    {
        var extract = await CreateJobAsync("extract");
        var transformA = await CreateJobAsync("transform-a");
        var transformB = await CreateJobAsync("transform-b");
        var report = await CreateJobAsync("report");

        // Added out of id order on purpose: the lists must still come back in id order.
        var edge = await DependAsync(report, transformB, at: 7);
        await DependAsync(report, transformA);
        await DependAsync(transformB, extract);
        await DependAsync(transformA, extract);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(edge, Is.EqualTo(new JobDependency(report.Id, transformB.Id, At(7))));
            Assert.That(await UpstreamIdsAsync(report), Is.EqualTo(new[] { transformA.Id, transformB.Id }), "direct upstream only, not extract");
            Assert.That(await UpstreamIdsAsync(transformA), Is.EqualTo(new[] { extract.Id }));
            Assert.That(await UpstreamIdsAsync(extract), Is.Empty);
            Assert.That(await DownstreamIdsAsync(extract), Is.EqualTo(new[] { transformA.Id, transformB.Id }), "direct downstream only, not report");
            Assert.That(await DownstreamIdsAsync(transformA), Is.EqualTo(new[] { report.Id }));
            Assert.That(await DownstreamIdsAsync(report), Is.Empty);
            Assert.That(await Deps.ListUpstreamAsync(Client, transformA.Id, None), Is.EqualTo(new[] { extract }), "whole jobs come back");
        }
    }

    [Test]
    public async Task RemoveDependency_RemovesOnlyThatEdge()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(c, a);
        await DependAsync(c, b);

        await Deps.RemoveDependencyAsync(Client, c.Id, a.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await UpstreamIdsAsync(c), Is.EqualTo(new[] { b.Id }));
            Assert.That(await DownstreamIdsAsync(a), Is.Empty);
            Assert.That(await DownstreamIdsAsync(b), Is.EqualTo(new[] { c.Id }));
        }

        var again = await DependAsync(c, a, at: 3);
        Assert.That(again, Is.EqualTo(new JobDependency(c.Id, a.Id, At(3))), "a removed edge can be added again");
    }

    [Test]
    public async Task AddDependency_OnItself_IsRefusedAndWritesNothing()
    {
        var job = await CreateJobAsync("job");

        var ex = Assert.ThrowsAsync<SelfDependencyException>(() => DependAsync(job, job));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.JobId, Is.EqualTo(job.Id));
            Assert.That(ex.DependsOnJobId, Is.EqualTo(job.Id));
            Assert.That(await UpstreamIdsAsync(job), Is.Empty);
            Assert.That(await DownstreamIdsAsync(job), Is.Empty);
        }
    }

    [Test]
    public async Task AddDependency_Twice_IsRefusedAndKeepsTheFirstEdge()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        await DependAsync(b, a);

        var ex = Assert.ThrowsAsync<DuplicateDependencyException>(() => DependAsync(b, a, at: 5));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.JobId, Is.EqualTo(b.Id));
            Assert.That(ex.DependsOnJobId, Is.EqualTo(a.Id));
            Assert.That(await UpstreamIdsAsync(b), Is.EqualTo(new[] { a.Id }));
            Assert.That(await DownstreamIdsAsync(a), Is.EqualTo(new[] { b.Id }));
        }
    }

    [Test]
    public async Task AddDependency_ClosingACycleOfTwo_IsRefusedWithTheCycleAndWritesNothing()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        await DependAsync(a, b);

        var ex = Assert.ThrowsAsync<DependencyCycleException>(() => DependAsync(b, a));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.JobId, Is.EqualTo(b.Id));
            Assert.That(ex.DependsOnJobId, Is.EqualTo(a.Id));
            Assert.That(ex.Cycle, Is.EqualTo(new[] { b.Id, a.Id, b.Id }));
            Assert.That(await UpstreamIdsAsync(b), Is.Empty);
            Assert.That(await UpstreamIdsAsync(a), Is.EqualTo(new[] { b.Id }));
        }
    }

    [Test]
    public async Task AddDependency_ClosingACycleThroughFiftyJobs_IsRefusedWithTheWholePath()
    {
        // chain[i] depends on chain[i + 1]; making the last depend on the first closes a cycle through all 50.
        var chain = await CreateJobsAsync("chain", 50);
        for (var i = 0; i < chain.Count - 1; i++)
        {
            await DependAsync(chain[i], chain[i + 1]);
        }

        var last = chain[^1];
        var ex = Assert.ThrowsAsync<DependencyCycleException>(() => DependAsync(last, chain[0]));

        var expected = new[] { last.Id }.Concat(chain.Select(j => j.Id)).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex.Cycle, Has.Count.EqualTo(51));
            Assert.That(ex.Cycle, Is.EqualTo(expected));
            Assert.That(await UpstreamIdsAsync(last), Is.Empty);
            Assert.That(await DownstreamIdsAsync(chain[0]), Is.Empty);
        }

        // A shortcut in the direction of the chain closes no cycle and is allowed.
        await DependAsync(chain[0], last);
        Assert.That(await UpstreamIdsAsync(chain[0]), Is.EqualTo(new[] { chain[1].Id, last.Id }));
    }

    [Test]
    public async Task AddDependency_UnknownJobOnEitherSide_ThrowsJobNotFoundBeforeAnyOtherCheck()
    {
        var job = await CreateJobAsync("job");
        var unknown = new JobId(long.MaxValue);

        var dependentMissing = Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, unknown, job.Id, At(1), None));
        var upstreamMissing = Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, job.Id, unknown, At(1), None));
        var selfMissing = Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, unknown, unknown, At(1), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(dependentMissing.JobId, Is.EqualTo(unknown));
            Assert.That(upstreamMissing.JobId, Is.EqualTo(unknown));
            Assert.That(selfMissing.JobId, Is.EqualTo(unknown));
            Assert.That(await UpstreamIdsAsync(job), Is.Empty);
            Assert.That(await DownstreamIdsAsync(job), Is.Empty);
        }
    }

    [Test]
    public async Task DependencyMethods_OnAnotherClientsJob_ThrowJobNotFoundLikeANeverExistingId()
    {
        var mine = await CreateJobAsync("mine");
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirUpstream = await CreateJobAsync("their-upstream", client: OtherClient);
        await Deps.AddDependencyAsync(OtherClient, theirs.Id, theirUpstream.Id, At(0), None);

        var errors = new[]
        {
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, mine.Id, theirs.Id, At(1), None)),
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, theirs.Id, mine.Id, At(1), None)),
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.AddDependencyAsync(Client, theirUpstream.Id, theirs.Id, At(1), None)),
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.RemoveDependencyAsync(Client, theirs.Id, theirUpstream.Id, None)),
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.ListUpstreamAsync(Client, theirs.Id, None)),
            Assert.ThrowsAsync<JobNotFoundException>(() => Deps.ListDownstreamAsync(Client, theirUpstream.Id, None)),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors.Select(e => e?.JobId), Is.EqualTo(new JobId?[] { theirs.Id, theirs.Id, theirUpstream.Id, theirs.Id, theirs.Id, theirUpstream.Id }));
            Assert.That(await UpstreamIdsAsync(mine), Is.Empty);
            Assert.That(await DownstreamIdsAsync(mine), Is.Empty);
            Assert.That((await Deps.ListUpstreamAsync(OtherClient, theirs.Id, None)).Select(j => j.Id), Is.EqualTo(new[] { theirUpstream.Id }));
            Assert.That((await Deps.ListDownstreamAsync(OtherClient, theirs.Id, None)).Select(j => j.Id), Is.Empty, "the other client's graph is untouched");
        }
    }

    [Test]
    public async Task RemoveDependency_ThatDoesNotExist_ThrowsDependencyNotFoundAndKeepsOtherEdges()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        await DependAsync(b, a);

        var reversed = Assert.ThrowsAsync<DependencyNotFoundException>(() => Deps.RemoveDependencyAsync(Client, a.Id, b.Id, None));
        var unknownJob = Assert.ThrowsAsync<JobNotFoundException>(() => Deps.RemoveDependencyAsync(Client, b.Id, new JobId(long.MaxValue), None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reversed.JobId, Is.EqualTo(a.Id));
            Assert.That(reversed.DependsOnJobId, Is.EqualTo(b.Id));
            Assert.That(unknownJob.JobId, Is.EqualTo(new JobId(long.MaxValue)));
            Assert.That(await UpstreamIdsAsync(b), Is.EqualTo(new[] { a.Id }));
        }
    }

    [Test]
    public void ListUpstreamAndDownstream_UnknownJob_ThrowJobNotFound()
    {
        var unknown = new JobId(long.MaxValue);

        Assert.ThrowsAsync<JobNotFoundException>(() => Deps.ListUpstreamAsync(Client, unknown, None));
        Assert.ThrowsAsync<JobNotFoundException>(() => Deps.ListDownstreamAsync(Client, unknown, None));
    }
}
