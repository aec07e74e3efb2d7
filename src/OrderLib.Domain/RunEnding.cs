namespace OrderLib;

/// <summary>
/// What follows when a run ends — the one rule every store applies, so that they cannot disagree: a failure with attempts
/// left is retried (<see cref="Retries"/>, at <see cref="RetryPolicy.NextAttemptAt"/>); a failure for good or a
/// cancellation cancels the pending runs of the job's transitive dependents (<see cref="CascadeReason"/>); a success
/// does neither. A run whose lease expired ends as <see cref="Rescue"/> says, then follows the same rule.
/// </summary>
public sealed record RunEnding
{
    /// <summary>The error text of a rescued run whose worker stopped renewing its lease.</summary>
    public const string WorkerLost = "worker lost";

    /// <summary>The error text of a rescued run whose cancellation had been requested.</summary>
    public const string WorkerLostCancelled = "cancelled; worker lost";

    private RunEnding(RunStatus status, int attempt, bool retries, string? cascadeReason)
    {
        Status = status;
        Attempt = attempt;
        Retries = retries;
        CascadeReason = cascadeReason;
    }

    /// <summary>How the run ended: Succeeded, Failed or Cancelled.</summary>
    public RunStatus Status { get; }

    /// <summary>The ended run's attempt (1 for the first).</summary>
    public int Attempt { get; }

    /// <summary>True for a failure with attempts left: the job gets its next attempt (<see cref="Retry"/>).</summary>
    public bool Retries { get; }

    /// <summary>
    /// The error text the pending runs of the job's transitive dependents are cancelled with — "Upstream job '&lt;name&gt;'
    /// failed" or "... was cancelled" — or null when they are left alone (a success, or a failure that is retried).
    /// </summary>
    public string? CascadeReason { get; }

    /// <summary>The ending of a run of the job <paramref name="jobName"/> that reached <paramref name="status"/> at its <paramref name="attempt"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not terminal.</exception>
    public static RunEnding Of(RunStatus status, int attempt, int maxAttempts, string jobName) => status switch
    {
        RunStatus.Succeeded => new RunEnding(status, attempt, retries: false, cascadeReason: null),
        RunStatus.Failed when attempt < maxAttempts => new RunEnding(status, attempt, retries: true, cascadeReason: null),
        RunStatus.Failed => new RunEnding(status, attempt, retries: false, $"Upstream job '{jobName}' failed"),
        RunStatus.Cancelled => new RunEnding(status, attempt, retries: false, $"Upstream job '{jobName}' was cancelled"),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "A run ends as Succeeded, Failed or Cancelled."),
    };

    /// <summary>
    /// The ending of a Running run whose lease expired (its worker is lost): Cancelled <see cref="WorkerLostCancelled"/> when
    /// cancellation had been requested, otherwise Failed <see cref="WorkerLost"/> — retried like any failure while attempts remain.
    /// </summary>
    public static RunEnding Rescue(bool cancelRequested, int attempt, int maxAttempts, string jobName) =>
        Of(RescueStatus(cancelRequested), attempt, maxAttempts, jobName);

    /// <summary>The status a rescued run ends with: Cancelled when cancellation had been requested, otherwise Failed.</summary>
    public static RunStatus RescueStatus(bool cancelRequested) => cancelRequested ? RunStatus.Cancelled : RunStatus.Failed;

    /// <summary>The error text a rescued run ends with: <see cref="WorkerLostCancelled"/> or <see cref="WorkerLost"/>.</summary>
    public static string RescueError(bool cancelRequested) => cancelRequested ? WorkerLostCancelled : WorkerLost;

    /// <summary>The error text a run ending as <paramref name="status"/> keeps: none for a success, <paramref name="error"/> otherwise.</summary>
    public static string? ErrorOf(RunStatus status, string? error) => status == RunStatus.Succeeded ? null : error;

    /// <summary>The retried job's next attempt: the following attempt number, available after <paramref name="policy"/>'s backoff.</summary>
    /// <param name="policy">The backoff.</param>
    /// <param name="now">When the run ended.</param>
    /// <param name="random01">A uniform random number in [0, 1) for the jitter.</param>
    /// <exception cref="InvalidOperationException">This ending is not retried (<see cref="Retries"/> is false).</exception>
    public RunRetry Retry(RetryPolicy policy, DateTimeOffset now, double random01)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!Retries)
        {
            throw new InvalidOperationException($"Only a failure with attempts left is retried; this run ended {Status} at attempt {Attempt}.");
        }

        return new RunRetry(Attempt + 1, policy.NextAttemptAt(Attempt, now, random01));
    }
}

/// <summary>The next attempt a retried failure gets (<see cref="RunEnding.Retry"/>).</summary>
/// <param name="Attempt">The new run's attempt number.</param>
/// <param name="AvailableAt">The earliest time the new run may start (UTC).</param>
public sealed record RunRetry(int Attempt, DateTimeOffset AvailableAt);
