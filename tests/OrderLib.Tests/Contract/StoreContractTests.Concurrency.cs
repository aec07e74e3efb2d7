using NUnit.Framework;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    private const int Racers = 8;
    private const int Rounds = 5;

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
        for (var round = 0; round < Rounds; round++)
        {
            var job = await CreateJobAsync($"extract-{round}");
            var results = new RunId[Racers];
            var created = new bool[Racers];

            var outcomes = await RaceAsync(Racers, async i =>
            {
                var result = await Runs.EnqueueRunAsync(Client, job.Id, null, At(1), None);
                results[i] = result.Run.Id;
                created[i] = result.Created;
            });

            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes, Is.All.Null, $"round {round}: {Describe(outcomes)}");
                Assert.That(results.Distinct().ToArray(), Has.Length.EqualTo(1), $"round {round}: every caller gets the same run");
                Assert.That(created.Count(c => c), Is.EqualTo(1), $"round {round}: exactly one caller created it");
                Assert.That(await Runs.ListRunsAsync(Client, job.Id, null, 100, None), Has.Count.EqualTo(1), $"round {round}: one run stored");
            }
        }
    }

    [Test]
    public async Task Concurrency_StartingTheSameReadyRunAtOnce_ExactlyOneWorkerGetsIt()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var job = await CreateJobAsync($"extract-{round}");
            var run = await EnqueueAsync(job, at: 1);
            var started = new JobRun?[Racers];

            var outcomes = await RaceAsync(Racers, async i =>
                started[i] = await Runs.StartRunAsync(Client, run.Id, new WorkerId($"worker-{i}"), At(2), At(62), None));

            var winner = Array.FindIndex(outcomes, o => o is null);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(outcomes.Count(o => o is null), Is.EqualTo(1), $"round {round}: {Describe(outcomes)}");
                Assert.That(
                    outcomes.Count(o => o is IllegalRunTransitionException { From: RunStatus.Running, To: RunStatus.Running }),
                    Is.EqualTo(Racers - 1),
                    $"round {round}: {Describe(outcomes)}");
            }

            var stored = await GetRunAsync(run);
            Assert.That(stored, Is.EqualTo(started[winner]), $"round {round}: the stored run is the winner's");
            Assert.That(stored!.WorkerId, Is.EqualTo(new WorkerId($"worker-{winner}")));
        }
    }

    /// <summary>
    /// Runs <paramref name="count"/> callers, each on a dedicated thread, released together once all are waiting at the
    /// gate (so the race does not depend on the thread pool's size), and returns what each threw (null: it succeeded).
    /// </summary>
    private static async Task<Exception?[]> RaceAsync(int count, Func<int, Task> action)
    {
        using var ready = new CountdownEvent(count);
        using var gate = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Factory.StartNew(
            () =>
            {
                ready.Signal();
                gate.Wait();
                try
                {
                    action(i).GetAwaiter().GetResult();
                    return null;
                }
                catch (Exception ex)
                {
                    return ex;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        ready.Wait(TimeSpan.FromSeconds(30));
        gate.Set();
        return await Task.WhenAll(tasks);
    }

    private static string Describe(IEnumerable<Exception?> outcomes) =>
        string.Join("; ", outcomes.Select(o => o is null ? "ok" : $"{o.GetType().Name}: {o.Message}"));
}
