using System.Globalization;
using OrderLib.Ports;

namespace OrderLib.Import;

/// <summary>
/// The source turned into one <see cref="ImportBatch"/> per client, with everything that cannot be imported set aside with
/// its reason. Which jobs the target has already is decided later (by the store, or by a dry run's read), so the batch holds
/// every importable job and <see cref="ClientPlan.Report"/> finishes the report from the names found present.
/// </summary>
internal sealed class ImportPlan
{
    private ImportPlan(IReadOnlyList<ClientPlan> clients, IReadOnlyList<ImportSkip> unassigned)
    {
        Clients = clients;
        Unassigned = unassigned;
    }

    public IReadOnlyList<ClientPlan> Clients { get; }

    public IReadOnlyList<ImportSkip> Unassigned { get; }

    public static ImportPlan Build(SourceData source, ClientId? overrideClient, ClientId defaultClient, DateTimeOffset now)
    {
        var clients = new SortedDictionary<string, ClientPlan>(StringComparer.Ordinal);
        var unassigned = new List<ImportSkip>();

        ClientPlan PlanOf(ClientId client)
        {
            if (!clients.TryGetValue(client.Value, out var plan))
            {
                clients.Add(client.Value, plan = new ClientPlan(client));
            }

            return plan;
        }

        // Jobs: source id -> (client, name) for the imported ones; the skipped ones with their client, when known.
        var jobById = new Dictionary<string, PlannedJob>(StringComparer.Ordinal);
        var skippedJob = new Dictionary<string, (ClientId? Client, string Label)>(StringComparer.Ordinal);
        foreach (var row in source.Jobs)
        {
            var label = row.Name is { } n ? $"job '{n}'" : $"job id {row.Id}";
            ClientId client;
            try
            {
                client = overrideClient ?? (string.IsNullOrWhiteSpace(row.ClientId) ? defaultClient : new ClientId(row.ClientId.Trim()));
            }
            catch (OrderLibValidationException ex)
            {
                unassigned.Add(new ImportSkip(label, ImportSkipReason.Invalid, $"client id '{row.ClientId}' is not valid: {ex.Message}"));
                skippedJob[row.Id] = (null, label);
                continue;
            }

            var plan = PlanOf(client);
            if (jobById.ContainsKey(row.Id) || skippedJob.ContainsKey(row.Id))
            {
                plan.JobsSkipped.Add(new ImportSkip(label, ImportSkipReason.Duplicate, $"job id {row.Id} is in the source twice; the first row is imported"));
                continue;
            }

            JobDefinition definition;
            try
            {
                definition = new JobDefinition(row.Name ?? "")
                {
                    Description = row.Description,
                    Priority = row.Priority is { } p ? (int)Math.Clamp(p, int.MinValue, int.MaxValue) : 0,
                    MaxAttempts = (int)Math.Clamp((row.Retries ?? 0) + 1, 1, int.MaxValue),
                };
            }
            catch (OrderLibValidationException ex)
            {
                plan.JobsSkipped.Add(new ImportSkip(label, ImportSkipReason.Invalid, ex.Message));
                skippedJob[row.Id] = (client, label);
                continue;
            }

            if (plan.HasJob(definition.Name))
            {
                plan.JobsSkipped.Add(new ImportSkip(label, ImportSkipReason.Duplicate, $"the client has another job '{definition.Name}' in the source (id {plan.IdOf(definition.Name)}); the first is imported"));
                skippedJob[row.Id] = (client, label);
                continue;
            }

            if (!string.IsNullOrWhiteSpace(row.Schedule))
            {
                try
                {
                    var withSchedule = definition with { Schedule = row.Schedule };
                    JobScheduleParser.Parse(withSchedule.Schedule!);
                    JobSchedules.NextDueAt(withSchedule.Schedule, now);
                    definition = withSchedule;
                }
                catch (OrderLibValidationException ex)
                {
                    plan.Notes.Add($"job '{definition.Name}': schedule '{row.Schedule}' is not valid ({ex.Message}); imported without a schedule");
                }
            }

            var created = row.CreatedAt;
            plan.AddJob(row.Id, new ImportedJob(definition, created, row.UpdatedAt ?? created));
            jobById[row.Id] = new PlannedJob(client, definition.Name);
        }

        // Dependencies, in the source's order: dangling ids, skipped jobs, clients crossed, duplicates, then cycles among
        // the ones accepted so far (the domain's graph search).
        foreach (var row in source.Dependencies)
        {
            var label = $"dependency {Describe(row.JobId, jobById, skippedJob)} -> {Describe(row.DependsOnId, jobById, skippedJob)}";
            var job = Find(row.JobId, jobById);
            var upstream = Find(row.DependsOnId, jobById);
            var owner = job?.Client ?? upstream?.Client ?? SkippedClient(row.JobId, skippedJob) ?? SkippedClient(row.DependsOnId, skippedJob);
            void Skip(ImportSkipReason reason, string detail)
            {
                var skip = new ImportSkip(label, reason, detail);
                if (owner is { } c)
                {
                    PlanOf(c).DependenciesSkipped.Add(skip);
                }
                else
                {
                    unassigned.Add(skip);
                }
            }

            var dangling = new[] { row.JobId, row.DependsOnId }.FirstOrDefault(id => id is null || (!jobById.ContainsKey(id) && !skippedJob.ContainsKey(id)));
            if (row.JobId is null || row.DependsOnId is null || dangling is not null)
            {
                Skip(ImportSkipReason.DanglingId, $"job id {dangling ?? "(null)"} is not in the source's jobs table");
                continue;
            }

            if (job is null || upstream is null)
            {
                Skip(ImportSkipReason.JobSkipped, $"{(job is null ? skippedJob[row.JobId].Label : skippedJob[row.DependsOnId].Label)} was skipped");
                continue;
            }

            if (job.Client != upstream.Client)
            {
                Skip(ImportSkipReason.CrossClient, $"'{job.Name}' is of client {job.Client.Value}, '{upstream.Name}' of client {upstream.Client.Value}");
                continue;
            }

            var plan = PlanOf(job.Client);
            if (job.Name == upstream.Name)
            {
                Skip(ImportSkipReason.Cycle, $"'{job.Name}' depends on itself");
                continue;
            }

            if (plan.HasDependency(job.Name, upstream.Name))
            {
                Skip(ImportSkipReason.Duplicate, "the dependency is in the source twice; the first row is imported");
                continue;
            }

            if (plan.CycleClosedBy(job.Name, upstream.Name) is { } cycle)
            {
                Skip(ImportSkipReason.Cycle, $"it closes the cycle {string.Join(" -> ", cycle.Select(n => $"'{n}'"))}");
                continue;
            }

            plan.AddDependency(job.Name, upstream.Name);
        }

        // Runs: each mapped to a terminal run of its job, then written oldest first per job.
        var ordinal = 0;
        foreach (var row in source.Runs)
        {
            ordinal++;
            var id = row.Id ?? ordinal.ToString(CultureInfo.InvariantCulture);
            var job = Find(row.JobId, jobById);
            var label = $"run {id} of {Describe(row.JobId, jobById, skippedJob)}";
            if (job is null)
            {
                if (row.JobId is not null && skippedJob.TryGetValue(row.JobId, out var skipped))
                {
                    var skip = new ImportSkip(label, ImportSkipReason.JobSkipped, $"{skipped.Label} was skipped");
                    if (skipped.Client is { } c)
                    {
                        PlanOf(c).RunsSkipped.Add(skip);
                    }
                    else
                    {
                        unassigned.Add(skip);
                    }
                }
                else
                {
                    unassigned.Add(new ImportSkip(label, ImportSkipReason.DanglingId, $"job id {row.JobId ?? "(null)"} is not in the source's jobs table"));
                }

                continue;
            }

            var plan = PlanOf(job.Client);
            var status = row.Status?.Trim().ToUpperInvariant();
            RunStatus mapped;
            string? error = row.Error;
            DateTimeOffset finished;
            switch (status)
            {
                case "COMPLETED" or "SUCCESS" or "SUCCEEDED":
                    mapped = RunStatus.Succeeded;
                    error = null;
                    finished = Finished(row, now, plan, label);
                    break;
                case "FAILED" or "FAILURE":
                    mapped = RunStatus.Failed;
                    finished = Finished(row, now, plan, label);
                    break;
                case "CANCELLED" or "CANCELED":
                    mapped = RunStatus.Cancelled;
                    finished = Finished(row, now, plan, label);
                    break;
                case "PENDING" or "RUNNING":
                    mapped = RunStatus.Cancelled;
                    error = $"Imported from Order-lib while {status}: the Python workers that would have run it are gone, so it was cancelled at the import.";
                    finished = now;
                    plan.Notes.Add($"{label}: {status} in the source, imported as Cancelled (finished at the import's time)");
                    break;
                default:
                    plan.RunsSkipped.Add(new ImportSkip(label, ImportSkipReason.UnknownStatus, $"status '{row.Status}' is none of COMPLETED, SUCCESS, FAILED, CANCELLED, PENDING, RUNNING"));
                    continue;
            }

            var enqueued = row.StartedAt ?? finished;
            plan.AddRun(label, new ImportedRun(job.Name, mapped, enqueued, row.StartedAt, finished, error), ordinal);
        }

        return new ImportPlan(clients.Values.ToArray(), unassigned);
    }

