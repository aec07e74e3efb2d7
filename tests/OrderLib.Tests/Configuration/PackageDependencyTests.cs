using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace OrderLib.Tests.Configuration;

/// <summary>
/// The SQLite-only host app (samples/OrderLib.QuickStart) pulls in no PostgreSQL package and runs. The test project
/// references it without its assembly, so it is built, in the same configuration, before these tests run.
/// </summary>
public sealed class PackageDependencyTests
{
    private static readonly string Configuration =
        typeof(PackageDependencyTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string OutputDirectory()
    {
        var root = RepositoryRoot.Find();
        if (root is null)
        {
            Assert.Ignore("Not running from a checkout of the repository.");
        }

        var directory = Path.Combine(root!, "samples", "OrderLib.QuickStart", "bin", Configuration, "net10.0");
        Assert.That(Path.Combine(directory, "OrderLib.QuickStart.deps.json"), Does.Exist, "the test project builds OrderLib.QuickStart first");
        return directory;
    }

    /// <summary>The library names (without versions) listed in OrderLib.QuickStart.deps.json.</summary>
    private static HashSet<string> Libraries()
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(OutputDirectory(), "OrderLib.QuickStart.deps.json")));
        return deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    [Test]
    public void The_sqlite_quick_start_brings_the_sqlite_adapter_and_no_postgres_package()
    {
        var libraries = Libraries();
        Assert.Multiple(() =>
        {
            Assert.That(libraries, Does.Contain("OrderLib.Adapters.Sqlite"));
            Assert.That(libraries, Does.Contain("Microsoft.Data.Sqlite"));
            Assert.That(libraries, Does.Not.Contain("Npgsql"));
            Assert.That(libraries, Does.Not.Contain("FluentMigrator.Runner.Postgres"));
            Assert.That(libraries, Does.Not.Contain("OrderLib.Adapters.Postgres"));
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_quick_start_runs_in_an_empty_directory(CancellationToken cancellationToken)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("orderlib-quickstart-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(OutputDirectory(), "OrderLib.QuickStart.dll"));
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.Multiple(() =>
            {
                Assert.That(process.ExitCode, Is.Zero, $"{output.Result}\n{error.Result}");
                Assert.That(output.Result, Does.Contain("OrderLib: applied").And.Contain("extract: run").And.Contain("load: run"));
                Assert.That(Path.Combine(workingDirectory, "quickstart.db"), Does.Exist);
            });
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(workingDirectory, recursive: true);
        }
    }
}
