using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OrderLib.Ports;

namespace OrderLib.Import;

/// <summary>
/// Imports a Python Order-lib database, read in place, into OrderLib's store: its jobs, their dependencies and their run
/// history, one transaction per client (<see cref="IImportStore.ImportAsync"/>), idempotent by job name. Register it with
/// <c>AddOrderLib(...).AddImport()</c> and resolve it from the service provider. See docs/importing-from-order-lib.md for
/// every mapping.
/// </summary>
public sealed partial class OrderLibImporter
{
    private const int ListPageSize = 1000;

    private readonly IJobStore _jobs;
    private readonly IImportStore _store;
    private readonly TimeProvider _time;
    private readonly ClientId _defaultClient;

    /// <summary>Creates the importer over the store OrderLib was registered with.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OrderLibImporter(IJobStore jobs, IImportStore store, IOptions<OrderLibOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _jobs = jobs;
        _store = store;
        _time = time;
        _defaultClient = new ClientId(options.Value.DefaultClientId);
    }

    /// <summary>
    /// Reads the Order-lib database at <paramref name="sourceUrl"/> (<c>sqlite:///path</c>, <c>sqlite:////absolute/path</c> or
    /// <c>postgresql://user:pass@host/db</c>) and writes its jobs, dependencies and runs, one transaction per client;
    /// with <see cref="ImportOptions.DryRun"/> writes nothing and reports what it would do.
    /// </summary>
    /// <returns>The report: per client, what was imported and what was skipped, and why.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sourceUrl"/> is null.</exception>
    /// <exception cref="ImportSourceUrlException">The URL is not a sqlite:/// or postgresql:// DATABASE_URL.</exception>
    /// <exception cref="ImportSourceUnavailableException">The source database cannot be opened or read.</exception>
    /// <exception cref="NotAnOrderLibDatabaseException">The source lacks Order-lib's tables or their required columns.</exception>
    /// <exception cref="OrderLibValidationException"><see cref="ImportOptions.Client"/> is not a valid client id.</exception>
    /// <exception cref="OrderLibException">The target store refused a client's import (that client's transaction wrote nothing; clients before it stay imported).</exception>
    public async Task<ImportReport> ImportFromOrderLibAsync(string sourceUrl, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceUrl);
        options ??= new ImportOptions();
        ClientId? overrideClient = options.Client is null ? null : new ClientId(options.Client);
        var source = await OrderLibSource.ReadAsync(sourceUrl, cancellationToken);
        var now = _time.GetUtcNow();
        var plan = ImportPlan.Build(source, overrideClient, _defaultClient, now);
        var clients = new List<ClientImportReport>();
        foreach (var client in plan.Clients)
        {
            IReadOnlySet<string> present;
            if (options.DryRun)
            {
                present = await ExistingNamesAsync(client.Client, cancellationToken);
            }
            else
            {
                var result = await _store.ImportAsync(client.Client, client.Batch, now, cancellationToken);
                present = result.JobsAlreadyPresent.ToHashSet(StringComparer.Ordinal);
            }

            clients.Add(client.Report(present));
        }

        return new ImportReport(Redact(sourceUrl), options.DryRun, source.OptionalColumns, clients, plan.Unassigned);
    }

    private async Task<IReadOnlySet<string>> ExistingNamesAsync(ClientId client, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        JobId? after = null;
        while (true)
        {
            var page = await _jobs.ListJobsAsync(client, after, ListPageSize, cancellationToken);
            foreach (var job in page)
            {
                names.Add(job.Name);
            }

            if (page.Count < ListPageSize)
            {
                return names;
            }

            after = page[^1].Id;
        }
    }

    // The URL without its password.
    private static string Redact(string url) => Password().Replace(url, "$1***@");

    [GeneratedRegex("^([a-zA-Z0-9+.-]+://[^:/@]*:)[^@/]*@")]
    private static partial Regex Password();
}