    private static DateTimeOffset Finished(SourceRun row, DateTimeOffset now, ClientPlan plan, string label)
    {
        if (row.FinishedAt is { } finished)
        {
            return finished;
        }

        if (row.StartedAt is { } started)
        {
            plan.Notes.Add($"{label}: no finished_at; its start time is taken as its finish time");
            return started;
        }

        plan.Notes.Add($"{label}: neither started_at nor finished_at; enqueued and finished at the import's time");
        return now;
    }

    private static PlannedJob? Find(string? id, Dictionary<string, PlannedJob> jobById) =>
        id is not null && jobById.TryGetValue(id, out var job) ? job : null;

    private static ClientId? SkippedClient(string? id, Dictionary<string, (ClientId? Client, string Label)> skipped) =>
        id is not null && skipped.TryGetValue(id, out var s) ? s.Client : null;

    private static string Describe(string? id, Dictionary<string, PlannedJob> jobById, Dictionary<string, (ClientId? Client, string Label)> skipped) =>
        id is null ? "job id (null)"
        : jobById.TryGetValue(id, out var job) ? $"'{job.Name}'"
        : skipped.TryGetValue(id, out var s) ? s.Label
        : $"job id {id}";

    private sealed record PlannedJob(ClientId Client, string Name);
}

/// <summary>One client's part of the plan: its batch, and what was set aside so far.</summary>
internal sealed class ClientPlan(ClientId client)
{
    private readonly List<ImportedJob> _jobs = [];
    private readonly Dictionary<string, string> _sourceIdOf = new(StringComparer.Ordinal);
    private readonly List<GraphDependency> _dependencies = [];
    private readonly HashSet<(string, string)> _edges = [];
    private readonly Dictionary<string, List<string>> _upstream = new(StringComparer.Ordinal);
    private readonly List<(ImportedRun Run, int Ordinal, string Label)> _runs = [];

