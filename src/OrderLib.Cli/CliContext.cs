using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Import;
using OrderLib.Ports;

namespace OrderLib.Cli;

/// <summary>
/// What one command works with: the parsed command line, the output, and the library, connected on first use the way a
/// host connects (<c>AddOrderLib(configuration, providers =&gt; providers.AddSqlite().AddPostgres())</c>, so
/// <c>DATABASE_URL</c> is read by the library's own parser). No hosted service is started.
/// </summary>
internal sealed class CliContext(ParseResult parse, GlobalOptions globals, TextWriter output, TextWriter error, CancellationToken cancellationToken) : IAsyncDisposable
{
    private ServiceProvider? _services;

    public ParseResult Parse => parse;

    public TextWriter Out => output;

    public TextWriter Error => error;

    public CancellationToken CancellationToken => cancellationToken;

    public bool Json => parse.GetValue(globals.Json);

    /// <summary>The exit code of a command that completed; <see cref="ExitCodes.Ok"/> unless the command sets another.</summary>
    public int ExitCode { get; set; } = ExitCodes.Ok;

    /// <summary>The library for the configured client.</summary>
    public IOrderLib OrderLib => Services.GetRequiredService<IOrderLib>();

    /// <summary>The importer of Python Order-lib databases, writing into the connected database.</summary>
    public OrderLibImporter Importer => Services.GetRequiredService<OrderLibImporter>();

    /// <summary>The <c>--client</c> given on the command line, or null when none was.</summary>
    public string? ClientGiven => parse.GetValue(globals.Client);

    /// <summary>The store's migrator.</summary>
    public IOrderLibMigrator Migrator => Services.GetService<IOrderLibMigrator>()
        ?? throw new UsageException("This store has no schema to migrate.");

    /// <summary>The current time, for options given relative to now.</summary>
    public static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    public T Value<T>(Option<T> option) => parse.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => parse.GetValue(argument)!;

    private ServiceProvider Services => _services ??= Connect();

    /// <summary>The job <paramref name="reference"/> names: all digits is an id, anything else a name.</summary>
    /// <exception cref="JobNotFoundException">The client has no such job.</exception>
    public async Task<Job> JobAsync(string reference)
    {
        var text = reference.Trim();
        if (text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return await OrderLib.Jobs.GetAsync(new JobId(id), cancellationToken);
        }

        return await OrderLib.Jobs.GetByNameAsync(reference, cancellationToken);
    }

    /// <summary>A run id from the command line.</summary>
    public static RunId RunId(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? new RunId(id)
            : throw new UsageException($"'{text}' is not a run id (a positive whole number).");

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    private ServiceProvider Connect()
    {
        var settings = new Dictionary<string, string?>();
        var url = parse.GetValue(globals.DatabaseUrl);
        var provider = parse.GetValue(globals.Provider);
        var connection = parse.GetValue(globals.Connection);
        if (url is not null && (provider is not null || connection is not null))
        {
            throw new UsageException("Give either --database-url or --provider with --connection, not both.");
        }

        if (provider is not null || connection is not null)
        {
            if (provider is null || connection is null)
            {
                throw new UsageException("--provider and --connection go together: give both (or --database-url instead).");
            }

            settings["OrderLib:Provider"] = provider == "sqlite" ? DatabaseUrl.Sqlite : DatabaseUrl.Postgres;
            settings["ConnectionStrings:OrderLib"] = connection;
        }
        else
        {
            settings["DATABASE_URL"] = url ?? Environment.GetEnvironmentVariable("DATABASE_URL");
            if (string.IsNullOrWhiteSpace(settings["DATABASE_URL"]))
            {
                throw new OrderLibConfigurationException("No database given: pass --database-url, set DATABASE_URL, or pass --provider with --connection.");
            }
        }

        if (parse.GetValue(globals.Schema) is { } schema)
        {
            settings["OrderLib:Schema"] = schema;
        }

        if (parse.GetValue(globals.Client) is { } client)
        {
            settings["OrderLib:DefaultClientId"] = client;
        }

        // Notifications stay at the default (Listen): a run the tool makes ready sends a NOTIFY that wakes workers
        // elsewhere; the tool itself never subscribes, so it opens no LISTEN connection.
        settings["OrderLib:ApplyMigrationsAtStartup"] = "false";

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOrderLib(configuration, providers => providers.AddSqlite().AddPostgres()).AddImport();
        return services.BuildServiceProvider();
    }
}
