using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrderLib;

/// <summary>
/// Reads a <c>DATABASE_URL</c> the way the Python Order-lib (SQLAlchemy) did and turns it into a provider name and an
/// ADO.NET connection string:
/// <list type="bullet">
/// <item><c>postgresql://user:pass@host:5432/db?sslmode=require</c> (also <c>postgres://</c> and <c>postgresql+driver://</c>);
/// user, password, database and query are URL-decoded, and a bad %-escape in any of them is refused; the host is required;
/// the port is 1 to 65535 and defaults to 5432; query keys <c>sslmode</c>, <c>application_name</c>,
/// <c>connect_timeout</c> and <c>options</c> are understood, each at most once, any other is refused.</item>
/// <item><c>sqlite:///relative/path.db</c> (three slashes: relative to the working directory) and
/// <c>sqlite:////absolute/path.db</c> (four slashes: absolute), as in SQLAlchemy. In-memory SQLite is refused: a store
/// that opens a connection per operation would lose it. Query parameters are refused.</item>
/// </list>
/// </summary>
public static partial class DatabaseUrl
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

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses <paramref name="url"/> into the provider it names and the matching connection string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="url"/> is null.</exception>
    /// <exception cref="OrderLibConfigurationException">The URL is malformed (a bad %-escape, no host, a port out of range, a query key given twice), names an unknown scheme, or asks for something unsupported; the message never shows the password.</exception>
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
            "sqlite" => (Sqlite, ParseSqlite(url, url[(separator + 3)..])),
            _ => throw new OrderLibConfigurationException($"DATABASE_URL scheme '{scheme}' is not supported: use postgresql:// or sqlite:///."),
        };
    }

    private static string ParsePostgres(string url)
    {
        var match = PostgresUrl().Match(url);
        if (!match.Success)
        {
            throw new OrderLibConfigurationException(
                $"DATABASE_URL '{Redact(url)}' is not a valid PostgreSQL URL (postgresql://user:pass@host:5432/db); a '@', ':' or '/' in the user or password must be %-escaped.");
        }

        var host = match.Groups["ipv6"].Success ? match.Groups["ipv6"].Value : match.Groups["host"].Value;
        if (host.Length == 0)
        {
            throw new OrderLibConfigurationException($"DATABASE_URL '{Redact(url)}' names no host: add it after the '@', e.g. postgresql://user:pass@db.internal/db.");
        }

        var database = Decode(match.Groups["database"].Value, "database name", url);
        if (database.Length == 0)
        {
            throw new OrderLibConfigurationException($"DATABASE_URL '{Redact(url)}' names no database: add it as the path, e.g. postgresql://host/db.");
        }

        var builder = new DbConnectionStringBuilder
        {
            ["Host"] = host,
            ["Port"] = match.Groups["port"].Success ? Port(match.Groups["port"].Value, url) : 5432,
            ["Database"] = database,
        };
        if (match.Groups["user"].Value.Length > 0)
        {
            builder["Username"] = Decode(match.Groups["user"].Value, "user name", url);
        }

        if (match.Groups["password"].Success)
        {
            builder["Password"] = Decode(match.Groups["password"].Value, "password", url);
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in match.Groups["query"].Value.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var key = Decode(parts[0], "query", url);
            if (!PostgresQueryKeys.TryGetValue(key, out var npgsqlKey))
            {
                throw new OrderLibConfigurationException($"DATABASE_URL query parameter '{key}' is not supported; use {string.Join(", ", PostgresQueryKeys.Keys)}, or set ConnectionStrings:OrderLib instead.");
            }

            if (!seen.Add(key))
            {
                throw new OrderLibConfigurationException($"DATABASE_URL query parameter '{key}' is given twice; give it once.");
            }

            builder[npgsqlKey] = parts.Length == 2 ? Decode(parts[1], "query", url) : "";
        }

        return builder.ConnectionString;
    }

    private static int Port(string text, string url)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
        {
            return port;
        }

        // Only digits are echoed: anything else may be a password that was not %-escaped.
        var shown = text.Length > 0 && text.All(char.IsAsciiDigit) ? $" (got {text})" : "";
        throw new OrderLibConfigurationException($"DATABASE_URL '{Redact(url)}' has an invalid port{shown}: it must be a number from 1 to 65535.");
    }

    private static string ParseSqlite(string url, string rest)
    {
        // SQLAlchemy: sqlite:///relative.db (rest "/relative.db"), sqlite:////absolute.db (rest "//absolute.db").
        if (!rest.StartsWith('/'))
        {
            throw new OrderLibConfigurationException($"DATABASE_URL 'sqlite://{rest}' must have three slashes before a relative path (sqlite:///file.db) or four before an absolute one (sqlite:////var/data/file.db).");
        }

        if (rest.Contains('?', StringComparison.Ordinal))
        {
            throw new OrderLibConfigurationException($"DATABASE_URL '{url}' has query parameters, which sqlite:// URLs do not support; write a '?' in the file name as %3F, or set ConnectionStrings:OrderLib instead.");
        }

        var path = Decode(rest[1..], "path", url);
        if (path.Length == 0 || path == ":memory:")
        {
            throw new OrderLibConfigurationException("DATABASE_URL must name a SQLite file: in-memory SQLite is not supported (use OrderLib:Provider=InMemory for tests).");
        }

        return new DbConnectionStringBuilder { ["Data Source"] = path }.ConnectionString;
    }

    /// <summary>Decodes the %-escapes of one part of the URL, refusing a '%' not followed by two hex digits or escapes that are not UTF-8.</summary>
    private static string Decode(string text, string part, string url)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var decoded = new StringBuilder(text.Length);
        var escaped = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                FlushEscaped();
                decoded.Append(text[i]);
                continue;
            }

            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                throw BadEscape(part, url);
            }

            escaped.Add(value);
            i += 2;
        }

        FlushEscaped();
        return decoded.ToString();

        // A run of escapes is one UTF-8 sequence: "%C3%A9" is "é", a lone "%C3" is refused.
        void FlushEscaped()
        {
            if (escaped.Count == 0)
            {
                return;
            }

            try
            {
                decoded.Append(StrictUtf8.GetString([.. escaped]));
            }
            catch (DecoderFallbackException)
            {
                throw BadEscape(part, url);
            }

            escaped.Clear();
        }
    }

    private static OrderLibConfigurationException BadEscape(string part, string url) => new(
        $"DATABASE_URL '{Redact(url)}' has a bad %-escape in its {part}: '%' must be followed by two hex digits of UTF-8 (write a literal '%' as %25).");

    /// <summary>Hides everything between <c>://</c> and the last <c>@</c>: the user and the password, even one holding an unescaped <c>@</c>.</summary>
    private static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        return at > separator && separator >= 0 ? url[..(separator + 3)] + "***" + url[at..] : url;
    }

    /// <summary>SQLAlchemy's URL pattern: the password runs to the '@', the host to a ':', '/' or '?', the database to the '?'.</summary>
    [GeneratedRegex(@"^[^:/]+://(?:(?<user>[^:/@]*)(?::(?<password>[^@]*))?@)?(?:\[(?<ipv6>[^\]/?]*)\]|(?<host>[^:/?@\[\]]*))(?::(?<port>[^/?]*))?(?:/(?<database>[^?]*))?(?:\?(?<query>.*))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex PostgresUrl();
}
