using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using OrderLib.Adapters.Relational;

namespace OrderLib.Adapters.Sqlite;

/// <summary>
/// SQLite's differences from the shared relational SQL: connection set-up for several processes sharing one file
/// (WAL, busy timeout, foreign keys, the chosen <c>synchronous</c> level), <c>BEGIN IMMEDIATE</c> write transactions that take the database's single write
/// lock up front (so every check-and-write is serialised and row locks are not needed), and timestamps stored as the
/// fixed-width ISO-8601 round-trip text of the UTC value, so text order is time order.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;

    // A stored timestamp at a whole day (the form JsonTimestamp writes), whose tail completes a truncated timestamp.
    private const string ZeroTimestamp = "2000-01-01T00:00:00.0000000Z";

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> ListProperties = new();

    private readonly string _connectionString;
    private readonly string _sessionSetup;
    private int _walChecked;

    public SqliteDialect(string connectionString, SqliteSynchronous synchronous)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true };
        _connectionString = builder.ToString();

        // Microsoft.Data.Sqlite retries a busy statement for Default Timeout seconds; busy_timeout makes SQLite
        // itself wait for the lock as long, including while beginning an immediate transaction.
        var busyMilliseconds = (long)builder.DefaultTimeout * 1000;
        // synchronous is per connection; FULL is SQLite's default, set anyway so the choice is explicit.
        var sync = synchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL";
        _sessionSetup = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {Math.Min(busyMilliseconds, int.MaxValue)}; PRAGMA synchronous = {sync};");
    }

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            using var command = connection.CreateCommand();

            // WAL persists in the file (the migrator sets it too); checking once per store is enough.
            command.CommandText = Interlocked.Exchange(ref _walChecked, 1) == 0
                ? _sessionSetup + " PRAGMA journal_mode = WAL;"
                : _sessionSetup;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // deferred: false is BEGIN IMMEDIATE: the write lock is taken now, not at the first write.
        return ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));
    }

    public override object ToDb(DateTimeOffset value) => JsonTimestamp(value);

    // SQLite's IS is null-safe equality (IS NOT DISTINCT FROM exists only since 3.39).
    public override string NullSafeEquals(string left, string right) => $"{left} IS {right}";

    // A list travels as one JSON text read with json_each (see Parameters): Microsoft.Data.Sqlite binds many named
    // parameters in quadratic time, so Dapper's expansion into (@p1, @p2, ...) made a 20,000-id list cost seconds.
    public override string InList(string expression, string parameter) => $"{expression} IN (SELECT value FROM json_each({parameter}))";

    // Turns every list value (an array or other non-text sequence) of the parameter object into its JSON text, for InList.
    public override object Parameters(object param)
    {
        var properties = ListProperties.GetOrAdd(param.GetType(), type => type.GetProperties());
        if (!properties.Any(p => IsList(p.PropertyType)))
        {
            return param;
        }

        var converted = new DynamicParameters();
        foreach (var property in properties)
        {
            var value = property.GetValue(param);
            converted.Add(property.Name, IsList(property.PropertyType) && value is not null ? JsonSerializer.Serialize(value) : value);
        }

        return converted;
    }

    private static bool IsList(Type type) => type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    // The unary + keeps the term from selecting an index (and changes no value of any type).
    public override string NotThroughIndex(string expression) => "+" + expression;

    public override string ThroughIndex(string index) => " INDEXED BY " + index;

    // SQLite's lower() folds the ASCII letters only (no ICU extension is loaded); instr() compares exactly.
    public override string ContainsFoldingAsciiCase(string text, string needle) => $"instr(lower({text}), {needle}) > 0";

    // Timestamps are 'yyyy-MM-ddTHH:mm:ss.fffffffZ': whole seconds from the first 19 characters, microseconds from the
    // first six digits of the fraction (the seventh is 0), all in integers (julianday's floating point is not exact).
    // json_each yields one row per array element; json_extract reads each property (timestamps stay the stored text).
    public override string JsonRows(string parameter, string alias, params string[] columns)
    {
        var names = columns.Select(c => c.Split(' ', 2)[0]);
        return $"(SELECT {string.Join(", ", names.Select(n => $"json_extract(value, '$.{n}') AS {n}"))} FROM json_each({parameter})) AS {alias}";
    }

    public override DateTimeOffset FromDb(object value) => value is string text
        ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime()
        : base.FromDb(value);

    // The stored text 'yyyy-MM-ddTHH:mm:ss.fffffffZ' cut after its minute, hour or day and completed with zeros: the
    // bucket's start in the same fixed-width form.
    public override string BucketStart(string column, TimelineBucket bucket)
    {
        var kept = bucket switch
        {
            TimelineBucket.Minute => "yyyy-MM-ddTHH:mm".Length,
            TimelineBucket.Hour => "yyyy-MM-ddTHH".Length,
            _ => "yyyy-MM-dd".Length,
        };
        return $"substr({column}, 1, {kept}) || '{ZeroTimestamp[kept..]}'";
    }

    // From the text, exactly: whole seconds by unixepoch of 'yyyy-MM-ddTHH:mm:ss', plus the fraction's first six digits
    // (the microseconds; the seventh is always 0). julianday's floating point would lose microseconds.
    public override string MicrosecondsBetween(string started, string finished) =>
        $"((unixepoch(substr({finished}, 1, 19)) - unixepoch(substr({started}, 1, 19))) * 1000000 " +
        $"+ CAST(substr({finished}, 21, 6) AS INTEGER) - CAST(substr({started}, 21, 6) AS INTEGER))";

    public override bool IsUnavailable(Exception exception) => IsUnavailableError(exception);

    public override string TableExists => "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = @table;";

    /// <summary>
    /// True when <paramref name="exception"/> or one it wraps is a SQLite error saying the file cannot serve now:
    /// SQLITE_BUSY or SQLITE_LOCKED (still locked when the busy timeout ran out), SQLITE_CANTOPEN, SQLITE_IOERR,
    /// SQLITE_READONLY (the file or its directory not writable) or SQLITE_FULL. The migrator classifies its failures
    /// with it too.
    /// </summary>
    internal static bool IsUnavailableError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException sqlite)
            {
                return sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked or SqliteReadOnly or SqliteIoError or SqliteFull or SqliteCantOpen;
            }
        }

        return false;
    }

    public override bool IsUniqueViolation(Exception exception, string indexName, string table) =>
        exception is SqliteException
        {
            SqliteErrorCode: SqliteConstraint,
            SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey,
        } sqlite
        // SQLite names the columns ("UNIQUE constraint failed: jobs.client_id, jobs.name"), not the index.
        && sqlite.Message.Contains(table + ".", StringComparison.Ordinal);
}
