using NUnit.Framework;
using OrderLib.Ports;

namespace OrderLib.Tests.Contract;

public abstract partial class StoreContractTests
{
    [Test]
    public async Task CompleteRun_FailedWithAttemptsLeft_EnqueuesTheNextAttemptAfterTheBackoff_AndKeepsEveryAttempt()
    {
        var policy = Backoff(10, 3600);
        var job = await CreateJobAsync("flaky", maxAttempts: 4);
        var run1 = await ClaimOnlyAsync(await EnqueueAsync(job, at: 0), at: 0, lease: 1000);

        var fail1 = await CompleteAsync(run1, RunStatus.Failed, at: 100, error: "e1", policy: policy);

        AssertCompletion(fail1, run1 with { Status = RunStatus.Failed, FinishedAt = At(100), LeaseExpiresAt = null, Error = "e1" }, ExpectedRetry(fail1, at: 100, availableAt: 110));
        var enqueueAgain = await Runs.EnqueueRunAsync(Client, job.Id, null, At(105), None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fail1.Retry!.Id.Value, Is.GreaterThan(run1.Id.Value));
            Assert.That(await GetRunAsync(fail1.Retry), Is.EqualTo(fail1.Retry), "the retry is stored as returned");
            Assert.That(enqueueAgain, Is.EqualTo(new EnqueueResult(fail1.Retry, Created: false)), "the retry is the job's one active run");
            Assert.That(await ClaimIdsAsync(at: 109), Is.Empty, "not claimable before its backoff ends");
        }

        var run2 = await ClaimOnlyAsync(fail1.Retry!, at: 110, lease: 1000);
        var fail2 = await CompleteAsync(run2, RunStatus.Failed, at: 200, error: "e2", policy: policy);
        AssertCompletion(fail2, run2 with { Status = RunStatus.Failed, FinishedAt = At(200), LeaseExpiresAt = null, Error = "e2" }, ExpectedRetry(fail2, at: 200, availableAt: 220));

        var run3 = await ClaimOnlyAsync(fail2.Retry!, at: 220, lease: 1000);
        var fail3 = await CompleteAsync(run3, RunStatus.Failed, at: 300, error: "e3", policy: policy);
        AssertCompletion(fail3, run3 with { Status = RunStatus.Failed, FinishedAt = At(300), LeaseExpiresAt = null, Error = "e3" }, ExpectedRetry(fail3, at: 300, availableAt: 340));

        var run4 = await ClaimOnlyAsync(fail3.Retry!, at: 340, lease: 1000);
        var fail4 = await CompleteAsync(run4, RunStatus.Failed, at: 400, error: "e4", policy: policy);
        AssertCompletion(fail4, run4 with { Status = RunStatus.Failed, FinishedAt = At(400), LeaseExpiresAt = null, Error = "e4" }, null);

