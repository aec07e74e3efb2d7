using System.Globalization;
using NUnit.Framework;

namespace OrderLib.Tests;

/// <summary>
/// Assembly-wide set-up fixture (it sits in the root namespace, so it covers every test): stops the throwaway
/// PostgreSQL cluster after the run and records how many PostgreSQL databases the tests created in
/// <c>TestResults/postgres-databases-created.txt</c> at the repository root, so CI can prove that the PostgreSQL
/// tests ran rather than skipped.
/// </summary>
[SetUpFixture]
public sealed class PostgresServerLifetime
{
    /// <summary>The file, relative to the repository root, that receives the count.</summary>
    public const string CountFile = "TestResults/postgres-databases-created.txt";

    [OneTimeSetUp]
    public void RemoveStaleCount()
    {
        // A count left by an earlier run must not vouch for this one.
        var file = CountFilePath();
        if (file is not null && File.Exists(file))
        {
            File.Delete(file);
        }
    }

    [OneTimeTearDown]
    public void StopServerAndRecordCount()
    {
        try
        {
            PostgresServer.Stop();
        }
        finally
        {
            var file = CountFilePath();
            if (file is null)
            {
                TestContext.Progress.WriteLine($"No OrderLib.sln above {TestContext.CurrentContext.TestDirectory}; {CountFile} not written.");
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, PostgresServer.DatabasesCreated.ToString(CultureInfo.InvariantCulture) + "\n");
            }
        }
    }

    private static string? CountFilePath()
    {
        var root = RepositoryRoot.Find();
        return root is null ? null : Path.Combine(root, CountFile);
    }
}
