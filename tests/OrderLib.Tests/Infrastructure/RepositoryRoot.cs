using NUnit.Framework;

namespace OrderLib.Tests.Infrastructure;

/// <summary>Finds the repository root: the nearest folder above the test assembly that holds <c>OrderLib.sln</c>.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository root, or null when the tests run outside a checkout.</summary>
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrderLib.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
