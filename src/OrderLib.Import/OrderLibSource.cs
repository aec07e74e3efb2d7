using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrderLib.Import;

/// <summary>A job row of the source, with whichever columns the source has (null where it has none).</summary>
internal sealed record SourceJob(
    string Id, string? Name, string? Description, string? ClientId, string? Schedule, string? Status, long? Retries, long? Priority, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt);

/// <summary>A dependency row of the source: <see cref="JobId"/> depends on <see cref="DependsOnId"/>.</summary>
internal sealed record SourceDependency(string? Id, string? JobId, string? DependsOnId);

/// <summary>A run row of the source.</summary>
internal sealed record SourceRun(string? Id, string? JobId, string? Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error);

/// <summary>Everything read from the source, and the optional columns it had.</summary>
internal sealed record SourceData(IReadOnlyList<SourceJob> Jobs, IReadOnlyList<SourceDependency> Dependencies, IReadOnlyList<SourceRun> Runs, IReadOnlyList<string> OptionalColumns);

/// <summary>Reads an Order-lib database in place (read only), inspecting its schema first and using the columns it has.</summary>
internal static class OrderLibSource
{
    private static readonly string[] JobRequired = ["id", "name"];
    private static readonly string[] JobOptional = ["description", "client_id", "schedule", "status", "retries", "priority", "created_at", "updated_at"];
    private static readonly string[] DependencyRequired = ["job_id", "depends_on_id"];
    private static readonly string[] DependencyOptional = ["id"];
    private static readonly string[] RunRequired = ["job_id", "status"];
    private static readonly string[] RunOptional = ["id", "started_at", "finished_at", "error"];

    /// <summary>Parses the URL and reads the whole source.</summary>
    /// <exception cref="ImportSourceUrlException">The URL is not a sqlite:/// or postgresql:// DATABASE_URL.</exception>
    /// <exception cref="ImportSourceUnavailableException">The database cannot be opened.</exception>
    /// <exception cref="NotAnOrderLibDatabaseException">A table or a required column is missing.</exception>
    public static async Task<SourceData> ReadAsync(string sourceUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceUrl);
        string provider;
        string connectionString;
        try
        {
            (provider, connectionString) = DatabaseUrl.Parse(sourceUrl);
        }
        catch (OrderLibConfigurationException ex)
        {
            throw new ImportSourceUrlException($"The import source is not a valid Order-lib DATABASE_URL: {ex.Message.Replace("DATABASE_URL", "The URL", StringComparison.Ordinal)}", ex);
        }

        await using var connection = await OpenAsync(provider, connectionString, cancellationToken);
        var columns = await ReadColumnsAsync(connection, provider == DatabaseUrl.Sqlite, cancellationToken);
        var jobColumns = Require(columns, "jobs", JobRequired);
        var dependencyColumns = Require(columns, "job_dependencies", DependencyRequired);
        var runColumns = Require(columns, "job_runs", RunRequired);
        // The later shape's columns (the documented shape has none of them).
        var optional = JobOptional.Skip(1).Where(jobColumns.Contains).Select(c => "jobs." + c)
            .Concat(runColumns.Contains("error") ? ["job_runs.error"] : [])
            .ToArray();

