using NUnit.Framework;

namespace OrderLib.Tests.Tenancy;

public abstract partial class TenantIsolationTests
{
    [Test]
    public async Task GraphsOfB_DrawOnlyBsJobs_EvenWhenAskedForAsJobIds()
    {
        var whole = await B.Dependencies.GetGraphAsync();
        var ofAsIds = await B.Dependencies.GetGraphAsync(GraphSelection.Of([Foreign.Job, Foreign.SecondJob, Foreign.IdleJob, _bOther!.Id]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whole.Nodes.Select(n => n.JobId), Is.EquivalentTo(new[] { _bExtract!.Id, _bOther.Id }));
            Assert.That(whole.Edges, Is.Empty);
            Assert.That(whole.ToMermaid(), Does.Not.Contain("transform"), "A's job names never reach B's picture");
            Assert.That(ofAsIds.Nodes.Select(n => n.JobId), Is.EqualTo(new[] { _bOther.Id }));
        }
    }
}
