
namespace OrderLib.Tests.Domain;

public class DependencyRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Job NewJob(long id, string client = "default") =>
        Job.Create(new JobId(id), new ClientId(client), new JobDefinition($"job-{id}"), T0);

    [Test]
    public void A_job_cannot_depend_on_itself()
    {
        var job = NewJob(1);
        Assert.Throws<SelfDependencyException>(() => JobDependency.Create(job, job, T0));
    }

    [Test]
    public void Jobs_of_different_clients_cannot_depend_on_each_other()
    {
        var error = Assert.Throws<CrossClientDependencyException>(() => JobDependency.Create(NewJob(1, "a"), NewJob(2, "b"), T0));
        Assert.That(error!.JobId, Is.EqualTo(new JobId(1)));
        Assert.That(error.DependsOnJobId, Is.EqualTo(new JobId(2)));
    }

    [Test]
    public void A_valid_dependency_records_both_ends()
    {
        var dependency = JobDependency.Create(NewJob(1), NewJob(2), T0);
        Assert.That(dependency, Is.EqualTo(new JobDependency(new JobId(1), new JobId(2), T0)));
    }

    [Test]
    public void Cycle_through_fifty_jobs_is_found_with_its_path()
    {
        // job i depends on job i+1 for i = 1..49; adding "50 depends on 1" closes the cycle.
        IEnumerable<JobId> UpstreamOf(JobId id) => id.Value < 50 ? [new JobId(id.Value + 1)] : [];
        var cycle = DependencyGraph.CycleClosedBy(new JobId(50), new JobId(1), UpstreamOf);
        Assert.That(cycle, Is.Not.Null);
        Assert.That(cycle!.Select(j => j.Value), Is.EqualTo(new long[] { 50 }.Concat(Enumerable.Range(1, 50).Select(i => (long)i))));
    }

    [Test]
    public void No_cycle_when_the_upstream_job_does_not_reach_the_dependent()
    {
        IEnumerable<JobId> UpstreamOf(JobId id) => id.Value == 2 ? [new JobId(3)] : [];
        Assert.That(DependencyGraph.CycleClosedBy(new JobId(1), new JobId(2), UpstreamOf), Is.Null);
    }

    [Test]
    public void Unsatisfied_dependency_says_never_ran_or_the_latest_status()
    {
        Assert.That(new UnsatisfiedDependency(new JobId(1), "extract", null).ToString(), Is.EqualTo("'extract' (never ran)"));
        Assert.That(new UnsatisfiedDependency(new JobId(1), "extract", RunStatus.Failed).ToString(), Is.EqualTo("'extract' (latest run Failed)"));
    }

    [Test]
    public void Topological_order_puts_upstream_first_and_breaks_ties_by_id()
    {
        // Diamond: 2 and 3 depend on 1, 4 depends on 2 and 3; 5 is outside the members.
        var members = new HashSet<JobId> { new(4), new(3), new(2), new(1) };
        (JobId, JobId)[] edges = [(new(4), new(2)), (new(4), new(3)), (new(3), new(1)), (new(2), new(1)), (new(2), new(5))];
        Assert.That(DependencyGraph.TopologicalOrder(members, edges).Select(j => j.Value), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Topological_order_refuses_a_cycle()
    {
        var members = new HashSet<JobId> { new(1), new(2) };
        Assert.Throws<InvalidOperationException>(() => DependencyGraph.TopologicalOrder(members, [(new(1), new(2)), (new(2), new(1))]));
    }
}
