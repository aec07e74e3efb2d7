using System.Text;

namespace OrderLib.Import;

/// <summary>What an import is asked to do.</summary>
public sealed record ImportOptions
{
    /// <summary>Imports every job into this client, whatever the source's <c>client_id</c>; null: each job's own client (the default client when it has none).</summary>
    public string? Client { get; init; }

    /// <summary>True to read, check and report only, writing nothing.</summary>
    public bool DryRun { get; init; }
}

/// <summary>Why an item of the source was not imported.</summary>
public enum ImportSkipReason
{
    /// <summary>The client has a job of that name already (left as it is); for a dependency or run, one of its jobs is such a job.</summary>
    AlreadyPresent,

    /// <summary>The item breaks one of OrderLib's rules (an empty or too long name, an invalid client id, ...).</summary>
    Invalid,

    /// <summary>The same job name (in one client) or the same dependency is in the source twice; the first is imported.</summary>
    Duplicate,

    /// <summary>The dependency closes a cycle with the dependencies imported before it (a dependency on itself included).</summary>
    Cycle,

    /// <summary>The dependency or run names a job id the source's <c>jobs</c> table does not have.</summary>
    DanglingId,

    /// <summary>The dependency joins jobs of two different clients.</summary>
    CrossClient,

    /// <summary>The dependency's or run's job was itself skipped.</summary>
    JobSkipped,

    /// <summary>The run's status is none the import knows.</summary>
    UnknownStatus,
}

/// <summary>One item of the source that was not imported, and why.</summary>
/// <param name="Item">The item, e.g. <c>job 'extract'</c>, <c>dependency 'load' -&gt; 'extract'</c>, <c>run 17 of 'extract'</c>.</param>
/// <param name="Reason">Why it was skipped.</param>
/// <param name="Detail">The explanation for people.</param>
public sealed record ImportSkip(string Item, ImportSkipReason Reason, string Detail)
{
    /// <summary>The skip as one line: item, reason and detail.</summary>
    public override string ToString() => $"{Item}: {Reason} — {Detail}";
}

/// <summary>What the import did (or, in a dry run, would do) for one client.</summary>
public sealed class ClientImportReport
{
    internal ClientImportReport(
        ClientId client,
        IReadOnlyList<string> jobsImported,
        IReadOnlyList<ImportSkip> jobsSkipped,
        IReadOnlyList<string> dependenciesImported,
        IReadOnlyList<ImportSkip> dependenciesSkipped,
        int runsImported,
        IReadOnlyList<ImportSkip> runsSkipped,
        IReadOnlyList<string> notes)
    {
        Client = client;
        JobsImported = jobsImported;
        JobsSkipped = jobsSkipped;
        DependenciesImported = dependenciesImported;
        DependenciesSkipped = dependenciesSkipped;
        RunsImported = runsImported;
        RunsSkipped = runsSkipped;
        Notes = notes;
    }

    /// <summary>The client.</summary>
    public ClientId Client { get; }

    /// <summary>The names of the jobs imported, in the source's order.</summary>
    public IReadOnlyList<string> JobsImported { get; }

    /// <summary>The jobs not imported, each with its reason.</summary>
    public IReadOnlyList<ImportSkip> JobsSkipped { get; }

    /// <summary>The dependencies imported, each as <c>'job' -&gt; 'depends on'</c>.</summary>
    public IReadOnlyList<string> DependenciesImported { get; }

    /// <summary>The dependencies not imported, each with its reason.</summary>
    public IReadOnlyList<ImportSkip> DependenciesSkipped { get; }

    /// <summary>How many runs were imported.</summary>
    public int RunsImported { get; }

    /// <summary>The runs not imported, each with its reason.</summary>
    public IReadOnlyList<ImportSkip> RunsSkipped { get; }

    /// <summary>What was imported differently from the source: an invalid schedule dropped, an active run imported as Cancelled, a missing time filled in.</summary>
    public IReadOnlyList<string> Notes { get; }
}

/// <summary>What an import did (or, in a dry run, would do): per client, the jobs, dependencies and runs imported and skipped.</summary>
public sealed class ImportReport
{
    internal ImportReport(string source, bool dryRun, IReadOnlyList<string> optionalColumns, IReadOnlyList<ClientImportReport> clients, IReadOnlyList<ImportSkip> unassigned)
    {
        Source = source;
        DryRun = dryRun;
        OptionalColumns = optionalColumns;
        Clients = clients;
        Unassigned = unassigned;
    }

    /// <summary>The source, as the URL said it, without its password.</summary>
    public string Source { get; }

    /// <summary>True when nothing was written.</summary>
    public bool DryRun { get; }

    /// <summary>
    /// The later shape's columns the source has (<c>jobs.client_id</c>, <c>jobs.schedule</c>, <c>jobs.status</c>,
    /// <c>jobs.retries</c>, <c>jobs.priority</c>, <c>jobs.created_at</c>, <c>jobs.updated_at</c>, <c>job_runs.error</c>);
    /// none for the documented shape.
    /// </summary>
    public IReadOnlyList<string> OptionalColumns { get; }

    /// <summary>Per client, in client order.</summary>
    public IReadOnlyList<ClientImportReport> Clients { get; }

    /// <summary>Items that belong to no client (a dependency or run whose job ids are all dangling).</summary>
    public IReadOnlyList<ImportSkip> Unassigned { get; }

    /// <summary>Jobs imported over all clients.</summary>
    public int JobsImported => Clients.Sum(c => c.JobsImported.Count);

    /// <summary>Dependencies imported over all clients.</summary>
    public int DependenciesImported => Clients.Sum(c => c.DependenciesImported.Count);

    /// <summary>Runs imported over all clients.</summary>
    public int RunsImported => Clients.Sum(c => c.RunsImported);

    /// <summary>The report for people (what the CLI prints): totals, then each client's counts and every skip with its reason.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(DryRun ? "Dry run (nothing written): import" : "Import")
            .Append(" from ").Append(Source)
            .Append(" (").Append(OptionalColumns.Count == 0 ? "documented shape" : "columns: " + string.Join(", ", OptionalColumns)).AppendLine(")");
        text.Append(DryRun ? "Would import " : "Imported ")
            .Append(JobsImported).Append(" jobs, ").Append(DependenciesImported).Append(" dependencies, ").Append(RunsImported)
            .Append(" runs into ").Append(Clients.Count).AppendLine(Clients.Count == 1 ? " client." : " clients.");
        foreach (var client in Clients)
        {
            text.AppendLine().Append("Client ").Append(client.Client.Value).AppendLine(":");
            Counts(text, "jobs", client.JobsImported.Count, client.JobsSkipped);
            Counts(text, "dependencies", client.DependenciesImported.Count, client.DependenciesSkipped);
            Counts(text, "runs", client.RunsImported, client.RunsSkipped);
            foreach (var note in client.Notes)
            {
                text.Append("  note: ").AppendLine(note);
            }
        }

        if (Unassigned.Count > 0)
        {
            text.AppendLine().AppendLine("Not assigned to any client:");
            foreach (var skip in Unassigned)
            {
                text.Append("  skipped ").AppendLine(skip.ToString());
            }
        }

        return text.ToString();
    }

    private static void Counts(StringBuilder text, string what, int imported, IReadOnlyList<ImportSkip> skipped)
    {
        text.Append("  ").Append(what).Append(": ").Append(imported).Append(" imported, ").Append(skipped.Count).AppendLine(" skipped");
        foreach (var skip in skipped)
        {
            text.Append("    skipped ").AppendLine(skip.ToString());
        }
    }
}
