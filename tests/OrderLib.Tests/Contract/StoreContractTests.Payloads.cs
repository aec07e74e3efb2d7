using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

// Run inputs and outputs: the input an enqueue writes and a claim hands over, the output a success records, and the reads.
public abstract partial class StoreContractTests
{
    [Test]
    public async Task EnqueueRun_WithAnInput_StoresItExactly_AndTheClaimHandsItToTheWorker()
    {
        var withInput = await CreateJobAsync("with-input");
        var largest = await CreateJobAsync("largest-input");
        var without = await CreateJobAsync("without-input");
        var input = Payload("""{ "day": "2026-01-01",  "regions": ["eu", "us"], "note": "ünïcode ✓ \"quoted\"" }""");
        var maxSize = Payload("\"" + new string('x', RunPayload.MaxBytes - 2) + "\"");

        var created = await Runs.EnqueueRunAsync(Client, withInput.Id, input, At(1), None);
        var big = (await Runs.EnqueueRunAsync(Client, largest.Id, maxSize, At(1), None)).Run;
        var plain = await EnqueueAsync(without, at: 1);
        var claimed = (await ClaimAsync(at: 2)).ToDictionary(c => c.Run.Id, c => c.Input);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created.Created, Is.True);
            Assert.That(await Runs.GetRunPayloadsAsync(Client, created.Run.Id, None), Is.EqualTo(new RunPayloads(input, null)), "stored as given");
            Assert.That(claimed[created.Run.Id]?.Json, Is.EqualTo(input.Json), "the claim hands the input over, text unchanged");
            Assert.That(claimed[big.Id], Is.EqualTo(maxSize), "a payload of exactly 64 KiB");
            Assert.That(claimed[plain.Id], Is.Null, "no input");
            Assert.That(await Runs.GetRunPayloadsAsync(Client, plain.Id, None), Is.EqualTo(new RunPayloads(null, null)));
        }
    }

    [Test]
    public async Task EnqueueRun_WhenTheJobHasAnActiveRun_KeepsTheFirstInput_AndWritesNothing()
    {
        var job = await CreateJobAsync("joined");
        var first = Payload("""{"n":1}""");

        var created = await Runs.EnqueueRunAsync(Client, job.Id, first, At(1), None);
        var pendingAgain = await Runs.EnqueueRunAsync(Client, job.Id, Payload("""{"n":2}"""), At(2), None);
        await ClaimOnlyAsync(created.Run, at: 3);
        var runningAgain = await Runs.EnqueueRunAsync(Client, job.Id, Payload("""{"n":3}"""), At(4), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((pendingAgain.Created, pendingAgain.Run.Id), Is.EqualTo((false, created.Run.Id)), "joined the pending run");
            Assert.That((runningAgain.Created, runningAgain.Run.Id), Is.EqualTo((false, created.Run.Id)), "joined the running run");
            Assert.That(await Runs.GetRunPayloadsAsync(Client, created.Run.Id, None), Is.EqualTo(new RunPayloads(first, null)), "the first input is kept");
        }
    }

    [Test]
    public async Task CompleteRun_Succeeded_RecordsTheOutput_AndAnOutputWithAnotherOutcomeIsRefusedBeforeAnythingChanges()
    {
        var job = await CreateJobAsync("produces", maxAttempts: 2);
        var input = Payload("""{"in":true}""");
        var output = Payload("""{"rows": 42}""");
        var run = (await Runs.EnqueueRunAsync(Client, job.Id, input, At(1), None)).Run;
        var running = await ClaimOnlyAsync(run, at: 2);

        foreach (var status in new[] { RunStatus.Failed, RunStatus.Cancelled })
        {
            Assert.ThrowsAsync<ArgumentException>(() => Queue.CompleteRunAsync(run.Id, new WorkerId("worker-1"), status, "x", output, At(3), NoDelay, None), $"an output with {status}");
        }

        var stillRunning = await GetRunAsync(run);
        var completion = await Queue.CompleteRunAsync(run.Id, new WorkerId("worker-1"), RunStatus.Succeeded, null, output, At(4), NoDelay, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stillRunning, Is.EqualTo(running), "the refused completions changed nothing");
            Assert.That(completion.Run.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(await Runs.GetRunPayloadsAsync(Client, run.Id, None), Is.EqualTo(new RunPayloads(input, output)));
        }
    }

    [Test]
    public async Task CompleteRun_WithALostLease_WritesNoOutput()
    {
        var job = await CreateJobAsync("lost");
        var run = await EnqueueAsync(job, at: 1);
        await ClaimOnlyAsync(run, at: 2);

        Assert.ThrowsAsync<LeaseLostException>(() => Queue.CompleteRunAsync(run.Id, new WorkerId("intruder"), RunStatus.Succeeded, null, Payload("\"intruder\""), At(3), NoDelay, None));
        await CompleteAsync(run, RunStatus.Succeeded, at: 4);
        Assert.ThrowsAsync<LeaseLostException>(() => Queue.CompleteRunAsync(run.Id, new WorkerId("worker-1"), RunStatus.Succeeded, null, Payload("\"late\""), At(5), NoDelay, None));

        Assert.That(await Runs.GetRunPayloadsAsync(Client, run.Id, None), Is.EqualTo(new RunPayloads(null, null)), "neither the other worker's nor the late report's output");
    }

    [Test]
    public async Task CompleteRuns_WritesEachSuccessItsOwnOutput_AndNothingForFailuresOrLostRuns()
    {
        var withOutput = await CreateJobAsync("with-output");
        var withoutOutput = await CreateJobAsync("without-output");
        var fails = await CreateJobAsync("fails");
        var heldByOther = await CreateJobAsync("held-by-other");
        foreach (var job in new[] { withOutput, withoutOutput, fails })
        {
            await EnqueueAsync(job, at: 1);
        }

        var mine = (await ClaimAsync(at: 2, lease: 1000)).ToDictionary(c => c.Run.JobId, c => c.Run.Id);
        var other = await ClaimOnlyAsync(await EnqueueAsync(heldByOther, at: 3), at: 3, worker: "worker-2", lease: 1000);
        var me = new WorkerId("worker-1");
        var output = Payload("""[1, 2, {"three": 3}]""");
        var refused = Assert.ThrowsAsync<ArgumentException>(() => Queue.CompleteRunsAsync(
            [new RunOutcome(mine[withOutput.Id], me, RunStatus.Succeeded, null, output), new RunOutcome(mine[fails.Id], me, RunStatus.Failed, "boom", output)], At(4), NoDelay, None));

        var results = await Queue.CompleteRunsAsync(
            [
                new RunOutcome(mine[withOutput.Id], me, RunStatus.Succeeded, null, output),
                new RunOutcome(mine[withoutOutput.Id], me, RunStatus.Succeeded, null),
                new RunOutcome(mine[fails.Id], me, RunStatus.Failed, "boom"),
                new RunOutcome(other.Id, me, RunStatus.Succeeded, null, Payload("\"not mine\"")),
            ],
            At(5),
            NoDelay,
            None);

        async Task<RunPayload?> OutputOf(RunId runId) => (await Runs.GetRunPayloadsAsync(Client, runId, None))!.Output;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused?.Message, Does.Contain("only a success records an output"));
            Assert.That(results.Select(r => r.Completion?.Run.Status), Is.EqualTo(new RunStatus?[] { RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Failed, null }));
            Assert.That(await OutputOf(mine[withOutput.Id]), Is.EqualTo(output));
            Assert.That(await OutputOf(mine[withoutOutput.Id]), Is.Null);
            Assert.That(await OutputOf(mine[fails.Id]), Is.Null);
            Assert.That(await OutputOf(other.Id), Is.Null, "a lost outcome writes nothing");
            Assert.That((await GetRunAsync(other))!.Status, Is.EqualTo(RunStatus.Running));
        }
    }

    [Test]
    public async Task FinishRun_Succeeded_RecordsTheOperatorsOutput_AndAFailureWithAnOutputIsRefused()
    {
        var job = await CreateJobAsync("operated");
        var run = await StartAsync(await EnqueueAsync(job, at: 1), at: 2);
        var output = Payload("""{"by":"operator"}""");

        Assert.ThrowsAsync<ArgumentException>(() => Runs.FinishRunAsync(Client, run.Id, RunStatus.Failed, "boom", output, At(3), NoDelay, None));
        var stillRunning = await GetRunAsync(run);
        var finished = await Runs.FinishRunAsync(Client, run.Id, RunStatus.Succeeded, null, output, At(4), NoDelay, None);
        Assert.ThrowsAsync<IllegalRunTransitionException>(() => Runs.FinishRunAsync(Client, run.Id, RunStatus.Succeeded, null, Payload("\"again\""), At(5), NoDelay, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stillRunning, Is.EqualTo(run));
            Assert.That(finished.Run.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(await Runs.GetRunPayloadsAsync(Client, run.Id, None), Is.EqualTo(new RunPayloads(null, output)), "the refused second finish wrote nothing");
        }
    }

    [Test]
    public async Task GetUpstreamOutputs_GivesEachDirectUpstreamJobByName_WithItsLatestSucceededRunsOutput()
    {
        var zeta = await CreateJobAsync("zeta");
        var alpha = await CreateJobAsync("alpha", maxAttempts: 1);
        var silent = await CreateJobAsync("mid-silent");
        var never = await CreateJobAsync("never-succeeded");
        var grandparent = await CreateJobAsync("grandparent");
        var downstream = await CreateJobAsync("downstream");
        foreach (var upstream in new[] { zeta, alpha, silent, never })
        {
            await DependAsync(downstream, upstream);
        }

        await DependAsync(zeta, grandparent);
        await FinishWithOutputAsync(alpha, Payload("\"first\""), at: 1);
        var latestSuccess = await FinishWithOutputAsync(alpha, Payload("\"second\""), at: 2);
        await RunToEndAsync(alpha, RunStatus.Failed, at: 3);
        await RunInStatusAsync(alpha, RunStatus.Pending, at: 4);
        var silentRun = await RunToEndAsync(silent, RunStatus.Succeeded, at: 1);
        await RunToEndAsync(never, RunStatus.Failed, at: 1);
        await FinishWithOutputAsync(grandparent, Payload("\"not direct\""), at: 1);
        var zetaRun = await FinishWithOutputAsync(zeta, Payload("""{"z":26}"""), at: 2);

        var outputs = await Runs.GetUpstreamOutputsAsync(Client, downstream.Id, None);

        Assert.That(outputs, Is.EqualTo(new[]
        {
            new UpstreamOutput(alpha.Id, "alpha", latestSuccess, Payload("\"second\"")),
            new UpstreamOutput(silent.Id, "mid-silent", silentRun.Id, null),
            new UpstreamOutput(never.Id, "never-succeeded", null, null),
            new UpstreamOutput(zeta.Id, "zeta", zetaRun, Payload("""{"z":26}""")),
        }));
    }

    [Test]
    public async Task GetUpstreamOutputs_OfAJobWithoutUpstreamJobs_IsEmpty_AndOfAnUnknownOrAnotherClientsJobIsNotFound()
    {
        var alone = await CreateJobAsync("alone");
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirUpstream = await CreateJobAsync("their-upstream", client: OtherClient);
        await Deps.AddDependencyAsync(OtherClient, theirs.Id, theirUpstream.Id, At(0), None);

        var outputs = await Runs.GetUpstreamOutputsAsync(Client, alone.Id, None);
        var unknown = Assert.ThrowsAsync<JobNotFoundException>(() => Runs.GetUpstreamOutputsAsync(Client, new JobId(long.MaxValue), None));
        var foreign = Assert.ThrowsAsync<JobNotFoundException>(() => Runs.GetUpstreamOutputsAsync(Client, theirs.Id, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outputs, Is.Empty);
            Assert.That(unknown?.JobId, Is.EqualTo(new JobId(long.MaxValue)));
            Assert.That(foreign?.JobId, Is.EqualTo(theirs.Id));
            Assert.That(await Runs.GetUpstreamOutputsAsync(OtherClient, theirs.Id, None), Has.Count.EqualTo(1), "their own client sees it");
        }
    }

    [Test]
    public async Task GetRunPayloads_OfAnUnknownOrAnotherClientsRun_IsNull()
    {
        var theirs = await CreateJobAsync("theirs", client: OtherClient);
        var theirRun = (await Runs.EnqueueRunAsync(OtherClient, theirs.Id, Payload("\"secret\""), At(1), None)).Run;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Runs.GetRunPayloadsAsync(Client, new RunId(long.MaxValue), None), Is.Null);
            Assert.That(await Runs.GetRunPayloadsAsync(Client, theirRun.Id, None), Is.Null);
            Assert.That(await Runs.GetRunPayloadsAsync(OtherClient, theirRun.Id, None), Is.EqualTo(new RunPayloads(Payload("\"secret\""), null)));
        }
    }

    private static RunPayload Payload(string json) => RunPayload.Parse(json);

    /// <summary>Runs the job (enqueue, start, finish) to a success that records <paramref name="output"/>; returns the run's id.</summary>
    private async Task<RunId> FinishWithOutputAsync(Job job, RunPayload output, int at)
    {
        var run = await StartAsync(await EnqueueAsync(job, at), at);
        return (await Runs.FinishRunAsync(Client, run.Id, RunStatus.Succeeded, null, output, At(at), NoDelay, None)).Run.Id;
    }
}
