namespace OrderLib;

/// <summary>
/// The names under which OrderLib reports traces and metrics through <see cref="System.Diagnostics.ActivitySource"/> and
/// <see cref="System.Diagnostics.Metrics.Meter"/> (no OpenTelemetry dependency: subscribe with any listener, or with
/// <c>AddOrderLibInstrumentation()</c> from the OrderLib.OpenTelemetry package). docs/observability.md lists the spans,
/// metrics and attributes.
/// </summary>
public static class OrderLibTelemetry
{
    /// <summary>The name of OrderLib's <see cref="System.Diagnostics.ActivitySource"/>: <c>OrderLib</c>.</summary>
    public const string ActivitySourceName = "OrderLib";

    /// <summary>The name of OrderLib's <see cref="System.Diagnostics.Metrics.Meter"/>: <c>OrderLib</c>.</summary>
    public const string MeterName = "OrderLib";

    /// <summary>Span names (low cardinality; details are attributes).</summary>
    public static class Spans
    {
        /// <summary>One claim call of a worker.</summary>
        public const string Claim = "orderlib.claim";

        /// <summary>One run's execution by the hosted worker (handler and heartbeats); parent: the enqueuer's or trigger's context.</summary>
        public const string Run = "orderlib.run";

        /// <summary>One batch of outcomes recorded by the hosted worker.</summary>
        public const string Complete = "orderlib.complete";

        /// <summary>One trigger call (<c>Runs.TriggerAsync</c>).</summary>
        public const string Trigger = "orderlib.trigger";

        /// <summary>One enqueue call (<c>Runs.EnqueueAsync</c>).</summary>
        public const string Enqueue = "orderlib.enqueue";

        /// <summary>One scheduler tick.</summary>
        public const string SchedulerTick = "orderlib.scheduler.tick";

        /// <summary>One rescue batch of runs whose lease expired.</summary>
        public const string Rescue = "orderlib.rescue";
    }

    /// <summary>Attribute (tag) names on spans and metrics, in OpenTelemetry semantic-convention style.</summary>
    public static class Attributes
    {
        /// <summary>The run's job name (string).</summary>
        public const string JobName = "orderlib.job.name";

        /// <summary>The job's id (long).</summary>
        public const string JobId = "orderlib.job.id";

        /// <summary>The client (tenant) id (string).</summary>
        public const string Client = "orderlib.client";

        /// <summary>The run id (long).</summary>
        public const string RunId = "orderlib.run.id";

        /// <summary>The attempt number, 1 for the first (int).</summary>
        public const string RunAttempt = "orderlib.run.attempt";

        /// <summary>How a run ended: <c>succeeded</c>, <c>failed</c>, <c>cancelled</c>, or <c>dropped</c> (lease lost or abandoned; nothing recorded).</summary>
        public const string RunOutcome = "orderlib.run.outcome";

        /// <summary>The pipeline run that created the run, when set (long).</summary>
        public const string PipelineRunId = "orderlib.pipeline_run.id";

        /// <summary>The worker id (string).</summary>
        public const string WorkerId = "orderlib.worker.id";

        /// <summary>How many runs a claim asked for (int).</summary>
        public const string ClaimLimit = "orderlib.claim.limit";

        /// <summary>How many runs a claim took, or a rescue ended (int).</summary>
        public const string RunsClaimed = "orderlib.runs.claimed";

        /// <summary>How many runs a trigger or enqueue created (int).</summary>
        public const string RunsCreated = "orderlib.runs.created";

        /// <summary>How many active runs a trigger or enqueue joined instead of creating one (int).</summary>
        public const string RunsJoined = "orderlib.runs.joined";

        /// <summary>How many jobs a trigger starts from (int).</summary>
        public const string TriggerRoots = "orderlib.trigger.roots";

        /// <summary>How many outcomes a completion batch recorded or tried to (int).</summary>
        public const string OutcomesCount = "orderlib.outcomes.count";

        /// <summary>How many outcomes of a completion batch were refused because the worker no longer held the run (int).</summary>
        public const string OutcomesLost = "orderlib.outcomes.lost";

        /// <summary>How many runs a rescue ended (int).</summary>
        public const string RunsRescued = "orderlib.runs.rescued";

        /// <summary>How many runs a scheduler tick enqueued (int).</summary>
        public const string RunsScheduled = "orderlib.runs.scheduled";

        /// <summary>The OpenTelemetry <c>error.type</c>: the exception's full type name, or the outcome for a failure without one.</summary>
        public const string ErrorType = "error.type";

        /// <summary>The OpenTelemetry messaging system: always <c>orderlib</c>.</summary>
        public const string MessagingSystem = "messaging.system";

        /// <summary>The OpenTelemetry messaging operation type: <c>send</c> (enqueue, trigger), <c>receive</c> (claim), <c>process</c> (run), <c>settle</c> (completion).</summary>
        public const string MessagingOperationType = "messaging.operation.type";

        /// <summary>The OpenTelemetry messaging destination: the job name of a run.</summary>
        public const string MessagingDestinationName = "messaging.destination.name";

        /// <summary>The OpenTelemetry messaging batch size of a claim or completion batch.</summary>
        public const string MessagingBatchMessageCount = "messaging.batch.message_count";

        /// <summary>The OpenTelemetry messaging message id: the run id.</summary>
        public const string MessagingMessageId = "messaging.message.id";
    }

    /// <summary>Metric instrument names.</summary>
    public static class Metrics
    {
        /// <summary>Counter, <c>{run}</c>: runs claimed by workers of this process.</summary>
        public const string RunsClaimed = "orderlib.runs.claimed";

        /// <summary>Counter, <c>{run}</c>: outcomes recorded by the hosted worker, by <c>orderlib.run.outcome</c> and <c>orderlib.job.name</c>.</summary>
        public const string RunsCompleted = "orderlib.runs.completed";

        /// <summary>Histogram, <c>s</c>: the handler's execution time of each run, by <c>orderlib.run.outcome</c> and <c>orderlib.job.name</c>.</summary>
        public const string RunDuration = "orderlib.run.duration";

        /// <summary>Histogram, <c>s</c>: the time of each claim call (one round trip).</summary>
        public const string ClaimDuration = "orderlib.claim.duration";

        /// <summary>Counter, <c>{run}</c>: runs a worker of this process lost the lease of (at a heartbeat, or when its outcome was refused).</summary>
        public const string LeasesLost = "orderlib.leases.lost";

        /// <summary>Counter, <c>{run}</c>: runs whose lease expired, ended by the rescue of a worker of this process.</summary>
        public const string RunsRescued = "orderlib.runs.rescued";

        /// <summary>Observable gauge, <c>{run}</c>: ready runs per <c>orderlib.client</c> (cached, see <see cref="OrderLibQueueMetrics"/>).</summary>
        public const string QueueReady = "orderlib.queue.ready";

        /// <summary>Observable gauge, <c>s</c>: age of the oldest ready run per <c>orderlib.client</c>; 0 when none is ready (cached).</summary>
        public const string QueueOldestReadyAge = "orderlib.queue.oldest_ready_age";
    }
}