        var history = await Runs.ListRunsAsync(Client, job.Id, null, 10, None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(history, Is.EqualTo(new[] { fail4.Run, fail3.Run, fail2.Run, fail1.Run }), "each attempt is a row, newest first");
            Assert.That(history.Select(r => r.Attempt), Is.EqualTo(new[] { 4, 3, 2, 1 }));
            Assert.That(history.Select(r => r.Error), Is.EqualTo(new[] { "e4", "e3", "e2", "e1" }));
            Assert.That(await ClaimIdsAsync(at: 10_000), Is.Empty, "attempts ran out: nothing left to claim");
        }
    }

    [TestCase(10, 3600, 10, 20, 40)]
    [TestCase(10, 25, 10, 20, 25)]
    [TestCase(10, 10, 10, 10, 10)]
    [TestCase(0, 0, 0, 0, 0)]
    public async Task Retry_WaitsAnExponentialBackoffCappedAtTheMaximum(int baseSeconds, int maxSeconds, params int[] expectedDelays)
    {
        var job = await CreateJobAsync("flaky", maxAttempts: expectedDelays.Length + 1);

        var completions = await FailEveryAttemptAsync(job, Backoff(baseSeconds, maxSeconds));

        var delays = completions.Where(c => c.Retry is not null).Select(c => (c.Retry!.AvailableAt - c.Run.FinishedAt!.Value).TotalSeconds).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(completions.Select(c => c.Run.Attempt), Is.EqualTo(Enumerable.Range(1, expectedDelays.Length + 1)));
            Assert.That(delays, Is.EqualTo(expectedDelays.Select(d => (double)d)), "attempt 1, 2, 3 wait base × 1, × 2, × 4, never more than the cap");
            Assert.That(completions[^1].Retry, Is.Null);
        }
    }

    [Test]
    public async Task Retry_WithJitter_IsAvailableWithinTheJitteredRange()
    {
        const int count = 10;
        var policy = Backoff(100, 1000, jitter: 0.5);
        for (var i = 0; i < count; i++)
        {
            await EnqueueAsync(await CreateJobAsync($"flaky-{i}", maxAttempts: 2), at: 0);
        }

        var claimed = await ClaimAsync(at: 1, lease: 1000);
        var retries = new List<JobRun>();
        foreach (var claim in claimed)
        {
            retries.Add((await CompleteAsync(claim.Run, RunStatus.Failed, at: 10, error: "boom", policy: policy)).Retry!);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Has.Count.EqualTo(count));
            Assert.That(retries.Select(r => r.AvailableAt), Is.All.InRange(At(60), At(110)), "a delay of 100 s shortened by at most half");
            Assert.That(retries.Select(r => r.AvailableAt).Distinct().Count(), Is.GreaterThan(1), "runs failing together do not all retry at the same moment");
            foreach (var retry in retries)
            {
                Assert.That(await GetRunAsync(retry), Is.EqualTo(retry));
            }

            Assert.That(await ClaimIdsAsync(at: 59), Is.Empty);
            Assert.That(await ClaimIdsAsync(at: 110), Is.EquivalentTo(retries.Select(r => r.Id)));
        }
    }

    [Test]
    public async Task AFailureWithAttemptsLeft_LeavesDependentsWaiting_AndTheyRunAfterTheRetrySucceeds()
    {
        var extract = await CreateJobAsync("extract", maxAttempts: 2);
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(extract, at: 1), at: 1);
        var waiting = await EnqueueAsync(load, at: 2);

        var failed = await CompleteAsync(claimed, RunStatus.Failed, at: 10, error: "flaky network");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.CancelledDownstream, Is.Empty, "attempts remain: nothing is cancelled");
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(waiting));
        }

        var retry = await ClaimOnlyAsync(failed.Retry!, at: 11);
        await CompleteAsync(retry, RunStatus.Succeeded, at: 12);

        Assert.That(await ClaimIdsAsync(at: 13), Is.EqualTo(new[] { waiting.Id }));
    }

    [Test]
    public async Task FinishRun_OperatorFailure_RetriesWhileAttemptsRemain_ThenCascades()
    {
        var policy = Backoff(10, 3600);
        var extract = await CreateJobAsync("extract", maxAttempts: 2);
        var load = await CreateJobAsync("load");
        await DependAsync(load, extract);
        var claimed = await ClaimOnlyAsync(await EnqueueAsync(extract, at: 1), at: 1, worker: "w1");
        var waiting = await EnqueueAsync(load, at: 2);

        var first = await Runs.FinishRunAsync(Client, claimed.Id, RunStatus.Failed, "operator: broken", null, At(10), policy, None);

        AssertCompletion(first, claimed with { Status = RunStatus.Failed, FinishedAt = At(10), LeaseExpiresAt = null, Error = "operator: broken" }, ExpectedRetry(first, at: 10, availableAt: 20));
        Assert.That(await GetRunAsync(waiting), Is.EqualTo(waiting));

        var second = await ClaimOnlyAsync(first.Retry!, at: 20, worker: "w2");
        var last = await Runs.FinishRunAsync(Client, second.Id, RunStatus.Failed, "operator: still broken", null, At(30), policy, None);

        AssertCompletion(last, second with { Status = RunStatus.Failed, FinishedAt = At(30), LeaseExpiresAt = null, Error = "operator: still broken" }, null, waiting.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await GetRunAsync(waiting), Is.EqualTo(CancelledByUpstream(waiting, "extract", failed: true, at: 30)));
            Assert.That(await Runs.ListRunsAsync(Client, extract.Id, null, 10, None), Is.EqualTo(new[] { last.Run, first.Run }));
        }
    }

    /// <summary>Claims and fails each attempt of the job (failing attempt n at n × 100 s) until no retry comes back.</summary>
    private async Task<List<RunCompletion>> FailEveryAttemptAsync(Job job, RetryPolicy policy)
    {
        var completions = new List<RunCompletion>();
        var run = await EnqueueAsync(job, at: 0);
        var claimAt = 0;
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            var claimed = await ClaimOnlyAsync(run, at: claimAt, lease: 1000);
            var completion = await CompleteAsync(claimed, RunStatus.Failed, at: attempt * 100, error: $"e{attempt}", policy: policy);
            completions.Add(completion);
            if (completion.Retry is not { } retry)
            {
                return completions;
            }

            run = retry;
            claimAt = (int)Math.Ceiling((retry.AvailableAt - T0).TotalSeconds);
        }

        Assert.Fail("The job was retried more than 20 times.");
        return completions;
    }
}
