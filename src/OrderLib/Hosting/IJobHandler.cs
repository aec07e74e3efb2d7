namespace OrderLib;

/// <summary>
/// Does the work of one job for an <see cref="OrderLibWorker"/>. Register it with
/// <see cref="OrderLibWorkerOptions.Handle{THandler}(string)"/>: it is resolved from a DI scope created for each run,
/// so it may depend on scoped services.
/// </summary>
/// <remarks>
/// How the handler ends decides the run's outcome: returning normally reports the run Succeeded; throwing reports it
/// Failed with the exception's type and message (retried while attempts remain). When <c>cancellationToken</c> fires
/// (cancellation was requested for the run, the worker lost the run's lease, or the worker is shutting down and its
/// grace period ran out), stop and throw <see cref="OperationCanceledException"/>, e.g. with
/// <see cref="CancellationToken.ThrowIfCancellationRequested"/>: the worker then reports the run Cancelled on request,
/// and reports nothing for a lost lease or a shutdown (the run is rescued after its lease expires and retried).
/// Returning normally after the token fired still means "the work is done".
/// </remarks>
public interface IJobHandler
{
    /// <summary>Runs the job once for <paramref name="context"/>.</summary>
    /// <param name="context">The claimed run and the services of its scope.</param>
    /// <param name="cancellationToken">Fires when the worker wants the handler to stop (see the remarks on <see cref="IJobHandler"/>).</param>
    Task ExecuteAsync(JobExecutionContext context, CancellationToken cancellationToken);
}
