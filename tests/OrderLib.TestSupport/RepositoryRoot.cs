namespace OrderLib.TestSupport;

/// <summary>Finds the repository root: the nearest folder above the running assembly (a test assembly's output folder) that holds <c>OrderLib.sln</c>.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository root, or null when the assembly runs outside a checkout.</summary>
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrderLib.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
