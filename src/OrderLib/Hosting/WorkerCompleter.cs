using System.Threading.Channels;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Records the outcomes executors hand it: its own loop reads them from a channel and reports each through
/// <see cref="WorkerRunService"/>, retrying a failed call a few times, then calls <c>recorded</c> (the run's dependents
/// may be ready). A report refused because the worker lost the run's lease meanwhile is logged and dropped; one that
/// keeps failing is logged, and the run is rescued once its lease expires.
/// </summary>
internal sealed class WorkerCompleter(WorkerDependencies worker, Action recorded)
{
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    private readonly Channel<ExecutedRun> _outcomes = Channel.CreateUnbounded<ExecutedRun>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues <paramref name="outcome"/> to be recorded.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was called.</exception>
    public void Add(ExecutedRun outcome)
    {
        if (!_outcomes.Writer.TryWrite(outcome))
        {
            throw new InvalidOperationException("The completer takes no more outcomes: the worker has stopped.");
        }
    }

    /// <summary>Takes no more outcomes; <see cref="RunAsync"/> ends once the queued ones are recorded.</summary>
    public void Complete() => _outcomes.Writer.TryComplete();

    /// <summary>Records outcomes until <see cref="Complete"/> was called and every queued outcome is recorded.</summary>
    public async Task RunAsync()
    {
        await foreach (var outcome in _outcomes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await RecordAsync(outcome).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                WorkerLog.ReportFailed(worker.Logger, exception, worker.Settings.WorkerId, outcome.Claimed.Run.Id, outcome.Status);
            }

            recorded();
        }
    }

    private async Task RecordAsync(ExecutedRun outcome)
    {
        var workerId = worker.Settings.WorkerId;
        var claimed = outcome.Claimed;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var completion = await ReportAsync(outcome).ConfigureAwait(false);
                var retry = completion.Retry is null ? "" : $"; attempt {completion.Retry.Attempt} is run {completion.Retry.Id}";
                WorkerLog.Completed(worker.Logger, workerId, claimed.Run.Id, claimed.JobName, completion.Run.Status, retry);
                return;
            }
            catch (Exception exception) when (exception is LeaseLostException or RunNotFoundException)
            {
                WorkerLog.ReportRefused(worker.Logger, workerId, claimed.Run.Id, outcome.Status, exception.Message);
                return;
            }
            catch (Exception exception) when (attempt < RetryDelays.Length && exception is not OrderLibException)
            {
                WorkerLog.ReportRetrying(worker.Logger, exception, workerId, claimed.Run.Id, outcome.Status);
                await Task.Delay(RetryDelays[attempt], worker.Time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private Task<RunCompletion> ReportAsync(ExecutedRun outcome)
    {
        var (runId, workerId) = (outcome.Claimed.Run.Id, worker.Settings.WorkerId);
        return outcome.Status switch
        {
            RunStatus.Succeeded => worker.Queue.ReportSucceededAsync(runId, workerId, CancellationToken.None),
            RunStatus.Cancelled => worker.Queue.ReportCancelledAsync(runId, workerId, null, CancellationToken.None),
            _ => worker.Queue.ReportFailedAsync(runId, workerId, outcome.Error ?? "failed", CancellationToken.None),
        };
    }
}
