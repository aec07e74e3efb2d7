namespace OrderLib;

/// <summary>
/// Settings of one <see cref="OrderLibRetention"/>, given to <c>AddRetention</c>. The values are checked when the service
/// starts; an invalid one stops the host from starting with an <see cref="OrderLibConfigurationException"/> that names it.
/// </summary>
public sealed class OrderLibRetentionOptions
{
    /// <summary>The clients (tenants) whose runs are pruned, or null (the default) for every client that has jobs.</summary>
    public IReadOnlyCollection<string>? Clients { get; set; }

    /// <summary>
    /// How often a prune pass starts: the first right after the service starts, then every interval (a pass that takes
    /// longer is followed by the next at once). Positive, at most 7 days. 1 hour unless set.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Runs that finished more than this long before a pass starts are deleted by it (within the keep rules). Positive, at most 36,500 days. 30 days unless set.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How many of each job's newest runs are kept however old (<see cref="PruneRequest.KeepLatestPerJob"/>); a job's latest run is always kept. 0 or more; 0 unless set.</summary>
    public int KeepLatestPerJob { get; set; }

    /// <summary>Runs looked at per transaction (<see cref="PruneRequest.BatchSize"/>), 1 to <see cref="PruneRequest.MaxBatchSize"/>. <see cref="PruneRequest.DefaultBatchSize"/> unless set.</summary>
    public int BatchSize { get; set; } = PruneRequest.DefaultBatchSize;

    /// <summary>A pause after each batch, leaving the database to other work (<see cref="PruneRequest.PauseBetweenBatches"/>): zero for none, at most <see cref="PruneRequest.MaxPauseBetweenBatches"/>. Zero unless set.</summary>
    public TimeSpan PauseBetweenBatches { get; set; } = TimeSpan.Zero;
}
