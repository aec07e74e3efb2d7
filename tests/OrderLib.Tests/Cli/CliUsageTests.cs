namespace OrderLib.Tests.Cli;

/// <summary>The tool's help, usage errors and connection failures: no database needed.</summary>
[TestFixture]
public sealed class CliUsageTests
{
    [Test]
    public async Task Help_usage_errors_and_connection_failures_have_their_exit_codes_and_one_line_messages()
    {
        var help = await CliProcess.RunAsync("--help");
        Assert.That(help.ExitCode, Is.EqualTo(0), help.ToString());
        Assert.That(help.Output, Does.Contain("migrate").And.Contains("jobs").And.Contains("runs").And.Contains("--database-url"));
        var jobsHelp = await CliProcess.RunAsync("jobs", "create", "--help");
        Assert.That(jobsHelp.Output, Does.Contain("--max-attempts").And.Contains("--schedule"));

        var unknown = await CliProcess.RunAsync("frobnicate");
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(unknown.Error, Does.StartWith("orderlib: ").And.Contains("frobnicate").And.Contains("--help"));
        var noVerb = await CliProcess.RunAsync("jobs");
        Assert.That(noVerb.ExitCode, Is.EqualTo(2), noVerb.ToString());
        var down = await CliProcess.RunAsync("migrate", "down", "--database-url", "sqlite:///unused.db");
        Assert.That((down.ExitCode, down.Error.Trim()), Is.EqualTo((2, "orderlib: migrate down needs exactly one of --steps N and --to VERSION.")));

        // Unreachable, malformed, missing: connection failures, one line each, no stack trace unless --verbose.
        var unreachable = await CliProcess.RunAsync("jobs", "list", "--database-url", "postgresql://nobody:secret@127.0.0.1:1/none");
        Assert.That(unreachable.ExitCode, Is.EqualTo(5), unreachable.ToString());
        Assert.That(unreachable.Error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(unreachable.Error, Does.Contain("unavailable").And.Not.Contain("secret"));
        var malformed = await CliProcess.RunAsync("jobs", "list", "--database-url", "mysql://host/db");
        Assert.That(malformed.ExitCode, Is.EqualTo(5), malformed.ToString());
        Assert.That(malformed.Error, Does.Contain("not supported"));
        var fromEnvironment = await CliProcess.RunAsync(new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none" }, "jobs", "list", "--verbose");
        Assert.That(fromEnvironment.ExitCode, Is.EqualTo(5), fromEnvironment.ToString());
        Assert.That(fromEnvironment.Error, Does.Contain("   at "), "--verbose adds the stack trace");
        var missing = await CliProcess.RunAsync("jobs", "list");
        Assert.That((missing.ExitCode, missing.Error), Is.EqualTo((5, missing.Error)));
        Assert.That(missing.Error, Does.Contain("DATABASE_URL"));
    }
}