    public ClientId Client { get; } = client;

    public List<ImportSkip> JobsSkipped { get; } = [];

    public List<ImportSkip> DependenciesSkipped { get; } = [];

    public List<ImportSkip> RunsSkipped { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>The batch: every importable job, dependency and run; runs oldest first (enqueue, finish, source order).</summary>
    public ImportBatch Batch => new(
        _jobs,
        _dependencies,
        _runs.OrderBy(r => r.Run.EnqueuedAt).ThenBy(r => r.Run.FinishedAt).ThenBy(r => r.Ordinal).Select(r => r.Run));

    public bool HasJob(string name) => _sourceIdOf.ContainsKey(name);

    public string IdOf(string name) => _sourceIdOf[name];

    public void AddJob(string sourceId, ImportedJob job)
    {
        _jobs.Add(job);
        _sourceIdOf.Add(job.Definition.Name, sourceId);
        _upstream.Add(job.Definition.Name, []);
    }

    public bool HasDependency(string job, string dependsOn) => _edges.Contains((job, dependsOn));

    /// <summary>The cycle "job depends on dependsOn" would close with the dependencies accepted so far, or null.</summary>
    public IReadOnlyList<string>? CycleClosedBy(string job, string dependsOn)
    {
        var back = DependencyGraph.FindPath(dependsOn, job, name => _upstream[name]);
        return back is null ? null : [job, .. back];
    }

    public void AddDependency(string job, string dependsOn)
    {
        _dependencies.Add(new GraphDependency(job, dependsOn));
        _edges.Add((job, dependsOn));
        _upstream[job].Add(dependsOn);
    }

    public void AddRun(string label, ImportedRun run, int ordinal) => _runs.Add((run, ordinal, label));

    /// <summary>The client's report, given the job names the target has already (those jobs, their dependencies and runs are skipped as present).</summary>
    public ClientImportReport Report(IReadOnlySet<string> present)
    {
        var jobsSkipped = new List<ImportSkip>(JobsSkipped);
        jobsSkipped.AddRange(_jobs.Where(j => present.Contains(j.Definition.Name))
            .Select(j => new ImportSkip($"job '{j.Definition.Name}'", ImportSkipReason.AlreadyPresent, "the client has a job of that name already; left as it is, its runs not imported again")));
        var dependenciesSkipped = new List<ImportSkip>(DependenciesSkipped);
        var dependenciesImported = new List<string>();
        foreach (var d in _dependencies)
        {
            var label = $"dependency '{d.JobName}' -> '{d.DependsOnName}'";
            var presentEnd = present.Contains(d.JobName) ? d.JobName : present.Contains(d.DependsOnName) ? d.DependsOnName : null;
            if (presentEnd is null)
            {
                dependenciesImported.Add($"'{d.JobName}' -> '{d.DependsOnName}'");
            }
            else
            {
                dependenciesSkipped.Add(new ImportSkip(label, ImportSkipReason.AlreadyPresent, $"job '{presentEnd}' was present already"));
            }
        }

        var runsSkipped = new List<ImportSkip>(RunsSkipped);
        var runsImported = 0;
        foreach (var (run, _, label) in _runs)
        {
            if (present.Contains(run.JobName))
            {
                runsSkipped.Add(new ImportSkip(label, ImportSkipReason.AlreadyPresent, $"job '{run.JobName}' was present already"));
            }
            else
            {
                runsImported++;
            }
        }

        return new ClientImportReport(
            Client,
            _jobs.Select(j => j.Definition.Name).Where(n => !present.Contains(n)).ToArray(),
            jobsSkipped,
            dependenciesImported,
            dependenciesSkipped,
            runsImported,
            runsSkipped,
            Notes);
    }
}
