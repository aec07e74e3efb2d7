using System.CommandLine;
using System.Globalization;
using OrderLib.Ports;

namespace OrderLib.Cli.Commands;

/// <summary><c>migrate up|down|list|current|script</c>: the schema, through <see cref="IOrderLibMigrator"/> and <see cref="IOrderLibMigrationScripter"/>.</summary>
internal static class MigrateCommands
{
    public static Command Build(CommandRunner app)
    {
        var migrate = new Command("migrate", "Apply, revert, list and script OrderLib's schema migrations (like Alembic's upgrade, downgrade, history, current and --sql).");

        var up = new Command("up", "Apply every pending migration (Alembic: upgrade head).");
        app.Handle(up, async context =>
        {
            var before = context.Migrator.ListMigrations();
            context.Migrator.MigrateUp();
            var applied = before.Where(m => !m.IsApplied).Select(m => m.Version).ToList();
            await ReportAsync(context, applied, "Applied", "The schema is up to date; nothing to apply.");
        });

        var steps = new Option<int?>("--steps") { Description = "Revert this many of the most recently applied migrations (Alembic: downgrade -N)." };
        var to = new Option<long?>("--to") { Description = "Revert every migration newer than this version; 0 removes the whole schema (Alembic: downgrade VERSION / base)." };
        var down = new Command("down", "Revert applied migrations: --steps N or --to VERSION (one of them).") { steps, to };
        app.Handle(down, async context =>
        {
            var (stepCount, version) = (context.Value(steps), context.Value(to));
            if ((stepCount is null) == (version is null))
            {
                throw new UsageException("migrate down needs exactly one of --steps N and --to VERSION.");
            }

            var before = context.Migrator.ListMigrations().Where(m => m.IsApplied).Select(m => m.Version).ToList();
            if (stepCount is { } n)
            {
                context.Migrator.Rollback(n);
            }
            else
            {
                context.Migrator.MigrateDownTo(version!.Value);
            }

            var after = context.Migrator.ListMigrations().Where(m => m.IsApplied).Select(m => m.Version).ToHashSet();
            await ReportAsync(context, before.Where(v => !after.Contains(v)).OrderDescending().ToList(), "Reverted", "Nothing to revert.");
        });

        var list = new Command("list", "List every migration the tool knows, oldest first, marking the applied ones (Alembic: history).");
        app.Handle(list, async context =>
        {
            var migrations = context.Migrator.ListMigrations();
            if (context.Json)
            {
                await context.JsonAsync(migrations.Select(m => new { m.Version, m.Description, applied = m.IsApplied }));
                return;
            }

            await context.TableAsync(
                ["VERSION", "APPLIED", "DESCRIPTION"],
                migrations.Select(m => new[] { Version(m.Version), m.IsApplied ? "yes" : "no", m.Description }));
        });

        var current = new Command("current", "Show the database's schema version and whether it matches this tool (Alembic: current). Exit code 5 when it does not.");
        app.Handle(current, async context =>
        {
            var migrations = context.Migrator.ListMigrations();
            var status = context.Migrator.CheckSchema();
            var applied = migrations.Where(m => m.IsApplied).Select(m => m.Version).Concat(status.Unknown).Order().ToList();
            long? version = applied.Count == 0 ? null : applied[^1];
            if (context.Json)
            {
                await context.JsonAsync(new { version, current = status.IsCurrent, missing = status.Missing, unknown = status.Unknown, head = migrations.Count == 0 ? (long?)null : migrations[^1].Version });
            }
            else
            {
                var state = status.IsCurrent ? "(head)"
                    : status.Unknown.Count > 0 ? $"(newer than this tool: unknown {string.Join(", ", status.Unknown.Select(Version))})"
                    : $"(behind: {status.Missing.Count} pending, run 'orderlib migrate up')";
                await context.Out.WriteLineAsync(version is { } v ? $"{Version(v)} {state}" : "none (empty database: run 'orderlib migrate up')");
            }

            if (!status.IsCurrent)
            {
                context.ExitCode = ExitCodes.Connection;
            }
        });

        var from = new Option<long?>("--from") { Description = "The version the database is at (default 0: an empty database)." };
        var scriptTo = new Option<long?>("--to") { Description = "The version to reach (default: the latest); lower than --from scripts a downgrade, 0 removes the schema." };
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "Write the script to this file instead of standard output." };
        var script = new Command(
            "script",
            "Write the SQL of the migrations, including the version-table rows, for a DBA to review and apply by hand; " +
            "needs no connection, only the provider and (PostgreSQL) the schema (Alembic: upgrade --sql).")
        { from, scriptTo, outputFile };
        app.Handle(script, async context =>
        {
            if (context.Migrator is not IOrderLibMigrationScripter scripter)
            {
                throw new UsageException("This store's migrator cannot write scripts.");
            }

            var sql = scripter.ScriptMigrations(context.Value(from) ?? 0, context.Value(scriptTo));
            if (context.Value(outputFile) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, sql, context.CancellationToken);
                await context.Error.WriteLineAsync($"Wrote {file.FullName}.");
            }
            else
            {
                await context.Out.WriteAsync(sql);
            }
        });

        migrate.Add(up);
        migrate.Add(down);
        migrate.Add(list);
        migrate.Add(current);
        migrate.Add(script);
        return migrate;
    }

    private static string Version(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static async Task ReportAsync(CliContext context, List<long> versions, string verb, string nothing)
    {
        if (context.Json)
        {
            await context.JsonAsync(new Dictionary<string, IReadOnlyList<long>> { [verb.ToLowerInvariant()] = versions });
            return;
        }

        await context.Out.WriteLineAsync(versions.Count == 0 ? nothing : $"{verb} {string.Join(", ", versions.Select(Version))}.");
    }
}
