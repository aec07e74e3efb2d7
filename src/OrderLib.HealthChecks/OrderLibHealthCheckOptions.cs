namespace OrderLib.HealthChecks;

/// <summary>What <c>AddOrderLibHealthChecks</c> registers and when each check stops being healthy.</summary>
public sealed class OrderLibHealthCheckOptions
{
    /// <summary>The prefix of the checks' names (<c>{prefix}-database</c>, <c>-schema</c>, <c>-worker</c>, <c>-backlog</c>); <c>orderlib</c> unless set.</summary>
    public string NamePrefix { get; set; } = "orderlib";

    /// <summary>The tags of the liveness check (the worker loop); <c>live</c> unless set.</summary>
    public IList<string> LiveTags { get; } = ["live"];

    /// <summary>The tags of the readiness checks (database, schema, backlog); <c>ready</c> unless set.</summary>
    public IList<string> ReadyTags { get; } = ["ready"];

    /// <summary>Whether to register the database and schema checks; true unless set.</summary>
    public bool CheckDatabase { get; set; } = true;

    /// <summary>Whether to register the worker loop check; true unless set (healthy while no hosted worker runs).</summary>
    public bool CheckWorker { get; set; } = true;

    /// <summary>
    /// How long a hosted worker may go without a pass of its claim loop before it is Unhealthy; 1 minute unless set. A
    /// live worker passes at least every <c>IdlePollIntervalMax</c> (2 s by default; <c>NotifiedIdlePollInterval</c>, 5 s,
    /// with store notifications) plus one claim.
    /// </summary>
    public TimeSpan WorkerStaleAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Degraded when more runs than this are ready (all clients together); null (the default) for no limit.</summary>
    public long? MaxReadyRuns { get; set; }

    /// <summary>Degraded when the oldest ready run has waited longer than this; null (the default) for no limit.</summary>
    public TimeSpan? MaxOldestReadyAge { get; set; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A name prefix is blank, or a threshold is not positive.</exception>
    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(NamePrefix, nameof(NamePrefix));
        if (WorkerStaleAfter <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(WorkerStaleAfter)} must be positive; got {WorkerStaleAfter}.", nameof(WorkerStaleAfter));
        }

        if (MaxReadyRuns is < 0)
        {
            throw new ArgumentException($"{nameof(MaxReadyRuns)} must not be negative; got {MaxReadyRuns}.", nameof(MaxReadyRuns));
        }

        if (MaxOldestReadyAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MaxOldestReadyAge)} must be positive; got {age}.", nameof(MaxOldestReadyAge));
        }
    }
}
