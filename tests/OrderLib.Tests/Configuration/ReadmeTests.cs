using OrderLib.Tests.Infrastructure;

namespace OrderLib.Tests.Configuration;

/// <summary>The README's quick start is a real program: the one in samples/OrderLib.QuickStart, which the build compiles and PackageDependencyTests runs.</summary>
public sealed class ReadmeTests
{
    private const string Marker = "<!-- quick start: samples/OrderLib.QuickStart/Program.cs -->";

    [Test]
    public void The_quick_start_in_the_README_is_the_QuickStart_sample_verbatim()
    {
        var root = RepositoryRoot.Find() ?? throw new InvalidOperationException("The repository root was not found.");
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", "OrderLib.QuickStart", "Program.cs")).ReplaceLineEndings("\n");

        var marker = readme.IndexOf(Marker, StringComparison.Ordinal);
        Assert.That(marker, Is.GreaterThanOrEqualTo(0), "README.md marks its quick start block");
        var start = readme.IndexOf("```csharp\n", marker, StringComparison.Ordinal) + "```csharp\n".Length;
        var end = readme.IndexOf("\n```", start, StringComparison.Ordinal);
        Assert.That(readme[start..end], Is.EqualTo(program.TrimEnd()));
    }

    [Test]
    public void The_quick_start_needs_one_using_of_OrderLib_besides_the_generic_host()
    {
        var root = RepositoryRoot.Find() ?? throw new InvalidOperationException("The repository root was not found.");
        var usings = File.ReadAllLines(Path.Combine(root, "samples", "OrderLib.QuickStart", "Program.cs"))
            .Where(line => line.StartsWith("using ", StringComparison.Ordinal) && !line.StartsWith("using var ", StringComparison.Ordinal))
            .ToArray();
        Assert.That(usings.Where(line => line.Contains("OrderLib", StringComparison.Ordinal)), Is.EqualTo(new[] { "using OrderLib;" }));
        Assert.That(usings.Where(line => !line.Contains("OrderLib", StringComparison.Ordinal)), Is.All.StartsWith("using Microsoft.Extensions."));
    }
}
