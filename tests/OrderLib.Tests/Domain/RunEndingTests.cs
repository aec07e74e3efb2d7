using NUnit.Framework;

namespace OrderLib.Tests.Domain;

public class RunEndingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [TestCase(1, 1)]
    [TestCase(3, 3)]
    [TestCase(1, 3)]
    public void A_success_neither_retries_nor_cascades(int attempt, int maxAttempts)
    {
        var ending = RunEnding.Of(RunStatus.Succeeded, attempt, maxAttempts, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(ending.Status, Is.EqualTo(RunStatus.Succeeded));
            Assert.That(ending.Retries, Is.False);
            Assert.That(ending.CascadeReason, Is.Null);
        });
    }

    [TestCase(1, 2)]
    [TestCase(2, 3)]
    public void A_failure_with_attempts_left_retries_and_does_not_cascade(int attempt, int maxAttempts)
    {
        var ending = RunEnding.Of(RunStatus.Failed, attempt, maxAttempts, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(ending.Retries, Is.True);
            Assert.That(ending.CascadeReason, Is.Null);
        });
    }

    [TestCase(1, 1)]
    [TestCase(3, 3)]
    [TestCase(4, 3)]
    public void A_failure_at_the_last_attempt_ends_for_good_and_cascades(int attempt, int maxAttempts)
    {
        var ending = RunEnding.Of(RunStatus.Failed, attempt, maxAttempts, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(ending.Retries, Is.False);
            Assert.That(ending.CascadeReason, Is.EqualTo("Upstream job 'extract' failed"));
        });
    }

    [TestCase(1, 1)]
    [TestCase(1, 3)]
    public void A_cancellation_never_retries_and_cascades(int attempt, int maxAttempts)
    {
        var ending = RunEnding.Of(RunStatus.Cancelled, attempt, maxAttempts, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(ending.Retries, Is.False);
            Assert.That(ending.CascadeReason, Is.EqualTo("Upstream job 'extract' was cancelled"));
        });
    }

    [TestCase(RunStatus.Pending)]
    [TestCase(RunStatus.Running)]
    public void A_run_does_not_end_in_an_active_state(RunStatus status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RunEnding.Of(status, 1, 1, "extract"));
    }

    [Test]
    public void A_success_keeps_no_error_text_a_failure_or_cancellation_keeps_it()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RunEnding.ErrorOf(RunStatus.Succeeded, "ignored"), Is.Null);
            Assert.That(RunEnding.ErrorOf(RunStatus.Failed, "boom"), Is.EqualTo("boom"));
            Assert.That(RunEnding.ErrorOf(RunStatus.Cancelled, "stop"), Is.EqualTo("stop"));
        });
    }

    [Test]
    public void A_lost_run_fails_with_worker_lost_and_retries_while_attempts_remain()
    {
        var retried = RunEnding.Rescue(cancelRequested: false, attempt: 1, maxAttempts: 2, "extract");
        var lost = RunEnding.Rescue(cancelRequested: false, attempt: 2, maxAttempts: 2, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(RunEnding.RescueStatus(cancelRequested: false), Is.EqualTo(RunStatus.Failed));
            Assert.That(RunEnding.RescueError(cancelRequested: false), Is.EqualTo("worker lost"));
            Assert.That((retried.Status, retried.Retries, retried.CascadeReason), Is.EqualTo((RunStatus.Failed, true, (string?)null)));
            Assert.That((lost.Status, lost.Retries, lost.CascadeReason), Is.EqualTo((RunStatus.Failed, false, "Upstream job 'extract' failed")));
        });
    }

    [Test]
    public void A_lost_run_whose_cancellation_was_requested_is_cancelled_and_cascades()
    {
        var ending = RunEnding.Rescue(cancelRequested: true, attempt: 1, maxAttempts: 3, "extract");
        Assert.Multiple(() =>
        {
            Assert.That(RunEnding.RescueStatus(cancelRequested: true), Is.EqualTo(RunStatus.Cancelled));
            Assert.That(RunEnding.RescueError(cancelRequested: true), Is.EqualTo("cancelled; worker lost"));
            Assert.That((ending.Status, ending.Retries, ending.CascadeReason), Is.EqualTo((RunStatus.Cancelled, false, "Upstream job 'extract' was cancelled")));
        });
    }

    [Test]
    public void The_next_attempt_follows_the_failed_one_after_the_policy_backoff()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), 0);
        var next = RunEnding.Of(RunStatus.Failed, 2, 3, "extract").Retry(policy, T0, 0.7);
        Assert.That(next, Is.EqualTo(new RunRetry(3, policy.NextAttemptAt(2, T0, 0.7))));
        Assert.That(next.AvailableAt, Is.EqualTo(T0.AddSeconds(20)));
    }

    [TestCase(RunStatus.Succeeded, 1, 3)]
    [TestCase(RunStatus.Failed, 3, 3)]
    [TestCase(RunStatus.Cancelled, 1, 3)]
    public void Only_a_failure_with_attempts_left_has_a_next_attempt(RunStatus status, int attempt, int maxAttempts)
    {
        Assert.Throws<InvalidOperationException>(() => RunEnding.Of(status, attempt, maxAttempts, "extract").Retry(RetryPolicy.Default, T0, 0));
    }
}

public class JobSchedulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void A_readable_schedule_moves_to_its_next_occurrence()
    {
        Assert.That(JobSchedules.NextDueAtOrEnd("every 10m", T0.AddSeconds(1)), Is.EqualTo(T0.AddMinutes(10)));
        Assert.That(JobSchedules.NextDueAtOrEnd(null, T0), Is.Null);
    }

    [Test]
    public void An_unreadable_schedule_ends_where_reading_it_is_refused()
    {
        const string unreadable = "TZ=Mars/Olympus 0 3 * * *";
        Assert.Throws<OrderLibValidationException>(() => JobSchedules.NextDueAt(unreadable, T0));
        Assert.That(JobSchedules.NextDueAtOrEnd(unreadable, T0), Is.Null);
    }
}
