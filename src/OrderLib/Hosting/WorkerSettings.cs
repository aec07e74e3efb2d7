using OrderLib.Ports;

namespace OrderLib;

/// <summary>The checked, frozen settings of a worker, taken from <see cref="OrderLibWorkerOptions"/> when it starts.</summary>
internal sealed record WorkerSettings(
    WorkerId WorkerId,
    int Concurrency,
    int BatchSize,
    Clients Clients,
    TimeSpan IdleMin,
    TimeSpan IdleMax,
    TimeSpan NotifiedIdleMax,
    TimeSpan HeartbeatInterval,
    TimeSpan RescueInterval,
    TimeSpan ShutdownTimeout,
    int CompletionBatchSize,
    TimeSpan CompletionFlushInterval,
    int CompletionConcurrency,
    int MaxClaimAhead)
{
    private const string Prefix = "OrderLib worker option ";
    private const int MaxBatchSize = 1000;
    private const int MaxCompletionConcurrency = 16;

    /// <exception cref="OrderLibConfigurationException">A value is out of range; the message names it.</exception>
    public static WorkerSettings From(OrderLibWorkerOptions options, TimeSpan leaseDuration)
    {
        var workerId = options.WorkerId?.Trim();
        if (string.IsNullOrEmpty(workerId) || workerId.Length > WorkerId.MaxLength)
        {
            throw Invalid(nameof(options.WorkerId), $"must be 1 to {WorkerId.MaxLength} characters; got '{options.WorkerId}'.");
        }

        if (options.Concurrency < 1)
        {
            throw Invalid(nameof(options.Concurrency), $"must be at least 1; got {options.Concurrency}.");
        }

        if (options.BatchSize is < 1 or > MaxBatchSize)
        {
            throw Invalid(nameof(options.BatchSize), $"must be 1 to {MaxBatchSize}; got {options.BatchSize}.");
        }

        if (options.IdlePollIntervalMin <= TimeSpan.Zero)
        {
            throw Invalid(nameof(options.IdlePollIntervalMin), $"must be positive; got {options.IdlePollIntervalMin}.");
        }

        if (options.IdlePollIntervalMax < options.IdlePollIntervalMin)
        {
            throw Invalid(nameof(options.IdlePollIntervalMax), $"must be at least {nameof(options.IdlePollIntervalMin)} ({options.IdlePollIntervalMin}); got {options.IdlePollIntervalMax}.");
        }

        if (options.NotifiedIdlePollInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(options.NotifiedIdlePollInterval), $"must be positive; got {options.NotifiedIdlePollInterval}.");
        }

        var heartbeat = options.HeartbeatInterval ?? leaseDuration / 3;
        if (heartbeat <= TimeSpan.Zero || heartbeat >= leaseDuration)
        {
            throw Invalid(nameof(options.HeartbeatInterval), $"must be positive and shorter than the lease ({OrderLibOptions.SectionName}:{nameof(OrderLibOptions.LeaseDuration)} = {leaseDuration}); got {heartbeat}.");
        }

        if (options.RescueInterval <= TimeSpan.Zero)
        {
            throw Invalid(nameof(options.RescueInterval), $"must be positive; got {options.RescueInterval}.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            throw Invalid(nameof(options.ShutdownTimeout), $"must be zero or more; got {options.ShutdownTimeout}.");
        }

        if (options.CompletionBatchSize is < 1 or > MaxBatchSize)
        {
            throw Invalid(nameof(options.CompletionBatchSize), $"must be 1 to {MaxBatchSize}; got {options.CompletionBatchSize}.");
        }

        if (options.CompletionFlushInterval < TimeSpan.Zero || options.CompletionFlushInterval >= heartbeat / 2)
        {
            throw Invalid(nameof(options.CompletionFlushInterval), $"must be zero or more and less than half the heartbeat interval ({heartbeat}); got {options.CompletionFlushInterval}.");
        }

        if (options.CompletionConcurrency is < 1 or > MaxCompletionConcurrency)
        {
            throw Invalid(nameof(options.CompletionConcurrency), $"must be 1 to {MaxCompletionConcurrency}; got {options.CompletionConcurrency}.");
        }

        var maxClaimAhead = options.MaxClaimAhead ?? options.BatchSize;
        if (maxClaimAhead is < 0 or > MaxBatchSize)
        {
            throw Invalid(nameof(options.MaxClaimAhead), $"must be 0 to {MaxBatchSize}; got {maxClaimAhead}.");
        }

        if (options.HandledJobNames.Count == 0 && !options.HasFallbackHandler)
        {
            throw new OrderLibConfigurationException("The OrderLib worker has no handler: call Handle(\"job name\", ...) or HandleAny(...) on its options in AddWorker.");
        }

        return new WorkerSettings(
            new WorkerId(workerId),
            options.Concurrency,
            options.BatchSize,
            ClientsOption.Parse(Prefix + nameof(OrderLibWorkerOptions.Clients), options.Clients),
            options.IdlePollIntervalMin,
            options.IdlePollIntervalMax,
            options.NotifiedIdlePollInterval > options.IdlePollIntervalMax ? options.NotifiedIdlePollInterval : options.IdlePollIntervalMax,
            heartbeat,
            options.RescueInterval,
            options.ShutdownTimeout,
            options.CompletionBatchSize,
            options.CompletionFlushInterval,
            options.CompletionConcurrency,
            maxClaimAhead);
    }

    private static OrderLibConfigurationException Invalid(string option, string problem) => new(Prefix + option + " " + problem);
}
