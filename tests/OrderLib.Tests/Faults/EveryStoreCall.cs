using OrderLib.Adapters.Relational;
using OrderLib.Ports;

namespace OrderLib.Tests.Faults;

/// <summary>One call of every public operation of a relational store, by name, for tests that expect them all to fail alike.</summary>
internal static class EveryStoreCall
{
    private static readonly ClientId Client = new("unavailable");
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly WorkerId Worker = new("worker-1");
    private static readonly JobId SomeJob = new(1);
    private static readonly RunId SomeRun = new(1);

    /// <summary>The store's reads and writes, each as a name and a call.</summary>
    public static IEnumerable<(string Name, Func<Task> Call)> Of(RelationalOrderLibStore store) =>
    [
        ("CreateJob", () => store.CreateJobAsync(Client, new JobDefinition("job"), Now, CancellationToken.None)),
        ("GetJob", () => store.GetJobAsync(Client, SomeJob, CancellationToken.None)),
        ("GetJobByName", () => store.GetJobByNameAsync(Client, "job", CancellationToken.None)),
        ("ListJobs", () => store.ListJobsAsync(Client, null, 10, CancellationToken.None)),
        ("UpdateJob", () => store.UpdateJobAsync(Client, SomeJob, new JobDefinition("job"), Now, CancellationToken.None)),
        ("PauseJob", () => store.PauseJobAsync(Client, SomeJob, Now, CancellationToken.None)),
        ("ResumeJob", () => store.ResumeJobAsync(Client, SomeJob, CancellationToken.None)),
        ("DeleteJob", () => store.DeleteJobAsync(Client, SomeJob, JobDeletion.None, CancellationToken.None)),
        ("AddDependency", () => store.AddDependencyAsync(Client, SomeJob, new JobId(2), Now, CancellationToken.None)),
        ("DefineGraph", () => store.DefineGraphAsync(Client, new GraphDefinition([new JobDefinition("job")], []), Now, CancellationToken.None)),
        ("RemoveDependency", () => store.RemoveDependencyAsync(Client, SomeJob, new JobId(2), CancellationToken.None)),
        ("ListUpstream", () => store.ListUpstreamAsync(Client, SomeJob, CancellationToken.None)),
        ("ListDownstream", () => store.ListDownstreamAsync(Client, SomeJob, CancellationToken.None)),
        ("ReadGraph", () => store.ReadGraphAsync(Client, GraphSelection.All, CancellationToken.None)),
        ("EnqueueRun", () => store.EnqueueRunAsync(Client, SomeJob, RunPayload.Parse("{}"), null, Now, CancellationToken.None)),
        ("StartRun", () => store.StartRunAsync(Client, SomeRun, Worker, Now, Now.AddMinutes(1), CancellationToken.None)),
        ("FinishRun", () => store.FinishRunAsync(Client, SomeRun, RunStatus.Succeeded, null, RunPayload.Parse("{}"), Now, RetryPolicy.Default, CancellationToken.None)),
        ("CancelRun", () => store.CancelRunAsync(Client, SomeRun, null, Now, CancellationToken.None)),
        ("TriggerPipelines", () => store.TriggerPipelinesAsync(Client, [SomeJob], new PipelineTrigger(PipelineTriggerKind.Manual, null, null), Now, CancellationToken.None)),
        ("GetRun", () => store.GetRunAsync(Client, SomeRun, CancellationToken.None)),
        ("GetRunPayloads", () => store.GetRunPayloadsAsync(Client, SomeRun, CancellationToken.None)),
        ("GetUpstreamOutputs", () => store.GetUpstreamOutputsAsync(Client, SomeJob, CancellationToken.None)),
        ("GetRunFacts", () => store.GetRunFactsAsync(Client, SomeRun, CancellationToken.None)),
        ("ListRuns", () => store.ListRunsAsync(Client, SomeJob, null, 10, CancellationToken.None)),
        ("ListLatestRuns", () => store.ListLatestRunsAsync(Client, null, 10, CancellationToken.None)),
        ("ListReadyRuns", () => store.ListReadyRunsAsync(Client, Now, 10, CancellationToken.None)),
        ("ClaimRuns", () => store.ClaimRunsAsync(new ClaimRequest(Worker, Clients.All, 10, TimeProvider.System, TimeSpan.FromMinutes(1)), CancellationToken.None)),
        ("Heartbeat", () => store.HeartbeatAsync(SomeRun, Worker, Now, Now.AddMinutes(1), CancellationToken.None)),
        ("CompleteRun", () => store.CompleteRunAsync(SomeRun, Worker, RunStatus.Succeeded, null, RunPayload.Parse("{}"), Now, RetryPolicy.Default, CancellationToken.None)),
        ("CompleteRuns", () => store.CompleteRunsAsync([new RunOutcome(SomeRun, Worker, RunStatus.Succeeded, null, RunPayload.Parse("{}"))], Now, RetryPolicy.Default, CancellationToken.None)),
        ("RescueExpiredRuns", () => store.RescueExpiredRunsAsync(Now, RetryPolicy.Default, 10, CancellationToken.None)),
        ("EnqueueDueRuns", () => store.EnqueueDueRunsAsync(Now, Clients.All, 10, CancellationToken.None)),
        ("GetEarliestDueAt", () => store.GetEarliestDueAtAsync(Clients.All, CancellationToken.None)),
        ("SearchRuns", () => store.SearchRunsAsync(Client, new RunFilter(), RunTimestamp.Enqueued, SortDirection.NewestFirst, null, 10, CancellationToken.None)),
        ("CountRuns", () => store.CountRunsAsync(Client, new RunFilter(), RunTimestamp.Enqueued, CancellationToken.None)),
        ("SearchJobs", () => store.SearchJobsAsync(Client, new JobFilter(), null, 10, CancellationToken.None)),
        ("CountJobs", () => store.CountJobsAsync(Client, new JobFilter(), CancellationToken.None)),
        ("GetStatistics", () => store.GetStatisticsAsync(Client, new StatisticsQuery(Now, Now.AddDays(1)), Now, CancellationToken.None)),
        ("PruneRuns", () => store.PruneRunsAsync(Client, new PruneRequest(Now), null, CancellationToken.None)),
        ("ListClients", () => store.ListClientsAsync(CancellationToken.None)),
        ("ListPipelineRuns", () => store.ListPipelineRunsAsync(Client, new PipelineRunFilter(), null, 10, CancellationToken.None)),
        ("GetPipelineRun", () => store.GetPipelineRunAsync(Client, new PipelineRunId(1), CancellationToken.None)),
        ("CancelPipelineRun", () => store.CancelPipelineRunAsync(Client, new PipelineRunId(1), null, Now, CancellationToken.None)),
        ("Import", () => store.ImportAsync(Client, new ImportBatch([new ImportedJob(new JobDefinition("job"))], [], []), Now, CancellationToken.None)),
    ];

    /// <summary>Asserts that every call throws <typeparamref name="T"/> (in one multiple-assert scope) and returns the errors.</summary>
    public static async Task<List<T>> AssertEveryCallThrowsAsync<T>(RelationalOrderLibStore store)
        where T : Exception
    {
        var errors = new List<T>();
        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, call) in Of(store))
            {
                Exception? thrown = null;
                try
                {
                    await call();
                }
#pragma warning disable CA1031 // the test reports whatever was thrown
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    thrown = ex;
                }

                Assert.That(thrown, Is.InstanceOf<T>(), $"{name} threw {thrown?.GetType().Name ?? "nothing"}: {thrown?.Message}");
                if (thrown is T typed)
                {
                    errors.Add(typed);
                }
            }
        }

        return errors;
    }
}
