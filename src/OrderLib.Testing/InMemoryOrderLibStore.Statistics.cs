using OrderLib.Ports;

namespace OrderLib.Testing;

// Statistics of a window of the history, computed from the runs under the store's lock.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>Scans the selected jobs' runs; readiness is decided from the graph (see the class remarks).</remarks>
    public Task<HistoryStatistics> GetStatisticsAsync(ClientId client, StatisticsQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            var selected = query.JobIds is { Count: > 0 } ids ? ids.ToHashSet() : null;
            var jobs = _jobs.Values.Where(job => job.ClientId == client && (selected is null || selected.Contains(job.Id))).ToArray();
            var perJob = jobs
                .Select(job => (Job: job, Runs: _runsByJob[job.Id.Value].Select(id => _runs[id]).Where(run => run.FinishedAt >= query.From && run.FinishedAt < query.To).ToArray()))
                .Where(x => x.Runs.Length > 0)
                .ToArray();
            var finished = perJob.SelectMany(x => x.Runs).ToArray();
            var timeline = finished
                .GroupBy(run => Timeline.BucketStart(run.FinishedAt!.Value, query.Bucket))
                .Select(bucket => new TimelineBucketCounts(bucket.Key, CountOf(bucket, RunStatus.Succeeded), CountOf(bucket, RunStatus.Failed), CountOf(bucket, RunStatus.Cancelled)));
            return Task.FromResult(new HistoryStatistics(
                query,
                now,
                StatisticsOf(finished),
                perJob.Select(x => new JobStatistics(x.Job.Id, x.Job.Name, StatisticsOf(x.Runs))).ToArray(),
                QueueDepthOf(jobs, now),
                Timeline.Fill(query, timeline)));
        }
    }

    private static long CountOf(IEnumerable<JobRun> runs, RunStatus status) => runs.LongCount(run => run.Status == status);

    // How the finished runs went; percentiles by nearest rank: the duration at rank ceil(p·n) in ascending order.
    private static RunStatistics StatisticsOf(IReadOnlyCollection<JobRun> runs)
    {
        var successes = runs.Where(run => run.Status == RunStatus.Succeeded).ToArray();
        var durations = runs.Where(run => run.StartedAt is not null).Select(run => run.FinishedAt!.Value - run.StartedAt!.Value).Order().ToArray();
        TimeSpan AtPercent(int percent) => durations[((durations.Length * percent) + 99) / 100 - 1];
        return new RunStatistics(
            successes.Length,
            CountOf(runs, RunStatus.Failed),
            CountOf(runs, RunStatus.Cancelled),
            successes.Length == 0 ? null : successes.Average(run => run.Attempt),
            durations.Length == 0 ? null : new DurationStatistics(durations.Length, durations[0], AtPercent(50), AtPercent(95), durations[^1]));
    }

    // The jobs' active runs (each job's latest run, when active) by kind; a paused job's pending run is Paused only.
    private QueueDepth QueueDepthOf(IEnumerable<Job> jobs, DateTimeOffset now)
    {
        long waiting = 0, paused = 0, later = 0, running = 0;
        var ready = new List<DateTimeOffset>();
        foreach (var job in jobs)
        {
            switch (LatestRun(job.Id.Value))
            {
                case { Status: RunStatus.Running }:
                    running++;
                    break;
                case { Status: RunStatus.Pending } when job.IsPaused:
                    paused++;
                    break;
                case { Status: RunStatus.Pending } when UnsatisfiedDependencies(job.Id.Value).Count > 0:
                    waiting++;
                    break;
                case { Status: RunStatus.Pending } pending when pending.AvailableAt <= now:
                    ready.Add(pending.AvailableAt);
                    break;
                case { Status: RunStatus.Pending }:
                    later++;
                    break;
            }
        }

        return new QueueDepth(ready.Count, waiting, paused, later, running, ready.Count == 0 ? null : ready.Min());
    }
}
