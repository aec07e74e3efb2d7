using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task ReadGraph_OfTheWholeClient_HasEveryJobWithItsLatestRunsStatus_AndEveryEdge_AndNothingOfAnotherClient()
    {
        var (a, b, c, d, e) = await GraphForPicturesAsync();
        var other = await CreateJobAsync("other", client: OtherClient);
        await Runs.EnqueueRunAsync(OtherClient, other.Id, null, At(5), None);

        var graph = await Deps.ReadGraphAsync(Client, GraphSelection.All, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(graph.Nodes.Select(n => (n.JobId, n.Name, n.Status)), Is.EqualTo(new (JobId, string, RunStatus?)[]
            {
                (a.Id, "a", RunStatus.Succeeded), (b.Id, "b", RunStatus.Running), (c.Id, "c", RunStatus.Pending), (d.Id, "d", RunStatus.Failed), (e.Id, "e", null),
            }));
            Assert.That(graph.Nodes.Select(n => n.Paused), Is.All.False);
            Assert.That(graph.Edges, Is.EqualTo(new[] { new JobGraphEdge(b.Id, a.Id), new JobGraphEdge(c.Id, b.Id), new JobGraphEdge(e.Id, b.Id) }));
            var theirs = await Deps.ReadGraphAsync(OtherClient, GraphSelection.All, None);
            Assert.That(theirs.Nodes.Select(n => (n.JobId, n.Status)), Is.EqualTo(new[] { (other.Id, (RunStatus?)RunStatus.Pending) }));
            Assert.That(theirs.Edges, Is.Empty);
        }
    }

    [Test]
    public async Task ReadGraph_AroundAJob_HasItsUpstreamAndDownstreamClosures_Only()
    {
        var (a, b, c, d, e) = await GraphForPicturesAsync();

        var aroundC = await Deps.ReadGraphAsync(Client, GraphSelection.Around(c.Id), None);
        var aroundA = await Deps.ReadGraphAsync(Client, GraphSelection.Around(a.Id), None);
        var aroundD = await Deps.ReadGraphAsync(Client, GraphSelection.Around(d.Id), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(aroundC.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { a.Id, b.Id, c.Id }), "c's upstream; e is b's other dependent, not c's");
            Assert.That(aroundC.Edges, Is.EqualTo(new[] { new JobGraphEdge(b.Id, a.Id), new JobGraphEdge(c.Id, b.Id) }));
            Assert.That(aroundA.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { a.Id, b.Id, c.Id, e.Id }), "everything downstream of a");
            Assert.That(aroundD.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { d.Id }));
            Assert.That(aroundD.Edges, Is.Empty);
        }
    }

    [Test]
    public async Task ReadGraph_OfSomeJobs_KeepsTheClientsJobsAndTheEdgesAmongThem()
    {
        var (a, b, c, _, e) = await GraphForPicturesAsync();
        var other = await CreateJobAsync("other", client: OtherClient);

        var graph = await Deps.ReadGraphAsync(Client, GraphSelection.Of([e.Id, a.Id, c.Id, b.Id, other.Id, new JobId(987_654_321)]), None);
        var apart = await Deps.ReadGraphAsync(Client, GraphSelection.Of([a.Id, c.Id]), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(graph.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { a.Id, b.Id, c.Id, e.Id }), "another client's job and an unknown id are left out");
            Assert.That(graph.Edges, Has.Count.EqualTo(3));
            Assert.That(apart.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { a.Id, c.Id }));
            Assert.That(apart.Edges, Is.Empty, "a reaches c only through b, which is not picked");
        }
    }

    [Test]
    public async Task ReadGraph_AroundAJobTheClientDoesNotHave_IsNotFound()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);

        Assert.That(
            async () => await Deps.ReadGraphAsync(Client, GraphSelection.Around(theirs.Id), None),
            Throws.InstanceOf<JobNotFoundException>());
        Assert.That(
            async () => await Deps.ReadGraphAsync(Client, GraphSelection.Around(new JobId(987_654_321)), None),
            Throws.InstanceOf<JobNotFoundException>());
    }

    [Test]
    public async Task ReadGraph_ColoursAJobByItsLatestRun_NotByAnEarlierOne()
    {
        var job = await CreateJobAsync("flaky");
        await RunInStatusAsync(job, RunStatus.Failed, at: 1);
        var retried = await RunInStatusAsync(job, RunStatus.Succeeded, at: 2);

        var node = (await Deps.ReadGraphAsync(Client, GraphSelection.All, None)).Nodes.Single();

        Assert.That((node.Status, node.RunId), Is.EqualTo(((RunStatus?)RunStatus.Succeeded, (RunId?)retried.Id)));
    }

    // a <- b <- c, b <- e (e never ran), d alone: a Succeeded, b Running, c Pending, d Failed.
    private async Task<(Job A, Job B, Job C, Job D, Job E)> GraphForPicturesAsync()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        var d = await CreateJobAsync("d");
        var e = await CreateJobAsync("e");
        await DependAsync(b, a);
        await DependAsync(c, b);
        await DependAsync(e, b);
        await RunInStatusAsync(a, RunStatus.Succeeded, at: 1);
        await StartAsync(await EnqueueAsync(b, at: 2), at: 2);
        await EnqueueAsync(c, at: 3);
        await RunInStatusAsync(d, RunStatus.Failed, at: 4);
        return (a, b, c, d, e);
    }
}
