
namespace OrderLib.Tests.Domain;

public class RunLifeCycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly (RunStatus From, RunStatus To)[] Allowed =
    [
        (RunStatus.Pending, RunStatus.Running),
        (RunStatus.Pending, RunStatus.Cancelled),
        (RunStatus.Running, RunStatus.Succeeded),
        (RunStatus.Running, RunStatus.Failed),
        (RunStatus.Running, RunStatus.Cancelled),
    ];

    private static IEnumerable<TestCaseData> EveryPair() =>
        from source in Enum.GetValues<RunStatus>()
        from target in Enum.GetValues<RunStatus>()
        select new TestCaseData(source, target);

    [TestCaseSource(nameof(EveryPair))]
    public void Only_the_documented_transitions_are_allowed(RunStatus from, RunStatus to)
    {
        var expected = Allowed.Contains((from, to));
        Assert.That(RunTransitions.IsAllowed(from, to), Is.EqualTo(expected));
        if (expected)
        {
            Assert.DoesNotThrow(() => RunTransitions.Ensure(new RunId(1), from, to));
        }
        else
        {
            var error = Assert.Throws<IllegalRunTransitionException>(() => RunTransitions.Ensure(new RunId(1), from, to));
            Assert.That(error!.From, Is.EqualTo(from));
            Assert.That(error.To, Is.EqualTo(to));
            Assert.That(error.Message, Does.Contain(from.ToString()).And.Contain(to.ToString()));
        }
    }

    [Test]
    public void Terminal_states_are_exactly_succeeded_failed_cancelled()
    {
        Assert.That(Enum.GetValues<RunStatus>().Where(s => s.IsTerminal()), Is.EquivalentTo(new[] { RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled }));
    }
}

public class RetryPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [TestCase(1, 10)]
    [TestCase(2, 20)]
    [TestCase(3, 40)]
    [TestCase(10, 60)]
    [TestCase(1000, 60)]
    public void Delay_doubles_per_attempt_up_to_the_cap(int failedAttempt, int expectedSeconds)
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), 0);
        Assert.That(policy.NextAttemptAt(failedAttempt, T0, 0.7), Is.EqualTo(T0.AddSeconds(expectedSeconds)));
    }

    [Test]
    public void Jitter_takes_off_at_most_its_share()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), 0.5);
        Assert.That(policy.NextAttemptAt(1, T0, 0), Is.EqualTo(T0.AddSeconds(10)));
        Assert.That(policy.NextAttemptAt(1, T0, 0.999999), Is.EqualTo(T0.AddSeconds(5)).Within(TimeSpan.FromMilliseconds(1)));
    }

    [Test]
    public void Retry_times_are_whole_microseconds()
    {
        var policy = new RetryPolicy(TimeSpan.FromTicks(1_234_567), TimeSpan.FromSeconds(60), 0.3);
        Assert.That(policy.NextAttemptAt(1, T0, 0.123456789).Ticks % 10, Is.Zero);
    }

    [TestCase(-1, 10, 0.5)]
    [TestCase(10, 5, 0.5)]
    [TestCase(1, 10, -0.1)]
    [TestCase(1, 10, 1.1)]
    public void Invalid_policies_are_refused(int baseSeconds, int maxSeconds, double jitter)
    {
        Assert.Throws<OrderLibValidationException>(() => new RetryPolicy(TimeSpan.FromSeconds(baseSeconds), TimeSpan.FromSeconds(maxSeconds), jitter).Validate());
    }
}
