using OrderLib.Ports;

namespace OrderLib.Testing;

// Importing a client's jobs, dependencies and finished runs from another system in one call, under the one lock.
public sealed partial class InMemoryOrderLibStore : IImportStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Everything is decided before anything changes: the schedules' next due times and which names the client has
    /// already; then the jobs, the dependencies among the created jobs and the created jobs' runs are added. Run ids only
    /// grow, so the last run of a job in the batch is its latest run.
    /// </remarks>
    public Task<ImportResult> ImportAsync(ClientId client, ImportBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            foreach (var job in batch.Jobs)
            {
                // Every schedule is read before anything changes (AddJob reads it again).
                JobSchedules.NextDueAt(job.Definition.Schedule, now);
            }

            var existing = ClientJobsAfter(client, null).Select(job => job.Name).ToHashSet(StringComparer.Ordinal);
            var created = new Dictionary<string, Job>(StringComparer.Ordinal);
            var createdInOrder = new List<Job>();
            var present = new List<string>();
            foreach (var imported in batch.Jobs)
            {
                if (existing.Contains(imported.Definition.Name))
                {
                    present.Add(imported.Definition.Name);
                    continue;
                }

                var job = AddJob(client, imported.Definition, now);
                var createdAt = Utc(imported.CreatedAt ?? now);
                job = job with { CreatedAt = createdAt, UpdatedAt = Utc(imported.UpdatedAt ?? createdAt) };
                _jobs[job.Id.Value] = job;
                created.Add(job.Name, job);
                createdInOrder.Add(job);
            }

            var dependencies = 0;
            foreach (var dependency in batch.Dependencies)
            {
                if (created.TryGetValue(dependency.JobName, out var job) && created.TryGetValue(dependency.DependsOnName, out var upstream))
                {
                    AddEdge(new JobDependency(job.Id, upstream.Id, now));
                    dependencies++;
                }
            }

            var runs = 0;
            foreach (var run in batch.Runs)
            {
                if (created.TryGetValue(run.JobName, out var job))
                {
                    AddRun(
                        new JobRun(new RunId(++_lastRunId), job.Id, run.Status, 1, run.EnqueuedAt, run.EnqueuedAt, run.StartedAt, run.FinishedAt, null, null, run.Error),
                        input: null);
                    runs++;
                }
            }

            return Task.FromResult(new ImportResult(createdInOrder, present, dependencies, runs));
        }
    }
}
