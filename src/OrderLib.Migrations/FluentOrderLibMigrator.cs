using System.Globalization;
using System.Text;
using IMigrationInfo = FluentMigrator.Infrastructure.IMigrationInfo;
using FluentMigrator.Runner;
using FluentMigrator.Expressions;
using FluentMigrator.Runner.Conventions;
using FluentMigrator.Runner.Initialization;
using FluentMigrator.Runner.Logging;
using FluentMigrator.Runner.Processors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrderLib.Migrations.Versions;
using OrderLib.Ports;
using MigrationInfo = OrderLib.Ports.MigrationInfo;

namespace OrderLib.Migrations;

/// <summary>
/// <see cref="IOrderLibMigrator"/> over FluentMigrator. Every operation builds its own small service
/// container and scope (so the migrator is stateless and safe to share), reads the applied versions with a
/// connection of its own, and lets FluentMigrator apply or revert migrations, each in its own transaction.
/// </summary>
internal sealed class FluentOrderLibMigrator(MigrationTarget target) : IOrderLibMigrator, IOrderLibMigrationScripter
{
    /// <summary>How often <see cref="MigrateUp"/> tries while other migrators make progress on the same database.</summary>
    private const int MaxMigrateUpAttempts = 5;

    /// <inheritdoc />
    /// <remarks>
    /// Several hosts starting at once may migrate the same database. On PostgreSQL an advisory lock serialises them.
    /// SQLite has no such lock, so the loser of a race fails (e.g. "table already exists"); when the database's
    /// applied versions changed meanwhile, another migrator made progress and the attempt is repeated, applying
    /// whatever is still missing. A failure with no such progress is a real failure and is thrown at once.
    /// </remarks>
    public void MigrateUp()
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = new VersionState();
            try
            {
                Guarded("migrating the OrderLib schema up", () =>
                {
                    using var session = target.OpenSession(forMigrateUp: true);
                    before = VersionState.Of(session.ReadAppliedVersions());
                    RefuseNewerSchema(before.Applied);
                    Run((runner, _) => runner.MigrateUp());
                    session.AfterMigrateUp();
                });
                return;
            }
            catch (OrderLibMigrationException) when (attempt < MaxMigrateUpAttempts && AnotherMigratorMadeProgress(before))
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(50 * attempt));
            }
        }
    }

    /// <inheritdoc />
    public void MigrateDownTo(long version)
    {
        if (version < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "A migration version is never negative; 0 removes the whole schema.");
        }

        var known = KnownMigrations();
        if (version != 0 && !known.ContainsKey(version))
        {
            throw new ArgumentOutOfRangeException(
                nameof(version),
                version,
                $"{version} is not an OrderLib migration version. Known versions: {string.Join(", ", known.Keys)}; 0 removes the whole schema.");
        }

        Guarded($"migrating the OrderLib schema down to version {version}", () =>
        {
            using var session = target.OpenSession(forMigrateUp: false);
            var applied = session.ReadAppliedVersions();
            if (applied is null || applied.Count == 0)
            {
                return; // nothing applied, nothing to revert; and no version table gets created as a side effect
            }

            RefuseUnknownVersions(applied, known);
            Run((runner, services) =>
            {
                runner.MigrateDown(version);
                if (version == 0)
                {
                    // "0 removes the whole schema": the version table too, as FluentMigrator's Rollback does.
                    services.GetRequiredService<IVersionLoader>().RemoveVersionTable();
                }
            });
        });
    }

    /// <inheritdoc />
    public void Rollback(int steps)
    {
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "Roll back at least one migration.");
        }

        var known = KnownMigrations();
        Guarded($"rolling back {steps} OrderLib migration(s)", () =>
        {
            using var session = target.OpenSession(forMigrateUp: false);
            var applied = session.ReadAppliedVersions();
            if (applied is null || applied.Count == 0)
            {
                return;
            }

            RefuseUnknownVersions(applied, known);

            // FluentMigrator reverts the newest applied migrations and drops its version table when none is left.
            Run((runner, _) => runner.Rollback(steps));
        });
    }

    /// <inheritdoc />
    public IReadOnlyList<MigrationInfo> ListMigrations()
    {
        var known = KnownMigrations();
        IReadOnlySet<long> applied = new HashSet<long>();
        Guarded("reading the applied OrderLib migrations", () =>
        {
            using var session = target.OpenSession(forMigrateUp: false);
            applied = session.ReadAppliedVersions() ?? applied;
        });

        return known.Values
            .OrderBy(m => m.Version)
            .Select(m => new MigrationInfo(m.Version, m.Description ?? m.Migration.GetType().Name, applied.Contains(m.Version)))
            .ToList();
    }

    /// <inheritdoc />
    public SchemaStatus CheckSchema()
    {
        var known = KnownMigrations();
        IReadOnlySet<long> applied = new HashSet<long>();
        Guarded("reading the applied OrderLib migrations", () =>
        {
            using var session = target.OpenSession(forMigrateUp: false);
            applied = session.ReadAppliedVersions() ?? applied;
        });

        return SchemaStatus.Compare(known.Keys, applied);
    }

    /// <inheritdoc />
    /// <remarks>
    /// FluentMigrator's connectionless mode: <see cref="RunnerOptions.NoConnection"/> makes it use its
    /// <see cref="ConnectionlessVersionLoader"/>, which takes the migrations older than <see cref="RunnerOptions.StartVersion"/>
    /// as applied (here: those up to <paramref name="fromVersion"/>) and writes the version table's rows as statements;
    /// <see cref="ProcessorOptions.PreviewOnly"/> makes the processor log its statements instead of executing them, and the
    /// <see cref="SqlScriptFluentMigratorLoggerProvider"/> writes them out. The connectionless loader does not create the
    /// version table, so from an empty database the script first applies FluentMigrator's own version-table migrations, as
    /// its connected loader does on first use; on a downgrade to 0 it drops the table (but never the schema).
    /// </remarks>
    public string ScriptMigrations(long fromVersion, long? toVersion)
    {
        var known = KnownMigrations();
        RequireScriptVersion(fromVersion, known, nameof(fromVersion));
        var to = toVersion ?? (known.Count == 0 ? 0 : known.Keys[known.Count - 1]);
        RequireScriptVersion(to, known, nameof(toVersion));

        var statements = new StringWriter(CultureInfo.InvariantCulture);
        try
        {
            using var services = BuildServices(extra => extra
                .AddSingleton<ILoggerProvider>(new SqlScriptFluentMigratorLoggerProvider(
                    statements,
                    new SqlScriptFluentMigratorLoggerOptions { ShowSql = true, OutputSemicolonDelimiter = true }))
                .Configure<RunnerOptions>(options =>
                {
                    options.NoConnection = true;
                    options.StartVersion = fromVersion + 1; // the connectionless loader: versions below it are applied
                    options.Version = to;
                })
                .Configure<ProcessorOptions>(options => options.PreviewOnly = true));
            using var scope = services.CreateScope();
            var runner = scope.ServiceProvider.GetRequiredService<IMigrationRunner>();
            var loader = (ConnectionlessVersionLoader)scope.ServiceProvider.GetRequiredService<IVersionLoader>();
            if (to > fromVersion)
            {
                if (fromVersion == 0)
                {
                    runner.Up(loader.VersionMigration);
                    runner.Up(loader.VersionUniqueMigration);
                    runner.Up(loader.VersionDescriptionMigration);
                }

                runner.MigrateUp(to);
            }
            else if (to < fromVersion)
            {
                runner.MigrateDown(to);
                if (to == 0)
                {
                    var table = loader.VersionTableMetaData;
                    new DeleteTableExpression { TableName = table.TableName, SchemaName = table.SchemaName }.ExecuteWith(runner.Processor);
                }
            }
        }
        catch (Exception ex) when (ex is not OrderLibException)
        {
            throw new OrderLibMigrationException($"Scripting the OrderLib migrations from version {fromVersion} to {to} failed: {Innermost(ex).Message}", ex);
        }

        var script = new StringBuilder();
        script.Append(CultureInfo.InvariantCulture, $"-- OrderLib schema, {target.ProviderName}: from version {fromVersion} to {to}").Append('\n');
        script.Append("-- Generated offline by OrderLib's migrator (FluentMigrator, preview mode); review, then apply in one go.").Append('\n');
        if (to == fromVersion)
        {
            script.Append("-- Nothing to do: the versions are the same.").Append('\n');
            return script.ToString();
        }

        if (to > fromVersion)
        {
            foreach (var statement in target.ScriptPreparation)
            {
                script.Append(statement).Append('\n');
            }
        }

        script.Append("BEGIN;").Append('\n');
        foreach (var statement in target.ScriptSessionSetup)
        {
            script.Append(statement).Append('\n');
        }

        // The logger ends every statement with a semicolon; generated statements already have one: keep one.
        var lines = statements.ToString().ReplaceLineEndings("\n").TrimEnd('\n').Split('\n')
            .Select(line => line.EndsWith(";;", StringComparison.Ordinal) ? line[..^1] : line);
        script.AppendJoin('\n', lines).Append('\n');
        script.Append("COMMIT;").Append('\n');
        return script.ToString();
    }

    private static void RequireScriptVersion(long version, SortedList<long, IMigrationInfo> known, string paramName)
    {
        if (version != 0 && !known.ContainsKey(version))
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                version,
                $"{version} is not an OrderLib migration version. Known versions: {string.Join(", ", known.Keys)}; 0 is the empty database.");
        }
    }

    /// <summary>Refuses to migrate up a database that holds migrations this library does not know.</summary>
    private void RefuseNewerSchema(IReadOnlySet<long>? applied)
    {
        var known = KnownMigrations();
        var unknown = (applied ?? new HashSet<long>()).Where(v => !known.ContainsKey(v)).Order().ToList();
        if (unknown.Count > 0)
        {
            throw new OrderLibSchemaVersionException([], unknown);
        }
    }

    /// <summary>Every migration in this assembly, by version, as FluentMigrator discovers them.</summary>
    private SortedList<long, IMigrationInfo> KnownMigrations()
    {
        using var services = BuildServices();
        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<IMigrationInformationLoader>().LoadMigrations();
    }

    private void Run(Action<IMigrationRunner, IServiceProvider> action)
    {
        using var services = BuildServices();
        using var scope = services.CreateScope();
        action(scope.ServiceProvider.GetRequiredService<IMigrationRunner>(), scope.ServiceProvider);
    }

    private ServiceProvider BuildServices(Action<IServiceCollection>? extra = null)
    {
        var services = new ServiceCollection()
            .AddFluentMigratorCore() // logging: no provider is registered, so FluentMigrator stays silent
            .ConfigureRunner(runner =>
            {
                target.AddProcessor(runner);
                runner
                    .WithGlobalConnectionString(target.RunnerConnectionString)
                    .WithVersionTable(new OrderLibVersionTable(target.SchemaName))
                    .ScanIn(typeof(JobsDependenciesAndRuns).Assembly).For.Migrations();
            })
            .Configure<SelectingProcessorAccessorOptions>(options => options.ProcessorId = target.ProcessorId);

        // Registered after FluentMigrator's default so it wins: every table, index and key goes to the schema.
        services.AddScoped<IConventionSet>(_ => new DefaultConventionSet(
            string.IsNullOrEmpty(target.SchemaName) ? null : target.SchemaName,
            workingDirectory: null));

        extra?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>Refuses to revert anything while the database holds migrations this version of OrderLib
    /// does not know (applied by a newer version): reverting older ones underneath them would corrupt the schema.</summary>
    private static void RefuseUnknownVersions(IReadOnlySet<long> applied, SortedList<long, IMigrationInfo> known)
    {
        var unknown = applied.Where(v => !known.ContainsKey(v)).Order().ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                "The database has migrations applied that this version of OrderLib does not know: " +
                string.Join(", ", unknown.Select(v => v.ToString(CultureInfo.InvariantCulture))) +
                ". Revert them with the OrderLib version that applied them.");
        }
    }

    private bool AnotherMigratorMadeProgress(VersionState before)
    {
        if (!before.Known)
        {
            return false; // the attempt failed before it could even read the database
        }

        try
        {
            using var session = target.OpenSession(forMigrateUp: false);
            return !before.SameAs(VersionState.Of(session.ReadAppliedVersions()));
        }
#pragma warning disable CA1031 // the original failure is what gets reported when the database cannot be read either
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    // Runs a migrator operation: a database that cannot be reached or cannot serve now is OrderLibDatabaseUnavailableException
    // (classified by the target, as the stores classify theirs); any other failure is OrderLibMigrationException.
    private void Guarded(string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is not OrderLibException && target.IsUnavailable(ex))
        {
            throw new OrderLibDatabaseUnavailableException(target.ProviderName, ex);
        }
        catch (Exception ex) when (ex is not OrderLibException) // argument checks happen before, outside
        {
            throw new OrderLibMigrationException($"{char.ToUpperInvariant(what[0])}{what[1..]} failed: {Innermost(ex).Message}", ex);
        }
    }

    private static Exception Innermost(Exception ex)
    {
        // FluentMigrator wraps the database error in an exception whose message repeats the whole SQL text;
        // the message of the database's own exception is the useful part.
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    /// <summary>What the version table says, as read at one moment: whether it exists and which versions it lists.</summary>
    private readonly record struct VersionState(bool Known, IReadOnlySet<long>? Applied)
    {
        public static VersionState Of(IReadOnlySet<long>? applied) => new(true, applied);

        public bool SameAs(VersionState other) =>
            (Applied, other.Applied) switch
            {
                (null, null) => true,
                (null, _) or (_, null) => false,
                var (mine, theirs) => mine.SetEquals(theirs),
            };
    }
}
