
namespace OrderLib;

/// <summary>Settings of the core services, bound from the <c>OrderLib</c> configuration section.</summary>
public sealed class OrderLibOptions
{
    /// <summary>The configuration section these options bind from: <c>OrderLib</c>.</summary>
    public const string SectionName = "OrderLib";

    /// <summary>The client (tenant) that <see cref="IOrderLib"/> serves when resolved from DI; <c>default</c> unless set.</summary>
    public string DefaultClientId { get; set; } = "default";

    /// <summary>How long a started run stays held by its worker; 5 minutes unless set.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The delay before the second attempt of a failed run; it doubles with each attempt. 5 seconds unless set.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = RetryPolicy.Default.BaseDelay;

    /// <summary>The longest delay between attempts. 10 minutes unless set.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = RetryPolicy.Default.MaxDelay;

    /// <summary>The largest share of a retry delay taken off at random (0 to 1), so failures do not retry in lock-step. 0.5 unless set.</summary>
    public double RetryJitter { get; set; } = RetryPolicy.Default.Jitter;

    /// <summary>The retry policy these options describe.</summary>
    public RetryPolicy RetryPolicy => new(RetryBaseDelay, RetryMaxDelay, RetryJitter);

    /// <summary>When true, a hosted service applies pending migrations when the host starts; false unless set.</summary>
    public bool ApplyMigrationsAtStartup { get; set; }

    /// <summary>
    /// The least time between two reads of the queue depth behind the <c>orderlib.queue.*</c> gauges
    /// (<see cref="OrderLibQueueMetrics"/>): a scrape reports the last values and refreshes them in the background once
    /// they are this old. 15 seconds unless set; positive.
    /// </summary>
    public TimeSpan QueueMetricsRefreshInterval { get; set; } = TimeSpan.FromSeconds(15);
}
