using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using Npgsql;
using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Packaging;

/// <summary>
/// The NuGet packages are complete: every project under src/ packs (Release, into a temporary folder feed, with its
/// symbols, README and XML docs, all at one version), and tests/consumer/OrderLib.Consumer — a host app outside the
/// solution that references the packages by id only — restores from that feed, builds, applies the migrations and runs a
/// pipeline with the hosted worker on SQLite and on PostgreSQL. A SQLite-only build of it brings no PostgreSQL driver.
/// The OrderLib.Cli package installs from the feed as a local dotnet tool, and its <c>orderlib</c> command works on SQLite.
/// <para>
/// Nothing is written inside the repository: the pack uses <c>--artifacts-path</c> (its own bin and obj) in a temporary
/// folder, the consumer is copied to that folder with a NuGet.config of its own, and its restore uses a private
/// global packages folder (so OrderLib packages of an earlier run, cached at the same version, can never be used),
/// filled from the machine's global packages folder and, for the rest, the machine's nuget.org source.
/// </para>
/// </summary>
[TestFixture]
[NonParallelizable] // packs and builds: two cores are better spent on it alone
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(8);

    private string _root = null!;
    private string _work = null!;
    private string _feed = null!;
    private string _version = null!;
    private string[] _shippingProjects = null!;
    private readonly Dictionary<bool, string> _consumers = [];

    [OneTimeSetUp]
    public async Task PackTheShippingProjects()
    {
        _root = RepositoryRoot.Find() ?? throw new IgnoreException("Not running from a checkout of the repository.");
        _work = Directory.CreateTempSubdirectory("orderlib-packaging-").FullName;
        _feed = Path.Combine(_work, "feed");
        _shippingProjects = Directory.GetDirectories(Path.Combine(_root, "src"))
            .Where(directory => File.Exists(Path.Combine(directory, Path.GetFileName(directory) + ".csproj")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToArray()!;

        // A solution filter of the src/ projects, so one `dotnet pack` builds them together (in parallel where it can).
        var filter = Path.Combine(_work, "packages.slnf");
        await File.WriteAllTextAsync(filter, JsonSerializer.Serialize(new
        {
            solution = new
            {
                path = Path.Combine(_root, "OrderLib.sln"),
                projects = _shippingProjects.Select(name => $"src\\{name}\\{name}.csproj").ToArray(),
            },
        }));

        var watch = Stopwatch.StartNew();
        await DotnetAsync(
            _work,
            "pack", filter, "-c", "Release", "-o", _feed, "--artifacts-path", Path.Combine(_work, "artifacts"),
            "-nodeReuse:false", "-p:RunAnalyzers=false"); // the solution build runs the analyzers; the pack needs none
        await TestContext.Progress.WriteLineAsync($"packed {_shippingProjects.Length} projects in {watch.Elapsed.TotalSeconds:F1} s");

        using var package = ZipFile.OpenRead(Path.Combine(_feed, Directory.GetFiles(_feed, "OrderLib.Domain.*.nupkg").Select(Path.GetFileName).Single()!));
        _version = Nuspec(package).Element("version")!.Value;
    }

    [OneTimeTearDown]
    public void DeleteTheWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public void Every_shipping_project_packs_with_its_symbols_at_the_family_version()
    {
        Assert.That(_shippingProjects, Does.Contain("OrderLib").And.Contain("OrderLib.Adapters.Sqlite").And.Contain("OrderLib.Testing"));
        Assert.Multiple(() =>
        {
            foreach (var id in _shippingProjects)
            {
                Assert.That(Path.Combine(_feed, $"{id}.{_version}.nupkg"), Does.Exist, id);
                Assert.That(Path.Combine(_feed, $"{id}.{_version}.snupkg"), Does.Exist, id);
            }

            Assert.That(Directory.GetFiles(_feed, "*.nupkg"), Has.Length.EqualTo(_shippingProjects.Length), "only the src/ projects are packable here");
        });
    }

    [Test]
    public void Each_package_carries_its_metadata_readme_xml_docs_and_symbols()
    {
        Assert.Multiple(() =>
        {
            foreach (var id in _shippingProjects)
            {
                using var package = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
                var nuspec = Nuspec(package);
                string? Field(string name) => nuspec.Element(name)?.Value;
                var entries = package.Entries.Select(entry => entry.FullName).ToHashSet(StringComparer.Ordinal);

                Assert.That(Field("id"), Is.EqualTo(id));
                Assert.That(Field("version"), Is.EqualTo(_version), id);
                Assert.That(Field("description"), Is.Not.Empty.And.Not.EqualTo("Package Description"), id);
                Assert.That(Field("tags"), Does.Contain("orderlib"), id);
                Assert.That(nuspec.Element("license")?.Attribute("type")?.Value, Is.EqualTo("expression"), id);
                Assert.That(Field("license"), Is.EqualTo("MIT"), id);
                Assert.That(Field("projectUrl"), Does.StartWith("https://"), id);
                Assert.That(nuspec.Element("repository")?.Attribute("url")?.Value, Does.StartWith("https://"), id);
                Assert.That(entries, Does.Contain("README.md"), id);
                Assert.That(Field("readme"), Is.EqualTo("README.md"), $"{id}: src/{id}/PACKAGE.md is packed as README.md");
                var isTool = nuspec.Element("packageTypes")?.Elements().Any(type => (string?)type.Attribute("name") == "DotnetTool") == true;
                if (!isTool)
                {
                    // A library: its assembly and XML docs (a .NET tool's package holds a program under tools/ instead).
                    Assert.That(entries, Does.Contain($"lib/net10.0/{id}.dll"), id);
                    Assert.That(entries, Does.Contain($"lib/net10.0/{id}.xml"), $"{id}: XML docs");
                }

                var readme = entries.Contains("README.md") ? Read(package, "README.md") : "";
                Assert.That(readme, Does.StartWith($"# {id}"), $"{id}: README title");
                Assert.That(readme, Does.Contain("```"), $"{id}: README shows a use");

                using var symbols = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.snupkg"));
                Assert.That(symbols.Entries.Select(entry => entry.FullName), Has.Some.EndsWith(".pdb"), $"{id}: symbols");
            }
        });
    }

    [Test]
    [CancelAfter(600_000)]
    public async Task A_sqlite_only_consumer_builds_from_the_packages_runs_its_pipeline_and_brings_no_postgres_driver(CancellationToken cancellationToken)
    {
        var output = await BuildConsumerAsync(postgres: false, cancellationToken);

        var libraries = DepsLibraries(output);
        var restored = RestoredLibraries(output);
        Assert.Multiple(() =>
        {
            foreach (var expected in new[] { "OrderLib.Adapters.Sqlite", "OrderLib", "OrderLib.Adapters.Relational", "OrderLib.Migrations", "OrderLib.Ports", "OrderLib.Domain", "Microsoft.Data.Sqlite" })
            {
                Assert.That(libraries, Does.Contain(expected), "deps.json");
            }

            foreach (var unwanted in new[] { "Npgsql", "FluentMigrator.Runner.Postgres", "OrderLib.Adapters.Postgres" })
            {
                Assert.That(libraries, Does.Not.Contain(unwanted), "deps.json");
                Assert.That(restored, Does.Not.Contain(unwanted), "project.assets.json");
            }

            Assert.That(Path.Combine(output, "OrderLib.Domain.dll"), Does.Exist);
            Assert.That(Path.Combine(output, "OrderLib.Adapters.Sqlite.dll"), Does.Exist);
        });

        var run = await RunConsumerAsync(output, databaseUrl: null, cancellationToken);
        Assert.That(run, Does.Contain("OrderLib uses the Sqlite store").And.Contain("OrderLib: applied").And.Contain("Pipeline succeeded"));
    }

    [Test]
    [CancelAfter(600_000)]
    public async Task The_consumer_with_both_adapters_runs_its_pipeline_on_sqlite_and_on_postgres(CancellationToken cancellationToken)
    {
        var output = await BuildConsumerAsync(postgres: true, cancellationToken);
        Assert.That(DepsLibraries(output), Does.Contain("OrderLib.Adapters.Postgres").And.Contain("Npgsql"));

        var onSqlite = await RunConsumerAsync(output, databaseUrl: null, cancellationToken);
        Assert.That(onSqlite, Does.Contain("OrderLib uses the Sqlite store").And.Contain("Pipeline succeeded"));

        // The test run's PostgreSQL server; ignored (failed when CI=true) when there is none.
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        try
        {
            var onPostgres = await RunConsumerAsync(output, DatabaseUrl(connectionString), cancellationToken);
            Assert.That(onPostgres, Does.Contain("OrderLib uses the Postgres store").And.Contain("OrderLib: applied").And.Contain("Pipeline succeeded"));
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(connectionString);
        }
    }

    [Test]
    [CancelAfter(600_000)]
    public async Task The_cli_installs_from_the_feed_as_a_local_dotnet_tool_whose_orderlib_command_migrates_and_manages_jobs(CancellationToken cancellationToken)
    {
        // As docs/cli.md installs it: a fresh folder with no NuGet.config of its own, the feed given by --add-source beside
        // the machine's configured sources. A private global packages folder (NUGET_PACKAGES, for the install and every
        // run) so an OrderLib.Cli of an earlier run, cached at the same version, can never be used; a private CLI home.
        var folder = Directory.CreateDirectory(Path.Combine(_work, "tool-user")).FullName;
        var packages = Path.Combine(_work, "tool-packages");
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages, ["DOTNET_CLI_HOME"] = PrivateCliHome() };
        Task<string> Dotnet(params string[] arguments) => DotnetAsync(folder, environment, cancellationToken, arguments);

        await Dotnet("new", "tool-manifest");
        await Dotnet("tool", "install", "--local", "OrderLib.Cli", "--version", _version, "--add-source", _feed);
        // The package as NuGet keeps it (orderlib.cli/<version>/orderlib.cli.<version>.nupkg, lower case), beside the tool's own files.
        var installed = Directory.GetFiles(
            Path.Combine(packages, "orderlib.cli"),
            $"orderlib.cli.{_version}.nupkg",
            new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseInsensitive }).Single();
        Assert.That(await File.ReadAllBytesAsync(installed, cancellationToken), Is.EqualTo(await File.ReadAllBytesAsync(Path.Combine(_feed, $"OrderLib.Cli.{_version}.nupkg"), cancellationToken)), "the package installed is the one just packed");
        Assert.That(await Dotnet("tool", "list", "--local"), Does.Contain("orderlib.cli").And.Contain(_version).And.Contain("orderlib"));

        // `dotnet tool run orderlib --help` would show dotnet tool run's own help: `--` hands --help to the tool.
        var help = await Dotnet("tool", "run", "orderlib", "--", "--help");
        Assert.That(help, Does.Contain("orderlib [command] [options]").And.Contain("migrate").And.Contain("jobs").And.Contain("--database-url"));

        string[] database = ["--database-url", "sqlite:///" + Path.Combine(folder, "orderlib.db")]; // sqlite:////absolute/path
        Assert.That(await Dotnet(["orderlib", "migrate", "up", .. database]), Does.StartWith("Applied "));
        Assert.That((await Dotnet(["orderlib", "migrate", "current", .. database])).Trim(), Does.EndWith("(head)"));
        await Dotnet(["orderlib", "jobs", "create", "extract", "--description", "installed as a tool", .. database]);
        using var listed = JsonDocument.Parse(await Dotnet(["orderlib", "jobs", "list", "--json", .. database]));
        Assert.That(
            listed.RootElement.GetProperty("items").EnumerateArray().Select(job => (job.GetProperty("name").GetString(), job.GetProperty("description").GetString())),
            Is.EqualTo(new[] { ("extract", "installed as a tool") }),
            "jobs list --json: the job created, and nothing else on standard output or error");
    }

    /// <summary>
    /// Copies the consumer to a folder of its own beside the feed, with a NuGet.config naming the feed, and builds it
    /// in Release against the packages of the family version; returns its output folder.
    /// </summary>
    private async Task<string> BuildConsumerAsync(bool postgres, CancellationToken cancellationToken)
    {
        if (_consumers.TryGetValue(postgres, out var built))
        {
            return built;
        }

        var source = Path.Combine(_root, "tests", "consumer", "OrderLib.Consumer");
        var project = Path.Combine(_work, postgres ? "consumer-full" : "consumer-sqlite");
        Directory.CreateDirectory(project);
        foreach (var file in new[] { "OrderLib.Consumer.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(source, file), Path.Combine(project, file));
        }

        await File.WriteAllTextAsync(Path.Combine(project, "NuGet.config"), NuGetConfig(), cancellationToken);

        var watch = Stopwatch.StartNew();
        await DotnetAsync(
            project,
            "build", "-c", "Release", "-nodeReuse:false",
            $"-p:OrderLibVersion={_version}",
            $"-p:OrderLibPostgres={(postgres ? "true" : "false")}",
            $"-p:RestorePackagesPath={Path.Combine(_work, "packages")}");
        await TestContext.Progress.WriteLineAsync($"built the consumer ({(postgres ? "both adapters" : "SQLite only")}) in {watch.Elapsed.TotalSeconds:F1} s");

        var output = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.That(Path.Combine(output, "OrderLib.Consumer.dll"), Does.Exist);
        _consumers[postgres] = output;
        return output;
    }

    /// <summary>
    /// The OrderLib packages from the feed only (source mapping); every other package from the machine's global
    /// packages folder, used as a local source, or else from its nuget.org source.
    /// </summary>
    private string NuGetConfig()
    {
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var sources = new XElement("packageSources",
            new XElement("add", new XAttribute("key", "orderlib-feed"), new XAttribute("value", _feed)));
        var mapping = new XElement("packageSourceMapping",
            new XElement("packageSource", new XAttribute("key", "orderlib-feed"),
                new XElement("package", new XAttribute("pattern", "OrderLib")),
                new XElement("package", new XAttribute("pattern", "OrderLib.*"))),
            new XElement("packageSource", new XAttribute("key", "nuget.org"),
                new XElement("package", new XAttribute("pattern", "*"))));
        if (Directory.Exists(globalPackages))
        {
            sources.Add(new XElement("add", new XAttribute("key", "machine-packages"), new XAttribute("value", globalPackages)));
            mapping.Add(new XElement("packageSource", new XAttribute("key", "machine-packages"),
                new XElement("package", new XAttribute("pattern", "*"))));
        }

        return new XDocument(new XElement("configuration", sources, mapping)).ToString();
    }

    /// <summary>
    /// A CLI home of the test's own (for <c>DOTNET_CLI_HOME</c>): the local tool resolver cache, which maps a tool's id and
    /// version to its files, is kept there, not in the user's <c>~/.dotnet</c>, where an entry of an earlier run would
    /// point at that run's deleted packages folder (and <c>dotnet tool run</c> would refuse the tool). NuGet reads its
    /// user configuration from that home too, so the user's (<c>.nuget/NuGet/</c>) is copied there: the machine's
    /// configured sources stay in use.
    /// </summary>
    private string PrivateCliHome()
    {
        var home = Path.Combine(_work, "cli-home");
        var userHome = Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") is { Length: > 0 } configured
            ? configured
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var userConfiguration = Path.Combine(userHome, ".nuget", "NuGet");
        var configuration = Directory.CreateDirectory(Path.Combine(home, ".nuget", "NuGet")).FullName;
        foreach (var file in Directory.Exists(userConfiguration) ? Directory.GetFiles(userConfiguration) : [])
        {
            File.Copy(file, Path.Combine(configuration, Path.GetFileName(file)));
        }

        return home;
    }

    /// <summary>Runs the built consumer in an empty working folder; returns its output after asserting it exited 0.</summary>
    private async Task<string> RunConsumerAsync(string output, string? databaseUrl, CancellationToken cancellationToken)
    {
        var workingDirectory = Directory.CreateDirectory(Path.Combine(_work, "run-" + Guid.NewGuid().ToString("N")[..8]));
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl };
        return await DotnetAsync(workingDirectory.FullName, environment, cancellationToken, Path.Combine(output, "OrderLib.Consumer.dll"));
    }

    private static string DatabaseUrl(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = Uri.EscapeDataString(builder.Username ?? "postgres");
        var password = string.IsNullOrEmpty(builder.Password) ? "" : ":" + Uri.EscapeDataString(builder.Password);
        return string.Create(CultureInfo.InvariantCulture, $"postgresql://{user}{password}@{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database!)}");
    }

    private static HashSet<string> DepsLibraries(string output)
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "OrderLib.Consumer.deps.json")));
        return deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every package of the consumer's restore graph (obj/project.assets.json).</summary>
    private static HashSet<string> RestoredLibraries(string output)
    {
        var assets = Path.Combine(output, "..", "..", "..", "obj", "project.assets.json");
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        return document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = entry.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return WithoutNamespace(metadata);
    }

    /// <summary>The element with its descendants' names stripped of their namespace, so fields are found by local name.</summary>
    private static XElement WithoutNamespace(XElement element) =>
        new(
            element.Name.LocalName,
            element.Attributes().Where(attribute => !attribute.IsNamespaceDeclaration),
            element.HasElements ? element.Elements().Select(WithoutNamespace) : element.Value);

    private static string Read(ZipArchive package, string name)
    {
        using var reader = new StreamReader(package.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Runs dotnet with the arguments, within <see cref="CommandTimeout"/>, and fails with its output when it does not exit 0.</summary>
    private static async Task DotnetAsync(string workingDirectory, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await DotnetAsync(workingDirectory, new Dictionary<string, string?>(), timeout.Token, arguments);
    }

    /// <summary>Runs dotnet with the arguments and the environment variables; returns its output (standard output and error) after asserting it exited 0.</summary>
    private static async Task<string> DotnetAsync(
        string workingDirectory, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken, params string[] arguments)
    {
        var (exitCode, log) = await StartAsync(workingDirectory, environment, cancellationToken, arguments);
        Assert.That(exitCode, Is.Zero, $"dotnet {string.Join(' ', arguments)}\n{log}");
        return log;
    }

    /// <summary>
    /// Runs <c>dotnet</c> through <c>/bin/sh</c> with its output sent to a file, not a pipe: the build servers a build
    /// may leave running inherit no handle the test waits on. Variables the test host set for its own MSBuild are
    /// removed, so the child picks its SDK as a shell would.
    /// </summary>
    private static async Task<(int ExitCode, string Log)> StartAsync(
        string workingDirectory, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken, params string[] arguments)
    {
        var log = Path.Combine(workingDirectory, $"dotnet-{Guid.NewGuid():N}.log");
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet \"$@\" >\"$ORDERLIB_CHILD_LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add("sh");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(IsTestHostVariable).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ORDERLIB_CHILD_LOG"] = log;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = File.Exists(log) ? await File.ReadAllTextAsync(log, CancellationToken.None) : "";
        File.Delete(log);
        return (process.ExitCode, text);
    }

    private static bool IsTestHostVariable(string name) =>
        name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DATABASE_URL", StringComparison.OrdinalIgnoreCase);
}
