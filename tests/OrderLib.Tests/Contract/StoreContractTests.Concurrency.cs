using NUnit.Framework;
using OrderLib.Domain;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    private const int Racers = 8;

    [Test]
    public async Task Concurrency_TwoCallersAddingOppositeEdges_ExactlyOneWinsAndTheOtherSeesTheCycle()
    {
        for (var round = 0; round < 20; round++)
        {
            var x = await CreateJobAsync($"x-{round}");
            var y = await CreateJobAsync($"y-{round}");

            var outcomes = await RaceAsync(2, i => i == 0 ? DependAsync(x, y) : DependAsync(y, x));

            var winners = outcomes.Count(o => o is null);
            var cycles = outcomes.OfType<DependencyCycleException>().ToArray();
            Assert.That(winners, Is.EqualTo(1), $"round {round}: {Describe(outcomes)}");
            Assert.That(cycles, Has.Length.EqualTo(1), $"round {round}: {Describe(outcomes)}");
            var edges = (await UpstreamIdsAsync(x)).Length + (await UpstreamIdsAsync(y)).Length;
            Assert.That(edges, Is.EqualTo(1), $"round {round}: exactly one edge is stored");
        }
    }

    [Test]
    public async Task Concurrency_EnqueueingTheSameJobAtOnce_CreatesOneRunThatEveryCallerGets()
    {
        var job = await CreateJobAsync("extract");
        var results = new RunId[Racers];
        var created = new bool[Racers];

        var outcomes = await RaceAsync(Racers, async i =>
        {
            var result = await Runs.EnqueueRunAsync(Client, job.Id, At(1), None);
            results[i] = result.Run.Id;
            created[i] = result.Created;
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes, Is.All.Null, Describe(outcomes));
            Assert.That(results.Distinct().ToArray(), Has.Length.EqualTo(1));
            Assert.That(created.Count(c => c), Is.EqualTo(1));
            Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Concurrency_StartingTheSameReadyRunAtOnce_ExactlyOneWorkerGetsIt()
    {
        var job = await CreateJobAsync("extract");
        var run = await EnqueueAsync(job, at: 1);
        var started = new JobRun?[Racers];

        var outcomes = await RaceAsync(Racers, async i =>
            started[i] = await Runs.StartRunAsync(Client, run.Id, $"worker-{i}", At(2), At(62), None));

        var winner = Array.FindIndex(outcomes, o => o is null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Count(o => o is null), Is.EqualTo(1), Describe(outcomes));
            Assert.That(outcomes.Count(o => o is IllegalRunTransitionException { From: RunStatus.Running }), Is.EqualTo(Racers - 1), Describe(outcomes));
        }

        var stored = await GetRunAsync(run);
        Assert.That(stored, Is.EqualTo(started[winner]));
        Assert.That(stored!.WorkerId, Is.EqualTo($"worker-{winner}"));
    }

    /// <summary>
    /// Runs <paramref name="count"/> callers on the thread pool, released together, and returns what each threw (null: it succeeded).
    /// </summary>
    private static async Task<Exception?[]> RaceAsync(int count, Func<int, Task> action)
    {
        using var gate = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            gate.Wait();
            try
            {
                await action(i);
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        })).ToArray();

        gate.Set();
        return await Task.WhenAll(tasks);
    }

    private static string Describe(IEnumerable<Exception?> outcomes) =>
        string.Join("; ", outcomes.Select(o => o is null ? "ok" : $"{o.GetType().Name}: {o.Message}"));
}
