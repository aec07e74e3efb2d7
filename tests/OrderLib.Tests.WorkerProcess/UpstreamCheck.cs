using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Tests.WorkerProcess;

/// <summary>
/// The dependency rule checked from inside a running handler, without clocks: when a run executes, the latest run of
/// every job its job depends on must have Succeeded. (In the multi-process test no job is enqueued again after it
/// succeeded, so an upstream job's success stays its latest run.) A violation fails the run with a message the test
/// looks for.
/// </summary>
internal static class UpstreamCheck
{
    public const string ViolationPrefix = "dependency rule violated";

    /// <exception cref="InvalidOperationException">An upstream job's latest run has not Succeeded.</exception>
    public static async Task EnsureUpstreamSucceededAsync(JobExecutionContext context, CancellationToken cancellationToken)
    {
        var orderLib = context.Services.GetRequiredService<IOrderLib>().ForClient(context.ClientId);
        foreach (var upstream in await orderLib.Dependencies.ListUpstreamAsync(context.JobId, cancellationToken))
        {
            var latest = (await orderLib.Runs.ListForJobAsync(upstream.Id, limit: 1, cancellationToken: cancellationToken)).Items;
            if (latest.Count == 0 || latest[0].Status != RunStatus.Succeeded)
            {
                throw new InvalidOperationException(
                    $"{ViolationPrefix}: run {context.RunId} of '{context.JobName}' executes while the latest run of upstream job '{upstream.Name}' is " +
                    (latest.Count == 0 ? "missing" : $"run {latest[0].Id}, {latest[0].Status}"));
            }
        }
    }
}
