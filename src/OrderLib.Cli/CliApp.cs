using System.CommandLine;
using Microsoft.Extensions.Options;
using OrderLib.Cli.Commands;

namespace OrderLib.Cli;

/// <summary>Builds the command tree and runs one command line: parse errors are usage errors (exit code 2), a command's
/// exception becomes one line on standard error and the exit code <see cref="ExitCodes.For"/> gives it.</summary>
internal static class CliApp
{
    /// <summary>Runs <paramref name="args"/>, writing results to <paramref name="output"/> and errors to <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var globals = new GlobalOptions();
        var root = BuildRoot(globals, output, error);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, like every other error.
            var messages = string.Join(" ", parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ").Trim()));
            await error.WriteLineAsync($"orderlib: {messages} See 'orderlib --help' (or '<command> --help').");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private static RootCommand BuildRoot(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var root = new RootCommand(
            "orderlib: migrate OrderLib's schema, manage jobs, dependencies and runs, read the run history. " +
            "Connect with --database-url (or DATABASE_URL), or --provider and --connection.");
        globals.AddTo(root);
        var app = new CommandRunner(globals, output, error);
        root.Add(MigrateCommands.Build(app));
        root.Add(JobCommands.Build(app));
        root.Add(DependencyCommands.Build(app));
        root.Add(RunCommands.Build(app));
        root.Add(PipelineCommands.Build(app));
        foreach (var command in HistoryCommands.Build(app))
        {
            root.Add(command);
        }

        root.Add(ImportCommand.Build(app));
        return root;
    }
}

/// <summary>The options every command takes (recursive: they may follow any verb).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> DatabaseUrl { get; } = new("--database-url")
    {
        Description = "The database as a URL: postgresql://user:pass@host:5432/db or sqlite:///relative.db / sqlite:////absolute.db (default: the DATABASE_URL environment variable).",
        Recursive = true,
    };

    public Option<string?> Provider { get; } = new("--provider")
    {
        Description = "The store, with --connection instead of a URL: sqlite or postgres.",
        Recursive = true,
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "The ADO.NET connection string, with --provider (e.g. \"Data Source=app.db\", \"Host=db;Database=app;Username=app\").",
        Recursive = true,
    };

    public Option<string?> Schema { get; } = new("--schema")
    {
        Description = "PostgreSQL: the schema that holds OrderLib's tables (default: public).",
        Recursive = true,
    };

    public Option<string?> Client { get; } = new("--client")
    {
        Description = "The client (tenant) to work for (default: default).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write results as JSON (stable camelCase property names) instead of tables.",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On an error, also write the exception's details and stack trace.",
        Recursive = true,
    };

    public GlobalOptions() => Provider.AcceptOnlyFromAmong("sqlite", "postgres");

    public void AddTo(Command command)
    {
        command.Add(DatabaseUrl);
        command.Add(Provider);
        command.Add(Connection);
        command.Add(Schema);
        command.Add(Client);
        command.Add(Json);
        command.Add(Verbose);
    }
}

/// <summary>Runs a command's body with its <see cref="CliContext"/> and turns what it throws into an exit code and one line on standard error.</summary>
internal sealed class CommandRunner(GlobalOptions globals, TextWriter output, TextWriter error)
{
    public GlobalOptions Globals => globals;

    /// <summary>Makes <paramref name="body"/> the action of <paramref name="command"/>.</summary>
    public void Handle(Command command, Func<CliContext, Task> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task> body, CancellationToken cancellationToken)
    {
        await using var context = new CliContext(parse, globals, output, error, cancellationToken);
        try
        {
            await body(context);
            return context.ExitCode;
        }
#pragma warning disable CA1031 // every failure becomes an exit code and a message: that is this method's purpose
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var code = ex is OptionsValidationException ? ExitCodes.Usage : ExitCodes.For(ex);
            await error.WriteLineAsync($"orderlib: {Describe(ex)}");
            if (parse.GetValue(globals.Verbose))
            {
                await error.WriteLineAsync(ex.ToString());
            }

            return code;
        }
    }

    private static string Describe(Exception ex)
    {
        var message = ex.Message.ReplaceLineEndings(" ").Trim();
        return ex switch
        {
            OperationCanceledException => "cancelled.",
            OrderLibSchemaVersionException { MissingVersions.Count: > 0, UnknownVersions.Count: 0 } => $"{message} With this tool: orderlib migrate up.",
            OrderLibDatabaseUnavailableException => message,
            OrderLibException => message,
            ArgumentException argument when argument.ParamName is not null => message,
            _ when ex.InnerException is { } inner && !message.Contains(inner.Message, StringComparison.Ordinal) => $"{message} ({inner.Message.ReplaceLineEndings(" ").Trim()})",
            _ => message,
        };
    }
}
