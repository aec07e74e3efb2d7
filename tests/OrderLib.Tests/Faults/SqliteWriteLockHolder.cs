using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace OrderLib.Tests.Faults;

/// <summary>
/// Another process holding a SQLite database's write lock (<c>BEGIN EXCLUSIVE</c>) until <see cref="ReleaseAsync"/>:
/// the <c>sqlite3</c> command-line shell when it is on PATH, else <c>python3</c>'s sqlite3 module. When neither is
/// installed, a second connection of this process holds it (the same lock, a weaker fault); <see cref="Description"/>
/// says which. <see cref="AcquireAsync"/> returns once the lock is held.
/// </summary>
internal sealed class SqliteWriteLockHolder : IAsyncDisposable
{
    private const string LockedMarker = "locked";
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromSeconds(30);

    private readonly Process? _process;
    private readonly SqliteConnection? _connection;
    private readonly SqliteTransaction? _transaction;
    private readonly string _releaseCommand;

    private SqliteWriteLockHolder(string description, Process? process, string releaseCommand, SqliteConnection? connection, SqliteTransaction? transaction)
    {
        Description = description;
        _process = process;
        _releaseCommand = releaseCommand;
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>Who holds the lock, e.g. "sqlite3 process 1234".</summary>
    public string Description { get; }

    /// <summary>Takes the write lock of the database file at <paramref name="path"/> and returns once it is held.</summary>
    public static async Task<SqliteWriteLockHolder> AcquireAsync(string path)
    {
        if (FindOnPath("sqlite3") is { } sqlite3)
        {
            // .bail on: a BEGIN that fails (busy for 30 s) exits instead of printing the marker anyway.
            return await StartProcessAsync(sqlite3, [path], $".bail on\n.timeout 30000\nBEGIN EXCLUSIVE;\nSELECT '{LockedMarker}';\n", "COMMIT;\n.quit\n");
        }

        if (FindOnPath("python3") is { } python)
        {
            const string script = "import sqlite3, sys\n" +
                                  "c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)\n" +
                                  "c.execute('BEGIN EXCLUSIVE')\n" +
                                  "print('" + LockedMarker + "', flush=True)\n" +
                                  "sys.stdin.readline()\n" +
                                  "c.execute('COMMIT')\n";
            return await StartProcessAsync(python, ["-c", script, path], null, "release\n");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using (var begin = connection.CreateCommand())
        {
            begin.CommandText = "PRAGMA busy_timeout = 30000;";
            await begin.ExecuteNonQueryAsync();
        }

        var transaction = connection.BeginTransaction(deferred: false);
        await using (var exclusive = connection.CreateCommand())
        {
            // BeginTransaction(deferred: false) is BEGIN IMMEDIATE, which takes the write lock; touching the schema makes it real.
            exclusive.Transaction = transaction;
            exclusive.CommandText = "CREATE TABLE IF NOT EXISTS fault_lock_probe (x INTEGER); INSERT INTO fault_lock_probe VALUES (1);";
            await exclusive.ExecuteNonQueryAsync();
        }

        return new SqliteWriteLockHolder("a second connection of the test process (neither sqlite3 nor python3 is on PATH)", null, "", connection, transaction);
    }

    /// <summary>Commits the holder's transaction, releasing the lock, and waits for its process to exit.</summary>
    public async Task ReleaseAsync()
    {
        if (_process is not null)
        {
            await _process.StandardInput.WriteAsync(_releaseCommand);
            await _process.StandardInput.FlushAsync();
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            if (_process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Description} exited with {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}");
            }
        }
        else if (_transaction is not null)
        {
            await _transaction.RollbackAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        if (_transaction is not null)
        {
            await _transaction.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private static async Task<SqliteWriteLockHolder> StartProcessAsync(string program, IReadOnlyList<string> arguments, string? input, string releaseCommand)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var holder = new SqliteWriteLockHolder($"{Path.GetFileName(program)} process {process.Id}", process, releaseCommand, null, null);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
                await process.StandardInput.FlushAsync();
            }

            using var timeout = new CancellationTokenSource(AcquireTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line?.Trim() != LockedMarker)
            {
                var error = process.HasExited ? await process.StandardError.ReadToEndAsync() : "(still running)";
                throw new InvalidOperationException($"{holder.Description} did not take the write lock: printed '{line}', stderr: {error}");
            }

            return holder;
        }
        catch
        {
            await holder.DisposeAsync();
            throw;
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
