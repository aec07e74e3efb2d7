using System.Data.Common;
using OrderLib.Ports;

namespace OrderLib;

/// <summary>
/// Reads a <c>DATABASE_URL</c> the way the Python Order-lib (SQLAlchemy) did and turns it into a provider name and an
/// ADO.NET connection string:
/// <list type="bullet">
/// <item><c>postgresql://user:pass@host:5432/db?sslmode=require</c> (also <c>postgres://</c> and <c>postgresql+driver://</c>);
/// user and password are URL-decoded; port defaults to 5432; query keys <c>sslmode</c>, <c>application_name</c>,
/// <c>connect_timeout</c> and <c>options</c> are understood, any other is refused.</item>
/// <item><c>sqlite:///relative/path.db</c> (three slashes: relative to the working directory) and
/// <c>sqlite:////absolute/path.db</c> (four slashes: absolute), as in SQLAlchemy. In-memory SQLite is refused: a store
/// that opens a connection per operation would lose it.</item>
/// </list>
/// </summary>
public static class DatabaseUrl
{
    /// <summary>The provider name for SQLite URLs.</summary>
    public const string Sqlite = "Sqlite";

    /// <summary>The provider name for PostgreSQL URLs.</summary>
    public const string Postgres = "Postgres";

    private static readonly Dictionary<string, string> PostgresQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["options"] = "Options",
    };

    /// <summary>Parses <paramref name="url"/> into the provider it names and the matching connection string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="url"/> is null.</exception>
    /// <exception cref="OrderLibConfigurationException">The URL is malformed, names an unknown scheme, or asks for something unsupported.</exception>
    public static (string Provider, string ConnectionString) Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new OrderLibConfigurationException($"DATABASE_URL must look like postgresql://user:pass@host:5432/db or sqlite:///file.db; got '{Redact(url)}'.");
        }

        var scheme = url[..separator].Split('+')[0].ToLowerInvariant();
        return scheme switch
        {
            "postgres" or "postgresql" => (Postgres, ParsePostgres(url)),
            "sqlite" => (Sqlite, ParseSqlite(url[(separator + 3)..])),
            _ => throw new OrderLibConfigurationException($"DATABASE_URL scheme '{scheme}' is not supported: use postgresql:// or sqlite:///."),
        };
    }

    private static string ParsePostgres(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new OrderLibConfigurationException($"DATABASE_URL '{Redact(url)}' is not a valid PostgreSQL URL (postgresql://user:pass@host:5432/db).");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
        {
            throw new OrderLibConfigurationException($"DATABASE_URL '{Redact(url)}' names no database: add it as the path, e.g. postgresql://host/db.");
        }

        var builder = new DbConnectionStringBuilder
        {
            ["Host"] = uri.Host,
            ["Port"] = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            ["Database"] = database,
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder["Username"] = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            builder["Password"] = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(parts[0]);
            if (!PostgresQueryKeys.TryGetValue(key, out var npgsqlKey))
            {
                throw new OrderLibConfigurationException($"DATABASE_URL query parameter '{key}' is not supported; use {string.Join(", ", PostgresQueryKeys.Keys)}, or set ConnectionStrings:OrderLib instead.");
            }

            builder[npgsqlKey] = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        return builder.ConnectionString;
    }

    private static string ParseSqlite(string rest)
    {
        // SQLAlchemy: sqlite:///relative.db (rest "/relative.db"), sqlite:////absolute.db (rest "//absolute.db").
        if (!rest.StartsWith('/'))
        {
            throw new OrderLibConfigurationException($"DATABASE_URL 'sqlite://{rest}' must have three slashes before a relative path (sqlite:///file.db) or four before an absolute one (sqlite:////var/data/file.db).");
        }

        var path = Uri.UnescapeDataString(rest[1..]);
        if (path.Length == 0 || path == ":memory:")
        {
            throw new OrderLibConfigurationException("DATABASE_URL must name a SQLite file: in-memory SQLite is not supported (use OrderLib:Provider=InMemory for tests).");
        }

        return new DbConnectionStringBuilder { ["Data Source"] = path }.ConnectionString;
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        return at > separator && separator >= 0 ? url[..(separator + 3)] + "***" + url[at..] : url;
    }
}