        try
        {
            var jobs = await QueryAsync(connection, "jobs", JobRequired.Concat(JobOptional).ToArray(), jobColumns, "id", r => new SourceJob(
                Text(r["id"])!, Text(r["name"]), Text(r["description"]), Text(r["client_id"]), Text(r["schedule"]), Text(r["status"]),
                Integer(r["retries"]), Integer(r["priority"]), Timestamp(r["created_at"]), Timestamp(r["updated_at"])), cancellationToken);
            var dependencies = await QueryAsync(connection, "job_dependencies", DependencyRequired.Concat(DependencyOptional).ToArray(), dependencyColumns, "id", r =>
                new SourceDependency(Text(r["id"]), Text(r["job_id"]), Text(r["depends_on_id"])), cancellationToken);
            var runs = await QueryAsync(connection, "job_runs", RunRequired.Concat(RunOptional).ToArray(), runColumns, "id", r =>
                new SourceRun(Text(r["id"]), Text(r["job_id"]), Text(r["status"]), Timestamp(r["started_at"]), Timestamp(r["finished_at"]), Text(r["error"])), cancellationToken);
            return new SourceData(jobs.Where(j => j.Id is not null).ToArray(), dependencies, runs, optional);
        }
        catch (DbException ex)
        {
            throw new ImportSourceUnavailableException($"Reading the Order-lib database failed: {ex.Message}", ex);
        }
    }

    private static async Task<DbConnection> OpenAsync(string provider, string connectionString, CancellationToken cancellationToken)
    {
        DbConnection connection;
        string where;
        if (provider == DatabaseUrl.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
            where = $"SQLite file {builder.DataSource}";
            if (!File.Exists(builder.DataSource))
            {
                throw new ImportSourceUnavailableException($"The Order-lib database cannot be opened: {where} does not exist.");
            }

            connection = new SqliteConnection(builder.ToString());
        }
        else
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            where = $"PostgreSQL database '{builder.Database}' on {builder.Host}:{builder.Port}";
            connection = new NpgsqlConnection(connectionString);
        }

        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is DbException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            await connection.DisposeAsync();
            throw new ImportSourceUnavailableException($"The Order-lib database cannot be opened: {where}: {ex.Message}", ex);
        }
    }

    // table -> its columns (lower case), for the three tables.
    private static async Task<Dictionary<string, HashSet<string>>> ReadColumnsAsync(DbConnection connection, bool sqlite, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        try
        {
            if (sqlite)
            {
                foreach (var table in (string[])["jobs", "job_dependencies", "job_runs"])
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"SELECT name FROM pragma_table_info('{table}');";
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    var columns = new HashSet<string>(StringComparer.Ordinal);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        columns.Add(reader.GetString(0).ToLowerInvariant());
                    }

                    if (columns.Count > 0)
                    {
                        result[table] = columns;
                    }
                }
            }
            else
            {
                await using var command = connection.CreateCommand();
                // The tables the search path finds first: the first schema of the path holding each.
                command.CommandText = """
                    SELECT c.table_name, c.column_name FROM information_schema.columns c
                    WHERE c.table_name IN ('jobs', 'job_dependencies', 'job_runs')
                      AND c.table_schema = (
                        SELECT s.nspname FROM unnest(current_schemas(false)) WITH ORDINALITY AS s(nspname, ord)
                        JOIN information_schema.tables t ON t.table_schema = s.nspname AND t.table_name = c.table_name
                        ORDER BY s.ord LIMIT 1);
                    """;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var table = reader.GetString(0);
                    if (!result.TryGetValue(table, out var columns))
                    {
                        result.Add(table, columns = new HashSet<string>(StringComparer.Ordinal));
                    }

                    columns.Add(reader.GetString(1).ToLowerInvariant());
                }
            }
        }
        catch (DbException ex)
        {
            throw new ImportSourceUnavailableException($"The Order-lib database's schema cannot be read: {ex.Message}", ex);
        }

        return result;
    }

    private static HashSet<string> Require(Dictionary<string, HashSet<string>> columns, string table, string[] required)
    {
        if (!columns.TryGetValue(table, out var present))
        {
            throw new NotAnOrderLibDatabaseException(
                $"The source is not an Order-lib database: it has no table '{table}' (expected jobs, job_dependencies and job_runs, as Order-lib's migrations create them).");
        }

        var missing = required.Where(c => !present.Contains(c)).ToArray();
        if (missing.Length > 0)
        {
            throw new NotAnOrderLibDatabaseException(
                $"The source is not an Order-lib database: table '{table}' has no column {string.Join(", ", missing.Select(c => $"'{c}'"))}.");
        }

        return present;
    }

    // Selects the wanted columns the table has (NULL for the others), in the order of `orderBy` when the table has it.
    private static async Task<List<T>> QueryAsync<T>(
        DbConnection connection, string table, string[] wanted, HashSet<string> present, string orderBy, Func<Dictionary<string, object?>, T> map, CancellationToken cancellationToken)
    {
        var select = string.Join(", ", wanted.Select(c => present.Contains(c) ? $"\"{c}\"" : $"NULL AS \"{c}\""));
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {select} FROM \"{table}\"{(present.Contains(orderBy) ? $" ORDER BY \"{orderBy}\"" : "")};";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < wanted.Length; i++)
            {
                row[wanted[i]] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(map(row));
        }

        return rows;
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        Guid g => g.ToString("D"),
        byte[] bytes when bytes.Length == 16 => new Guid(bytes).ToString("D"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static long? Integer(object? value) => value switch
    {
        null => null,
        long l => l,
        int i => i,
        short s => s,
        decimal d => (long)d,
        double d => (long)d,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    // A timestamp as the Python library stored it: naive values (SQLAlchemy DateTime without a time zone) are UTC. Kept to
    // whole microseconds, as the OrderLib stores keep them. An unreadable value counts as missing.
    internal static DateTimeOffset? Timestamp(object? value)
    {
        DateTimeOffset? result = value switch
        {
            DateTimeOffset offset => offset.ToUniversalTime(),
            DateTime { Kind: DateTimeKind.Local } local => new DateTimeOffset(local.ToUniversalTime()),
            DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
            string text when DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) => parsed,
            _ => null,
        };
        return result is { } r ? new DateTimeOffset(r.UtcTicks - (r.UtcTicks % 10), TimeSpan.Zero) : null;
    }
}
