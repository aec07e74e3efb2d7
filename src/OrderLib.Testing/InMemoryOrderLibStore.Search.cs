using OrderLib.Ports;

namespace OrderLib.Testing;

// History searches: the client's runs across jobs and the client's jobs with their latest run, by scanning under the lock.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<RunWithJobName>> SearchRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, SortDirection direction, RunPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var found = MatchingRuns(client, filter, orderBy)
                .Select(run => (run, position: RunPosition.Of(run, orderBy)!.Value))
                .Where(r => after is not { } a || (direction == SortDirection.NewestFirst ? r.position < a : r.position > a));
            var ordered = direction == SortDirection.NewestFirst
                ? found.OrderByDescending(r => r.position.At).ThenByDescending(r => r.run.Id.Value)
                : found.OrderBy(r => r.position.At).ThenBy(r => r.run.Id.Value);
            IReadOnlyList<RunWithJobName> page = ordered
                .Take(limit)
                .Select(r => new RunWithJobName(r.run, _jobs[r.run.JobId.Value].Name))
                .ToArray();
            return Task.FromResult(page);
        }
    }

    /// <inheritdoc />
    public Task<long> CountRunsAsync(ClientId client, RunFilter filter, RunTimestamp orderBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(MatchingRuns(client, filter, orderBy).LongCount());
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<JobWithLatestRun>> SearchJobsAsync(ClientId client, JobFilter filter, JobId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<JobWithLatestRun> page = MatchingJobs(ClientJobsAfter(client, after), filter).Take(limit).ToArray();
            return Task.FromResult(page);
        }
    }

    /// <inheritdoc />
    public Task<long> CountJobsAsync(ClientId client, JobFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(MatchingJobs(ClientJobsAfter(client, null), filter).LongCount());
        }
    }

    // True when the bound is not set or holds; From included, To excluded. A missing value never matches a set bound.
    private static bool InRange(DateTimeOffset? value, DateTimeOffset? from, DateTimeOffset? to) =>
        (from is null || value >= from) && (to is null || value < to);

    private static bool InBounds<T>(T? value, T? min, T? max)
        where T : struct, IComparable<T> =>
        (min is not { } low || (value is { } v1 && v1.CompareTo(low) >= 0)) && (max is not { } high || (value is { } v2 && v2.CompareTo(high) <= 0));

    // A text containing a part, ignoring the case of A–Z only (TextRules.FoldAsciiCase); null never contains anything.
    private static bool ContainsFolded(string? text, string? part) =>
        part is null || (text is not null && TextRules.FoldAsciiCase(text).Contains(TextRules.FoldAsciiCase(part), StringComparison.Ordinal));

    // The client's runs matching the filter and having the orderBy timestamp, in no particular order.
    private IEnumerable<JobRun> MatchingRuns(ClientId client, RunFilter filter, RunTimestamp orderBy)
    {
        var statuses = filter.Statuses is { Count: > 0 } set ? set : null;
        var jobIds = filter.JobIds is { Count: > 0 } ids ? ids.Select(id => id.Value).ToHashSet() : null;
        return _runs.Values.Where(run =>
        {
            var job = _jobs[run.JobId.Value];
            return job.ClientId == client
                && run.TimeOf(orderBy) is not null
                && (statuses is null || statuses.Contains(run.Status))
                && (jobIds is null || jobIds.Contains(job.Id.Value))
                && (filter.JobName is null || string.Equals(job.Name, filter.JobName, StringComparison.Ordinal))
                && (filter.JobNamePrefix is null || job.Name.StartsWith(filter.JobNamePrefix, StringComparison.Ordinal))
                && (filter.WorkerId is null || string.Equals(run.WorkerId?.Value, filter.WorkerId, StringComparison.Ordinal))
                && InBounds<int>(run.Attempt, filter.MinAttempt, filter.MaxAttempt)
                && InRange(run.EnqueuedAt, filter.EnqueuedFrom, filter.EnqueuedTo)
                && InRange(run.StartedAt, filter.StartedFrom, filter.StartedTo)
                && InRange(run.FinishedAt, filter.FinishedFrom, filter.FinishedTo)
                && InBounds(run.FinishedAt - run.StartedAt, filter.MinDuration, filter.MaxDuration)
                && ContainsFolded(run.Error, filter.ErrorContains);
        });
    }

    // The jobs matching the filter, in id order, each with its latest run.
    private IEnumerable<JobWithLatestRun> MatchingJobs(IEnumerable<Job> jobs, JobFilter filter)
    {
        var statuses = filter.LatestStatuses is { Count: > 0 } set ? set : null;
        return jobs
            .Select(job => new JobWithLatestRun(job, LatestRun(job.Id.Value)))
            .Where(found =>
            {
                var (job, latest) = (found.Job, found.LatestRun);
                var id = job.Id.Value;
                return (filter.NameEquals is null || string.Equals(job.Name, filter.NameEquals, StringComparison.Ordinal))
                    && (filter.NamePrefix is null || job.Name.StartsWith(filter.NamePrefix, StringComparison.Ordinal))
                    && ContainsFolded(job.Name, filter.NameContains)
                    && (filter.HasSchedule is not { } hasSchedule || (job.Schedule is not null) == hasSchedule)
                    && InRange(job.NextDueAt, filter.NextDueFrom, filter.NextDueTo)
                    && (statuses is null || (latest is not null && statuses.Contains(latest.Status)))
                    && (filter.HasRuns is not { } hasRuns || (latest is not null) == hasRuns)
                    && (filter.HasDependencies is not { } hasDependencies || (_upstream[id].Count > 0) == hasDependencies)
                    && (filter.HasDependents is not { } hasDependents || (_downstream[id].Count > 0) == hasDependents)
                    && (filter.Paused is not { } paused || job.IsPaused == paused)
                    && InBounds<int>(job.Priority, filter.MinPriority, filter.MaxPriority);
            });
    }
}
