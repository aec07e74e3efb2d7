using Microsoft.Data.Sqlite;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Sqlite;

/// <summary>Checks the SQLite settings the store is configured with: at registration that the connection string names a file and the synchronous level is known, at start that the file's directory exists.</summary>
internal static class SqliteSettings
{
    private const string DataDirectoryMacro = "|DataDirectory|";

    /// <summary>Returns the file <paramref name="connectionString"/> opens, as written (relative or absolute).</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string.</param>
    /// <param name="setting">Where the connection string came from, for the message (<c>ConnectionStrings:OrderLib</c>, ...).</param>
    /// <exception cref="OrderLibConfigurationException">
    /// The connection string is invalid, names no file, or opens an in-memory database (<c>:memory:</c>, <c>Mode=Memory</c>,
    /// <c>file::memory:</c>, <c>mode=memory</c>), which a store that opens a connection per operation would lose.
    /// </exception>
    public static string RequireFile(string connectionString, string setting)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new OrderLibConfigurationException($"{setting} is not a valid SQLite connection string: {ex.Message}", ex);
        }

        var dataSource = builder.DataSource.Trim();
        var (path, query) = dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? UriFileName(dataSource) : (dataSource, "");
        var memory = builder.Mode == SqliteOpenMode.Memory
            || path == ":memory:"
            || query.Split('&').Any(pair => pair.Equals("mode=memory", StringComparison.OrdinalIgnoreCase));
        if (memory || path.Length == 0)
        {
            throw new OrderLibConfigurationException(
                $"{setting} {(memory ? "opens an in-memory SQLite database" : "names no SQLite file (an empty Data Source is a temporary database)")}: " +
                "the SQLite store opens a connection per operation and would lose it. Name a file (Data Source=orderlib.db), " +
                "or use UseInMemory() / OrderLib:Provider=InMemory (OrderLib.Testing) for tests.");
        }

        return path;
    }

    /// <summary>Reads the synchronous setting: <c>Full</c> or <c>Normal</c> in any case (numbers are refused); <see cref="SqliteSynchronous.Full"/> when null or blank.</summary>
    /// <param name="value">The configured text.</param>
    /// <param name="setting">The key it came from, for the message (<c>OrderLib:Synchronous</c>).</param>
    /// <exception cref="OrderLibConfigurationException">The text is another value; the message names <paramref name="setting"/>.</exception>
    public static SqliteSynchronous ParseSynchronous(string? value, string setting)
        => ConfiguredChoice.Parse(value, SqliteSynchronous.Full, setting, "Full (every commit synced to disk, the default) or Normal (cheaper commits; the latest may be lost on an OS crash or power loss)");

    /// <summary>Returns the full path of the file <paramref name="connectionString"/> opens, relative paths taken from the working directory.</summary>
    /// <exception cref="OrderLibConfigurationException">The connection string does not name a file (see <see cref="RequireFile"/>), or the file's directory does not exist.</exception>
    public static string RequireDirectory(string connectionString, string setting)
    {
        var path = RequireFile(connectionString, setting);
        if (path.StartsWith(DataDirectoryMacro, StringComparison.OrdinalIgnoreCase))
        {
            // As Microsoft.Data.Sqlite expands it.
            var dataDirectory = AppDomain.CurrentDomain.GetData("DataDirectory") as string;
            path = Path.Combine(string.IsNullOrEmpty(dataDirectory) ? AppContext.BaseDirectory : dataDirectory, path[DataDirectoryMacro.Length..].TrimStart('/', '\\'));
        }

        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new OrderLibConfigurationException(
                $"{setting} names the SQLite file '{fullPath}', whose directory '{directory}' does not exist: create the directory (SQLite creates the file, not its directory) or fix the path.");
        }

        return fullPath;
    }

    /// <summary>The path and query of an SQLite URI file name (<c>file:data.db?mode=ro</c>, <c>file:///var/data.db</c>, <c>file::memory:?cache=shared</c>).</summary>
    private static (string Path, string Query) UriFileName(string dataSource)
    {
        var rest = dataSource["file:".Length..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0 ? "" : rest[(question + 1)..];
        var path = question < 0 ? rest : rest[..question];
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            // file://authority/path: SQLite accepts an empty authority or "localhost".
            var slash = path.IndexOf('/', 2);
            path = slash < 0 ? "" : path[slash..];
        }

        return (Uri.UnescapeDataString(path), query);
    }
}
