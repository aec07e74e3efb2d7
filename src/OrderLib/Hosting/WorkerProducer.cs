using System.Diagnostics;
using System.Threading.Channels;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// The worker's claim loop: claims ready runs for what <c>capacity</c> says the worker can take (its free slots, plus the
/// runs <see cref="ClaimAhead"/> allows it to keep waiting for a slot; never more than the batch size) and hands them to
/// <c>accept</c>, timing each claim for <paramref name="ahead"/>. While there is no work it waits from the idle minimum,
/// doubling up to the maximum (the longer notified maximum when the store's notifications wake it across processes); a
/// <see cref="Wake"/> (a slot freed, an outcome recorded, runs rescued, a write or a store notification saying runs may be
/// ready) makes it claim again at once.
/// </summary>
/// <remarks>
/// Each claim is an <c>orderlib.claim</c> span (when something listens) whose context <c>accept</c> receives, so each run's
/// execution span links to it; each pass of the loop is a beat for the health checks.
/// </remarks>
internal sealed class WorkerProducer(WorkerDependencies worker, Func<int> capacity, Action<IReadOnlyList<ClaimedRun>, ActivityContext> accept, ClaimAhead ahead)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>Makes the claim loop claim again at once; wake-ups that come while one is pending collapse into it.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Claims and launches runs until <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var settings = worker.Settings;
        var idle = settings.IdleMin;
        var idleMax = worker.Queue.Ready.CrossProcess ? settings.NotifiedIdleMax : settings.IdleMax;
        while (!stopping.IsCancellationRequested)
        {
            worker.Beat();
            var free = capacity();
            if (free <= 0)
            {
                // Every slot is busy (and enough runs wait for one): a finishing run wakes us; the longest idle wait bounds
                // the wait anyway, so the loop still beats for the health checks.
                await WaitForWakeAsync(idleMax, stopping).ConfigureAwait(false);
                idle = settings.IdleMin;
                continue;
            }

            var wanted = Math.Min(free, settings.BatchSize);
            IReadOnlyList<ClaimedRun> claimed;
            ActivityContext claimSpan;
            using (var activity = StartClaimActivity(settings, wanted))
            {
                try
                {
                    // Not cancellable: a claim that committed must reach us, or its runs would sit leased until rescued.
                    var startedAt = ClaimAhead.Now();
                    claimed = await worker.Queue.ClaimAsync(settings.WorkerId, wanted, settings.Clients, CancellationToken.None).ConfigureAwait(false);
                    ahead.ClaimEnded(startedAt);
                    RecordClaim(activity, startedAt, claimed.Count);
                }
                catch (Exception exception) when (exception is not OrderLibConfigurationException)
                {
                    Instrumentation.RecordError(activity, exception);
                    activity?.Dispose();
                    WorkerLog.ClaimFailed(worker.Logger, exception, settings.WorkerId, idle);
                    await WaitForWakeAsync(idle, stopping).ConfigureAwait(false);
                    idle = Double(idle, idleMax);
                    continue;
                }

                claimSpan = activity?.Context ?? default;
            }

            accept(claimed, claimSpan);
            if (claimed.Count > 0)
            {
                idle = settings.IdleMin;
                if (claimed.Count == wanted)
                {
                    continue; // there may be more ready work: claim again for the slots still free
                }
            }

            if (await WaitForWakeAsync(idle, stopping).ConfigureAwait(false))
            {
                idle = settings.IdleMin; // a run of ours ended: a slot is free and its dependents may be ready
            }
            else if (claimed.Count == 0)
            {
                idle = Double(idle, idleMax);
            }
        }
    }

    private static Activity? StartClaimActivity(WorkerSettings settings, int wanted)
    {
        if (!Instrumentation.Source.HasListeners())
        {
            return null;
        }

        // A root of its own: the claim serves many traces; each run's span links back to it.
        var previous = Activity.Current;
        Activity.Current = null;
        var activity = Instrumentation.Source.StartActivity(OrderLibTelemetry.Spans.Claim, ActivityKind.Consumer);
        if (activity is null)
        {
            Activity.Current = previous;
            return null;
        }

        activity.SetTag(OrderLibTelemetry.Attributes.MessagingSystem, "orderlib");
        activity.SetTag(OrderLibTelemetry.Attributes.MessagingOperationType, "receive");
        activity.SetTag(OrderLibTelemetry.Attributes.WorkerId, settings.WorkerId.Value);
        activity.SetTag(OrderLibTelemetry.Attributes.ClaimLimit, wanted);
        return activity;
    }

    private static void RecordClaim(Activity? activity, long startedAt, int count)
    {
        if (Instrumentation.ClaimDuration.Enabled)
        {
            Instrumentation.ClaimDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
        }

        if (count > 0 && Instrumentation.RunsClaimed.Enabled)
        {
            Instrumentation.RunsClaimed.Add(count);
        }

        if (activity is not null)
        {
            activity.SetTag(OrderLibTelemetry.Attributes.RunsClaimed, count);
            activity.SetTag(OrderLibTelemetry.Attributes.MessagingBatchMessageCount, count);
        }
    }

    private static TimeSpan Double(TimeSpan value, TimeSpan max) => value * 2 < max ? value * 2 : max;

    /// <summary>Waits for a wake-up, the timeout (null: none) or the stop; true when woken.</summary>
    private async Task<bool> WaitForWakeAsync(TimeSpan? timeout, CancellationToken stopping)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return true;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var woken = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
        var delay = timeout is { } span ? Task.Delay(span, worker.Time, wait.Token) : Task.Delay(Timeout.Infinite, wait.Token);
        await Task.WhenAny(woken, delay).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        return woken.IsCompletedSuccessfully && _wake.Reader.TryRead(out _);
    }
}
