using System.Diagnostics;

namespace OrderLib.Tests.Domain;

public class GraphDefinitionTests
{
    private static readonly IReadOnlySet<string> NoJobs = new HashSet<string>();

    [Test]
    public void Only_the_dependencies_the_client_lacks_are_returned_in_the_batchs_order()
    {
        var graph = Graph(["c"], ("c", "b"), ("b", "a"), ("c", "a"));

        var added = graph.CheckAgainst(new HashSet<string> { "a", "b" }, [("b", "a")]);

        Assert.That(added, Is.EqualTo(new[] { new GraphDependency("c", "b"), new GraphDependency("c", "a") }));
    }

    [Test]
    public void An_unknown_name_is_reported_before_a_cycle()
    {
        var graph = Graph(["a", "b"], ("a", "b"), ("b", "a"), ("a", "missing"));

        var error = Assert.Throws<UnknownJobInGraphException>(() => graph.CheckAgainst(NoJobs, []));

        Assert.That(error!.UnknownName, Is.EqualTo("missing"));
    }

    [Test]
    public void A_cycle_is_reported_at_the_first_new_dependency_on_it_even_when_an_earlier_one_reaches_it()
    {
        // d -> a leads into the cycle a -> b -> c -> a without being on it.
        var graph = Graph(["a", "b", "c", "d"], ("d", "a"), ("b", "c"), ("c", "a"), ("a", "b"));

        var error = Assert.Throws<GraphCycleException>(() => graph.CheckAgainst(NoJobs, []));

        Assert.That((error!.JobName, error.DependsOnName), Is.EqualTo(("b", "c")));
        Assert.That(error.Cycle, Is.EqualTo(new[] { "b", "c", "a", "b" }));
    }

    [Test]
    public void Existing_dependencies_alone_are_not_blamed_for_a_cycle_through_them()
    {
        // The client has e1 -> e2; the batch adds e2 -> e1: the new dependency is the one named.
        var graph = Graph([], ("e2", "e1"));

        var error = Assert.Throws<GraphCycleException>(() => graph.CheckAgainst(new HashSet<string> { "e1", "e2" }, [("e1", "e2")]));

        Assert.That(error!.Cycle, Is.EqualTo(new[] { "e2", "e1", "e2" }));
    }

    [Test]
    public void A_chain_of_a_hundred_thousand_jobs_is_checked_in_one_pass_without_deep_recursion()
    {
        const int count = 100_000;
        var names = Enumerable.Range(0, count).Select(i => $"j{i}").ToArray();
        var chain = Enumerable.Range(0, count - 1).Select(i => (names[i], names[i + 1])).ToArray();
        var clock = Stopwatch.StartNew();

        var accepted = Graph(names, chain).CheckAgainst(NoJobs, []);
        var error = Assert.Throws<GraphCycleException>(() => Graph(names, [.. chain, (names[^1], names[0])]).CheckAgainst(NoJobs, []));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(accepted, Has.Count.EqualTo(count - 1));
            Assert.That(error!.Cycle, Has.Count.EqualTo(count + 1));
            Assert.That(error.Cycle[0], Is.EqualTo("j0"), "the first dependency of the batch is on the cycle");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "linear, not a search per dependency");
        }
    }

    [Test]
    public void Names_of_dependencies_are_trimmed_and_validated_like_job_names()
    {
        var dependency = new GraphDependency(" load ", "extract\t");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((dependency.JobName, dependency.DependsOnName), Is.EqualTo(("load", "extract")));
            Assert.That(Assert.Throws<OrderLibValidationException>(() => _ = new GraphDependency("load", new string('n', 201)))!.ParamName, Is.EqualTo(nameof(GraphDependency.DependsOnName)));
            Assert.That(Assert.Throws<OrderLibValidationException>(() => _ = new GraphDependency(" ", "extract"))!.ParamName, Is.EqualTo(nameof(GraphDependency.JobName)));
        }
    }

    [Test]
    public void Redefining_keeps_the_due_time_of_an_unchanged_schedule_and_recomputes_a_changed_one()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var job = Job.Create(new JobId(1), new ClientId("c"), new JobDefinition("j") { Schedule = "0 * * * *" }, t0) with { NextDueAt = t0.AddHours(1) };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.IsDefinedBy(new JobDefinition("j") { Schedule = "0 * * * *" }), Is.True);
            Assert.That(job.IsDefinedBy(new JobDefinition("j") { Schedule = "0 * * * *", Priority = 1 }), Is.False);
            Assert.That((job with { NextDueAt = null }).IsDefinedBy(new JobDefinition("j") { Schedule = "0 * * * *" }), Is.False, "a scheduled job without a due time is saved again");
            Assert.That(job.Redefined(new JobDefinition("j") { Schedule = "0 * * * *", Priority = 2 }, t0.AddMinutes(30)).NextDueAt, Is.EqualTo(t0.AddHours(1)));
            Assert.That(job.Redefined(new JobDefinition("j") { Schedule = "*/5 * * * *" }, t0.AddMinutes(30)).NextDueAt, Is.EqualTo(t0.AddMinutes(35)));
        }
    }

    private static GraphDefinition Graph(string[] jobs, params (string JobName, string DependsOnName)[] dependencies) =>
        new(jobs.Select(n => new JobDefinition(n)), dependencies.Select(d => new GraphDependency(d.JobName, d.DependsOnName)));
}
