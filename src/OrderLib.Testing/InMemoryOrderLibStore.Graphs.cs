namespace OrderLib.Testing;

// Defining a graph in one call: the client's jobs and dependencies by name, checked and written under the one lock.
public sealed partial class InMemoryOrderLibStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Everything is decided before anything changes: the schedules' next due times, the check against the client's graph
    /// (<see cref="GraphDefinition.CheckAgainst"/>), then the writes. Readiness needs no update here: this store decides it
    /// when asked, and claim order reads the job's current priority.
    /// </remarks>
    public Task<GraphDefinitionResult> DefineGraphAsync(ClientId client, GraphDefinition graph, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graph);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            now = Utc(now);
            foreach (var definition in graph.Jobs)
            {
                // Every schedule is read before anything changes (AddJob and Redefined read them again).
                JobSchedules.NextDueAt(definition.Schedule, now);
            }

            var byName = ClientJobsAfter(client, null).ToDictionary(job => job.Name, StringComparer.Ordinal);
            var existingDependencies = _edges.Keys
                .Where(edge => _jobs[edge.JobId].ClientId == client)
                .Select(edge => (_jobs[edge.JobId].Name, _jobs[edge.DependsOnJobId].Name));
            var added = graph.CheckAgainst(byName.Keys.ToHashSet(StringComparer.Ordinal), existingDependencies);
            var updates = graph.Jobs
                .Where(definition => byName.TryGetValue(definition.Name, out var job) && !job.IsDefinedBy(definition))
                .ToDictionary(definition => definition.Name, definition => byName[definition.Name].Redefined(definition, now), StringComparer.Ordinal);

            var defined = new List<DefinedJob>(graph.Jobs.Count);
            foreach (var definition in graph.Jobs)
            {
                if (updates.TryGetValue(definition.Name, out var updated))
                {
                    _jobs[updated.Id.Value] = updated;
                    defined.Add(new DefinedJob(updated, JobChange.Updated));
                }
                else if (byName.TryGetValue(definition.Name, out var unchanged))
                {
                    defined.Add(new DefinedJob(unchanged, JobChange.Unchanged));
                }
                else
                {
                    var created = AddJob(client, definition, now);
                    byName.Add(created.Name, created);
                    defined.Add(new DefinedJob(created, JobChange.Created));
                }
            }

            foreach (var dependency in added)
            {
                AddEdge(new JobDependency(byName[dependency.JobName].Id, byName[dependency.DependsOnName].Id, now));
            }

            return Task.FromResult(new GraphDefinitionResult(defined, added.Count));
        }
    }
}
