using System.CommandLine;
using OrderLib.Import;

namespace OrderLib.Cli.Commands;

/// <summary>
/// <c>import --from URL [--dry-run]</c>: <see cref="OrderLibImporter.ImportFromOrderLibAsync"/> — a Python Order-lib
/// database read in place and written into the connected OrderLib database, one transaction per client; the global
/// <c>--client</c>, when given, puts every job into that client instead of the source's <c>client_id</c>.
/// </summary>
internal static class ImportCommand
{
    public static Command Build(CommandRunner app)
    {
        var from = new Option<string>("--from")
        {
            Description = "The Python Order-lib database to import, as a DATABASE_URL (sqlite:///path or postgresql://...).",
            Required = true,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what the import would do; write nothing." };
        var import = new Command("import", "Import jobs, dependencies and run history from a Python Order-lib database (idempotent by job name).") { from, dryRun };
        app.Handle(import, async context =>
        {
            var report = await context.Importer.ImportFromOrderLibAsync(
                context.Value(from),
                new ImportOptions { Client = context.ClientGiven, DryRun = context.Value(dryRun) },
                context.CancellationToken);
            if (context.Json)
            {
                await context.JsonAsync(View(report));
                return;
            }

            await context.Out.WriteAsync(report.ToString());
        });
        return import;
    }

    private static object View(ImportReport report) => new
    {
        source = report.Source,
        dryRun = report.DryRun,
        jobsImported = report.JobsImported,
        dependenciesImported = report.DependenciesImported,
        runsImported = report.RunsImported,
        clients = report.Clients.Select(client => new
        {
            client = client.Client.Value,
            jobsImported = client.JobsImported,
            jobsSkipped = client.JobsSkipped.Select(Skip),
            dependenciesImported = client.DependenciesImported,
            dependenciesSkipped = client.DependenciesSkipped.Select(Skip),
            runsImported = client.RunsImported,
            runsSkipped = client.RunsSkipped.Select(Skip),
            notes = client.Notes,
        }),
        unassigned = report.Unassigned.Select(Skip),
    };

    private static object Skip(ImportSkip skip) => new { item = skip.Item, reason = skip.Reason.ToString(), detail = skip.Detail };
}
