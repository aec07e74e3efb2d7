using System.CommandLine;

namespace OrderLib.Cli.Commands;

/// <summary>
/// <c>import</c>: the place for importing a Python Order-lib database. The importer is being built separately as a library
/// call; once it exists this command becomes a thin call to it, like every other verb. Until then it is hidden and refuses.
/// </summary>
internal static class ImportCommand
{
    public static Command Build(CommandRunner app)
    {
        var source = new Argument<string>("source") { Description = "The Python Order-lib database to import (a DATABASE_URL)." };
        var import = new Command("import", "Import jobs, dependencies and runs from a Python Order-lib database (not available yet).") { source };
        import.Hidden = true;

        // TODO(import): call the library's importer here (e.g. context.OrderLib.Import...(source)) and print its report.
        app.Handle(import, _ => throw new UsageException("'orderlib import' is not available yet: the importer library call has not shipped."));
        return import;
    }
}
