namespace OrderLib.Cli;

/// <summary>The tool's exit codes (docs/cli.md lists them): each kind of failure has its own, so scripts can tell them apart.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected error (a bug, or an error OrderLib does not classify): the message says what; <c>--verbose</c> shows the stack trace.</summary>
    public const int Error = 1;

    /// <summary>The command line is wrong, or a value breaks one of OrderLib's rules (<see cref="OrderLibValidationException"/>).</summary>
    public const int Usage = 2;

    /// <summary>The job, run, dependency or pipeline run named does not exist (for this client).</summary>
    public const int NotFound = 3;

    /// <summary>OrderLib refused the operation: a cycle, a duplicate, a job that has dependents or an active run, an illegal run transition...</summary>
    public const int Refused = 4;

    /// <summary>No database to work with: it cannot be reached, the connection settings are missing or malformed, or its schema
    /// version does not match this tool (<see cref="OrderLibDatabaseUnavailableException"/>, <see cref="OrderLibConfigurationException"/>,
    /// <see cref="OrderLibSchemaVersionException"/>).</summary>
    public const int Connection = 5;

    /// <summary>A migration failed (<see cref="OrderLibMigrationException"/>); it was rolled back.</summary>
    public const int MigrationFailed = 6;

    /// <summary>The exit code for an exception a command let through.</summary>
    public static int For(Exception exception) => exception switch
    {
        OrderLibValidationException or UsageException or ArgumentException or Import.ImportSourceUrlException => Usage,
        JobNotFoundException or RunNotFoundException or DependencyNotFoundException or PipelineRunNotFoundException or NotFoundException => NotFound,
        OrderLibDatabaseUnavailableException or OrderLibConfigurationException or OrderLibSchemaVersionException or Import.ImportSourceUnavailableException => Connection,
        OrderLibMigrationException => MigrationFailed,
        OrderLibException => Refused,
        _ => Error,
    };
}

/// <summary>The command line asks for something that cannot be done as asked (exit code <see cref="ExitCodes.Usage"/>).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Something the tool looked up does not exist (exit code <see cref="ExitCodes.NotFound"/>).</summary>
internal sealed class NotFoundException(string message) : Exception(message);
