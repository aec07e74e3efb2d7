using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

// Trace context propagation: the W3C context an enqueue or a trigger stores, which claims hand back and retries keep.
public abstract partial class StoreContractTests
{
    private static readonly RunTraceContext TraceA = new("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=a,other=b");
    private static readonly RunTraceContext TraceB = new("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", null);

    [Test]
    public async Task EnqueueRun_WithATraceContext_StoresIt_TheClaimReturnsIt_AndAJoinedRunKeepsItsOwn()
    {
        var traced = await CreateJobAsync("traced");
        var plain = await CreateJobAsync("plain");

        var created = await Runs.EnqueueRunAsync(Client, traced.Id, null, TraceA, At(1), None);
        var joined = await Runs.EnqueueRunAsync(Client, traced.Id, null, TraceB, At(2), None);
        var untraced = await Runs.EnqueueRunAsync(Client, plain.Id, null, null, At(2), None);
        var claimed = (await ClaimAsync(at: 3)).ToDictionary(c => c.Run.Id, c => c.TraceContext);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((joined.Created, joined.Run.Id), Is.EqualTo((false, created.Run.Id)));
            Assert.That(claimed[created.Run.Id], Is.EqualTo(TraceA), "traceparent and tracestate as given; the joining call's context is not written");
            Assert.That(claimed[untraced.Run.Id], Is.Null, "no trace context");
        }
    }

    [Test]
    public async Task TriggerPipelines_WithATraceContext_StoresItOnEveryCreatedRun_NotOnJoinedOnes()
    {
        var a = await CreateJobAsync("a");
        var b = await CreateJobAsync("b");
        var c = await CreateJobAsync("c");
        await DependAsync(b, a);
        await DependAsync(c, b);
        var kept = await Runs.EnqueueRunAsync(Client, c.Id, null, TraceB, At(1), None);

        var triggered = await Runs.TriggerPipelinesAsync(Client, [a.Id], new PipelineTrigger(PipelineTriggerKind.Manual, null, null) { TraceContext = TraceA }, At(2), None);
        var first = (await ClaimAsync(at: 3)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered.Runs.Select(r => r.Created), Is.EqualTo(new[] { true, true, false }));
            Assert.That(first.Run.Id, Is.EqualTo(triggered.Runs[0].Run.Id));
            Assert.That(first.TraceContext, Is.EqualTo(TraceA));
        }

        await CompleteAsync(first.Run, RunStatus.Succeeded, at: 4);
        var second = (await ClaimAsync(at: 5)).Single();
        Assert.That((second.Run.Id, second.TraceContext), Is.EqualTo((triggered.Runs[1].Run.Id, (RunTraceContext?)TraceA)));
        await CompleteAsync(second.Run, RunStatus.Succeeded, at: 6);
        var third = (await ClaimAsync(at: 7)).Single();
        Assert.That((third.Run.Id, third.TraceContext), Is.EqualTo((kept.Run.Id, (RunTraceContext?)TraceB)), "the joined run keeps the context it was enqueued with");
    }

    [Test]
    public async Task Retries_KeepTheTraceContext_WhenCompletedAlone_InABatch_OrRescued()
    {
        var policy = Backoff(1, 1);
        var alone = await CreateJobAsync("alone", maxAttempts: 3);
        var batched = await CreateJobAsync("batched", maxAttempts: 3);
        var rescued = await CreateJobAsync("rescued", maxAttempts: 3);
        var untraced = await CreateJobAsync("untraced", maxAttempts: 3);
        await Runs.EnqueueRunAsync(Client, alone.Id, null, TraceA, At(0), None);
        await Runs.EnqueueRunAsync(Client, batched.Id, null, TraceB, At(0), None);
        await Runs.EnqueueRunAsync(Client, rescued.Id, null, TraceA, At(0), None);
        await Runs.EnqueueRunAsync(Client, untraced.Id, null, null, At(0), None);
        var claimed = (await ClaimAsync(at: 1, lease: 10)).ToDictionary(c => c.JobName, c => c.Run);

        var aloneRetry = (await CompleteAsync(claimed["alone"], RunStatus.Failed, at: 2, error: "e", policy: policy)).Retry!;
        var batch = await Queue.CompleteRunsAsync(
            [new RunOutcome(claimed["batched"].Id, new WorkerId("worker-1"), RunStatus.Failed, "e"), new RunOutcome(claimed["untraced"].Id, new WorkerId("worker-1"), RunStatus.Failed, "e")],
            At(2), policy, None);
        var rescue = await Queue.RescueExpiredRunsAsync(At(20), policy, 10, None);
        var again = (await ClaimAsync(at: 30)).ToDictionary(c => c.Run.Id, c => c.TraceContext);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again[aloneRetry.Id], Is.EqualTo(TraceA), "a single completion's retry");
            Assert.That(again[batch[0].Completion!.Retry!.Id], Is.EqualTo(TraceB), "a batch completion's retry");
            Assert.That(again[batch[1].Completion!.Retry!.Id], Is.Null, "a retry of a run without a context has none");
            Assert.That(again[rescue.Single().Retry!.Id], Is.EqualTo(TraceA), "a rescue's retry");
        }
    }
}
