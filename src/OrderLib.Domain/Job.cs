namespace OrderLib;

/// <summary>A job as stored: its definition plus the identity and timestamps the store assigned.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="ClientId">The client (tenant) that owns the job.</param>
/// <param name="Name">The name, unique within the client.</param>
/// <param name="Description">Free text, or null.</param>
/// <param name="Priority">Higher runs first.</param>
/// <param name="MaxAttempts">Attempts a run gets before it fails for good; at least 1.</param>
/// <param name="Schedule">The schedule text, or null.</param>
/// <param name="CreatedAt">When the job was created (UTC).</param>
/// <param name="UpdatedAt">When the job was last changed (UTC).</param>
public sealed record Job(
    JobId Id,
    ClientId ClientId,
    string Name,
    string? Description,
    int Priority,
    int MaxAttempts,
    string? Schedule,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>When the job's schedule next enqueues a run (UTC); null for a job without a schedule, or whose schedule has no further occurrence.</summary>
    public DateTimeOffset? NextDueAt { get; init; }

    /// <summary>When the job was paused (UTC), or null when it is not: a paused job's runs are never claimed and its schedule enqueues nothing.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>True when the job is paused (<see cref="PausedAt"/> is set).</summary>
    public bool IsPaused => PausedAt is not null;

    /// <summary>Builds a new job from a validated definition.</summary>
    public static Job Create(JobId id, ClientId clientId, JobDefinition definition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new Job(id, clientId, definition.Name, definition.Description, definition.Priority, definition.MaxAttempts, definition.Schedule, now, now);
    }

    /// <summary>Returns this job changed to match <paramref name="definition"/>, keeping id, client and creation time.</summary>
    public Job Apply(JobDefinition definition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return this with
        {
            Name = definition.Name,
            Description = definition.Description,
            Priority = definition.Priority,
            MaxAttempts = definition.MaxAttempts,
            Schedule = definition.Schedule,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Returns this job saved with <paramref name="definition"/> at <paramref name="now"/>, as every store updates a job:
    /// <see cref="Apply"/>, and a due time kept while the schedule text is unchanged (ordinal) and the job has one, otherwise
    /// the schedule's next occurrence after <paramref name="now"/> (<see cref="JobSchedules.NextDueAt"/>; null without a schedule).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    /// <exception cref="OrderLibValidationException">The schedule text is invalid.</exception>
    public Job Redefined(JobDefinition definition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var nextDueAt = string.Equals(Schedule, definition.Schedule, StringComparison.Ordinal) && NextDueAt is not null
            ? NextDueAt
            : JobSchedules.NextDueAt(definition.Schedule, now);
        return Apply(definition, now) with { NextDueAt = nextDueAt };
    }

    /// <summary>
    /// True when saving <paramref name="definition"/> would change nothing but the update time: same name, description,
    /// priority, max attempts and schedule text (ordinal), and a scheduled job already has its due time.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="definition"/> is null.</exception>
    public bool IsDefinedBy(JobDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return string.Equals(Name, definition.Name, StringComparison.Ordinal)
            && string.Equals(Description, definition.Description, StringComparison.Ordinal)
            && Priority == definition.Priority
            && MaxAttempts == definition.MaxAttempts
            && string.Equals(Schedule, definition.Schedule, StringComparison.Ordinal)
            && (Schedule is null || NextDueAt is not null);
    }
}

/// <summary>"Job <paramref name="JobId"/> depends on job <paramref name="DependsOnJobId"/>": a run of the first may start only after the second's latest run succeeded.</summary>
/// <param name="JobId">The dependent (downstream) job.</param>
/// <param name="DependsOnJobId">The job it waits for (upstream).</param>
/// <param name="CreatedAt">When the dependency was added (UTC).</param>
public sealed record JobDependency(JobId JobId, JobId DependsOnJobId, DateTimeOffset CreatedAt)
{
    /// <summary>Builds a dependency between two jobs after checking the rules that need no graph: not on itself, not across clients.</summary>
    /// <exception cref="SelfDependencyException">Both are the same job.</exception>
    /// <exception cref="CrossClientDependencyException">The jobs belong to different clients.</exception>
    public static JobDependency Create(Job job, Job dependsOn, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(dependsOn);
        if (job.Id == dependsOn.Id)
        {
            throw new SelfDependencyException(job.Id);
        }

        if (job.ClientId != dependsOn.ClientId)
        {
            throw new CrossClientDependencyException(job.Id, dependsOn.Id);
        }

        return new JobDependency(job.Id, dependsOn.Id, now);
    }
}

/// <summary>An upstream job that keeps a run from starting, with the status of its latest run (null: it never ran).</summary>
/// <param name="JobId">The upstream job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="LatestStatus">The status of its most recent run, or null when it never ran.</param>
public sealed record UnsatisfiedDependency(JobId JobId, string JobName, RunStatus? LatestStatus)
{
    /// <summary>Describes the dependency for people, e.g. <c>'extract' (latest run Failed)</c>.</summary>
    public override string ToString() =>
        $"'{JobName}' ({(LatestStatus is { } status ? $"latest run {status}" : "never ran")})";
}
