using System.Diagnostics;

using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// The worker's rescue loop: every rescue interval it ends the runs whose lease expired (their worker is gone), in
/// batches while they come back full, and calls <c>rescued</c> when it ended any (their retries may be ready).
/// </summary>
internal sealed class WorkerRescuer(WorkerDependencies worker, Action rescued)
{
    private const int BatchSize = 100;

    /// <summary>Rescues expired runs every rescue interval until <paramref name="stopping"/> fires; failures are logged and retried.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var settings = worker.Settings;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await RescueAllAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    WorkerLog.RescueFailed(worker.Logger, exception, settings.WorkerId, settings.RescueInterval);
                }

                await Task.Delay(settings.RescueInterval, worker.Time, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
    }

    private Activity? StartActivity()
    {
        Activity.Current = null;
        var activity = Instrumentation.Source.StartActivity(OrderLibTelemetry.Spans.Rescue, ActivityKind.Internal);
        activity?.SetTag(OrderLibTelemetry.Attributes.WorkerId, worker.Settings.WorkerId.Value);
        return activity;
    }

    private async Task RescueAllAsync(CancellationToken stopping)
    {
        int count;
        do
        {
            using var activity = Instrumentation.Source.HasListeners() ? StartActivity() : null;
            IReadOnlyList<RunCompletion> completions;
            try
            {
                completions = await worker.Queue.RescueExpiredAsync(BatchSize, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Instrumentation.RecordError(activity, exception);
                throw;
            }

            count = completions.Count;
            activity?.SetTag(OrderLibTelemetry.Attributes.RunsRescued, count);
            if (count > 0 && Instrumentation.RunsRescued.Enabled)
            {
                Instrumentation.RunsRescued.Add(count);
            }

            foreach (var completion in completions)
            {
                var retry = completion.Retry is null ? "" : $"; retried as run {completion.Retry.Id}";
                WorkerLog.Rescued(worker.Logger, worker.Settings.WorkerId, completion.Run.Id, completion.Run.WorkerId, completion.Run.Status, retry);
            }

            if (count > 0)
            {
                rescued();
            }
        }
        while (count == BatchSize && !stopping.IsCancellationRequested);
    }
}
