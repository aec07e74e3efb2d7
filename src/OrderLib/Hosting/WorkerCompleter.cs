using System.Diagnostics;
using System.Threading.Channels;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Records the outcomes executors hand it, in batches: each of its <see cref="WorkerSettings.CompletionConcurrency"/> loops
/// takes every outcome waiting (up to <see cref="WorkerSettings.CompletionBatchSize"/>) and records them with one
/// <see cref="WorkerRunService.ReportOutcomesAsync"/> call, so outcomes that end while reports are in flight go together in
/// the next one; with a <see cref="WorkerSettings.CompletionFlushInterval"/> a loop also waits that long for a fuller batch
/// while other runs still execute. After each report it calls <c>recorded</c> (dependents may be ready now).
/// <para>
/// While the store cannot be reached, it keeps the outcomes and tries again with a backoff (100 ms doubling to 5 s) for as
/// long as each run's lease lasts, less a safety margin: the worker still holds the run, so nobody else may have it, and
/// the outcome is recorded the moment the store is back. Only an outcome whose lease ran out is given up (logged as an
/// error: the run is rescued as "worker lost" and retried while attempts remain). An outcome refused because the worker
/// no longer holds the run is logged and dropped. Each loop keeps its own batch and backoff.
/// </para>
/// </summary>
internal sealed class WorkerCompleter(WorkerDependencies worker, Func<int> running, Action recorded)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestSafetyMargin = TimeSpan.FromSeconds(5);

    private readonly Channel<ExecutedRun> _outcomes = Channel.CreateUnbounded<ExecutedRun>();

    /// <summary>Queues <paramref name="outcome"/> to be recorded.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was called.</exception>
    public void Add(ExecutedRun outcome)
    {
        if (!_outcomes.Writer.TryWrite(outcome))
        {
            throw new InvalidOperationException("The completer takes no more outcomes: the worker has stopped.");
        }
    }

    /// <summary>Takes no more outcomes; <see cref="RunAsync"/> ends once the queued ones are recorded or given up.</summary>
    public void Complete() => _outcomes.Writer.TryComplete();

    /// <summary>
    /// Records outcomes until <see cref="Complete"/> was called and every outcome is recorded or given up;
    /// <paramref name="abandon"/> gives up at once on what is left (the host stopped waiting for the worker).
    /// </summary>
    public Task RunAsync(CancellationToken abandon) =>
        Task.WhenAll(Enumerable.Range(0, worker.Settings.CompletionConcurrency).Select(_ => Task.Run(() => ReportLoopAsync(abandon), CancellationToken.None)));

    // One loop: takes a batch, reports it, keeps it through an outage.
    private async Task ReportLoopAsync(CancellationToken abandon)
    {
        var settings = worker.Settings;
        var delay = FirstRetryDelay;
        DateTimeOffset? failingSince = null;
        var pending = new List<ExecutedRun>();
        while (pending.Count > 0 || await _outcomes.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await GatherAsync(pending, settings, abandon).ConfigureAwait(false);
            var batch = pending.Take(settings.CompletionBatchSize).ToList();
            using var activity = StartActivity(batch);
            try
            {
                var results = await worker.Queue.ReportOutcomesAsync(batch.Select(ToOutcome).ToList(), CancellationToken.None).ConfigureAwait(false);
                Measure(activity, batch, results);
                pending.RemoveRange(0, batch.Count);
                if (failingSince is { } since)
                {
                    var downtime = worker.Time.GetUtcNow() - since;
                    WorkerLog.ReportsRecovered(worker.Logger, settings.WorkerId, batch.Count, downtime);
                    failingSince = null;
                }

                delay = FirstRetryDelay;
                Log(batch, results);
                recorded();
            }
            catch (Exception exception) when (exception is ArgumentException or OrderLibValidationException)
            {
                Instrumentation.RecordError(activity, exception);
                // The batch itself is wrong: trying it again cannot help.
                pending.RemoveRange(0, batch.Count);
                WorkerLog.ReportsRefused(worker.Logger, exception, settings.WorkerId, batch.Count);
            }
            catch (Exception exception)
            {
                Instrumentation.RecordError(activity, exception);
                activity?.Dispose();
                failingSince ??= worker.Time.GetUtcNow();
                GiveUpExpired(pending);
                if (pending.Count == 0)
                {
                    continue;
                }

                WorkerLog.ReportsPending(worker.Logger, exception, settings.WorkerId, pending.Count, delay, pending.Min(Deadline));
                try
                {
                    await Task.Delay(delay, worker.Time, abandon).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (abandon.IsCancellationRequested)
                {
                    GiveUp(pending, "the worker stopped before the store could be reached");
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    // One orderlib.complete span per batch, a root linked to the runs' execution spans.
    private Activity? StartActivity(List<ExecutedRun> batch)
    {
        if (!Instrumentation.Source.HasListeners())
        {
            return null;
        }

        Activity.Current = null;
        var links = batch.Where(run => run.Span != default).Select(run => new ActivityLink(run.Span)).ToList();
        var activity = Instrumentation.Source.StartActivity(OrderLibTelemetry.Spans.Complete, ActivityKind.Client, default(ActivityContext), links: links);
        if (activity is not null)
        {
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingSystem, "orderlib");
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingOperationType, "settle");
            activity.SetTag(OrderLibTelemetry.Attributes.WorkerId, worker.Settings.WorkerId.Value);
            activity.SetTag(OrderLibTelemetry.Attributes.OutcomesCount, batch.Count);
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingBatchMessageCount, batch.Count);
        }

        return activity;
    }

    // orderlib.runs.completed by outcome, orderlib.leases.lost, and the lost count on the span.
    private static void Measure(Activity? activity, List<ExecutedRun> batch, IReadOnlyList<OutcomeResult> results)
    {
        var lost = 0;
        var counting = Instrumentation.RunsCompleted.Enabled;
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Completion is null)
            {
                lost++;
            }
            else if (counting)
            {
                Instrumentation.RunsCompleted.Add(
                    1,
                    new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.RunOutcome, Instrumentation.Outcome(batch[i].Status)),
                    new KeyValuePair<string, object?>(OrderLibTelemetry.Attributes.JobName, batch[i].Claimed.JobName));
            }
        }

        if (lost > 0 && Instrumentation.LeasesLost.Enabled)
        {
            Instrumentation.LeasesLost.Add(lost);
        }

        activity?.SetTag(OrderLibTelemetry.Attributes.OutcomesLost, lost);
    }

    private RunOutcome ToOutcome(ExecutedRun run) => new(
        run.Claimed.Run.Id,
        worker.Settings.WorkerId,
        run.Status,
        run.Status switch
        {
            RunStatus.Failed => run.Error ?? "failed",
            RunStatus.Cancelled => "cancelled on request",
            _ => null,
        },
        run.Output);

    // The last moment an outcome is tried: its lease's end less a margin (a tenth of the lease, at most 5 s), so that it is
    // never recorded by this worker after a rescue could have handed the run on (fencing would refuse it then anyway).
    private DateTimeOffset Deadline(ExecutedRun run)
    {
        var lease = worker.Queue.LeaseDuration;
        var margin = TimeSpan.FromTicks(Math.Min(lease.Ticks / 10, LongestSafetyMargin.Ticks));
        return run.LeaseExpiresAt - margin;
    }

    // Moves what is waiting into the loop's batch; with a flush interval, waits up to it for more while other runs execute.
    private async Task GatherAsync(List<ExecutedRun> pending, WorkerSettings settings, CancellationToken abandon)
    {
        Drain(pending, settings.CompletionBatchSize);
        if (settings.CompletionFlushInterval <= TimeSpan.Zero || pending.Count >= settings.CompletionBatchSize || running() == 0)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(abandon);
        wait.CancelAfter(settings.CompletionFlushInterval);
        try
        {
            while (pending.Count < settings.CompletionBatchSize && running() > 0 && await _outcomes.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
            {
                Drain(pending, settings.CompletionBatchSize);
            }
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            // the interval is over
        }
    }

    private void Drain(List<ExecutedRun> pending, int batchSize)
    {
        while (pending.Count < batchSize && _outcomes.Reader.TryRead(out var outcome))
        {
            pending.Add(outcome);
        }
    }

    private void Log(List<ExecutedRun> batch, IReadOnlyList<OutcomeResult> results)
    {
        var workerId = worker.Settings.WorkerId;
        for (var i = 0; i < batch.Count; i++)
        {
            var (claimed, result) = (batch[i].Claimed, results[i]);
            if (result.Completion is { } completion)
            {
                var retry = completion.Retry is null ? "" : $"; attempt {completion.Retry.Attempt} is run {completion.Retry.Id}";
                WorkerLog.Completed(worker.Logger, workerId, claimed.Run.Id, claimed.JobName, completion.Run.Status, retry);
            }
            else
            {
                var lost = result.Lost!;
                var reason = lost.Status is null ? "no such run" : $"it is {lost.Status}{(lost.Holder is { } holder ? $" and held by '{holder}'" : "")}";
                WorkerLog.ReportRefused(worker.Logger, workerId, claimed.Run.Id, batch[i].Status, reason);
            }
        }
    }

    private void GiveUpExpired(List<ExecutedRun> pending)
    {
        var now = worker.Time.GetUtcNow();
        foreach (var run in pending.Where(run => Deadline(run) <= now).ToList())
        {
            pending.Remove(run);
            WorkerLog.OutcomeGivenUp(worker.Logger, worker.Settings.WorkerId, run.Claimed.Run.Id, run.Claimed.JobName, run.Status, "its lease ran out while the store could not be reached", run.LeaseExpiresAt);
        }
    }

    private void GiveUp(List<ExecutedRun> pending, string why)
    {
        Drain(pending, int.MaxValue);
        foreach (var run in pending)
        {
            WorkerLog.OutcomeGivenUp(worker.Logger, worker.Settings.WorkerId, run.Claimed.Run.Id, run.Claimed.JobName, run.Status, why, run.LeaseExpiresAt);
        }

        pending.Clear();
    }
}
