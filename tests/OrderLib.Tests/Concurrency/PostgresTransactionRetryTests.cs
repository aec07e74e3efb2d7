using Npgsql;
using NUnit.Framework;
using OrderLib.Adapters.Postgres;

namespace OrderLib.Tests.Concurrency;

/// <summary>
/// The store's backstop for transient conflicts on PostgreSQL: a write transaction the database rolls back with a
/// serialization failure (40001) runs again as a whole, each retry counted by <c>orderlib.store.transaction.retries</c>
/// (reason <c>serialization_failure</c>), and after the last try <see cref="OrderLibConcurrencyException"/> wraps the driver's
/// error. The failures are injected by a trigger on <c>jobs</c> that raises 40001 for the first N updates of a job named
/// in <c>retry_fault</c> (counted by a sequence, which a rollback does not undo). The deadlock case (40P01) is in
/// <see cref="PostgresLockOrderTests"/>.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresTransactionRetryTests
{
    private const string InjectFailures = """
        CREATE TABLE retry_fault (job_name text PRIMARY KEY, failures int NOT NULL);
        CREATE SEQUENCE retry_fault_calls;
        CREATE FUNCTION retry_fault_check() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM retry_fault f WHERE f.job_name = NEW.name AND nextval('retry_fault_calls') <= f.failures) THEN
                RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER retry_fault_check BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION retry_fault_check();
        """;

    private static readonly ClientId Client = new("retry");

    private readonly MigratedPostgresDatabase _database = new();
    private PostgresOrderLibStore? _store;

    private PostgresOrderLibStore Store => _store ?? throw new InvalidOperationException("No store yet.");

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await _database.CreateAsync();
        await ExecuteAsync(InjectFailures);
        _store = new PostgresOrderLibStore(_database.ConnectionString);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await _database.DropAsync();
    }

    [Test]
    public async Task A_write_rolled_back_by_serialization_failures_is_run_again_counted_and_succeeds()
    {
        var job = await Store.CreateJobAsync(Client, new JobDefinition("flaky"), DateTimeOffset.UnixEpoch, default);
        await InjectAsync("flaky", failures: 2);
        using var retries = new TransactionRetryListener();

        var updated = await Store.UpdateJobAsync(Client, job.Id, new JobDefinition("flaky") { Priority = 3 }, DateTimeOffset.UnixEpoch.AddSeconds(1), default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated.Priority, Is.EqualTo(3));
            Assert.That((await Store.GetJobAsync(Client, job.Id, default))?.Priority, Is.EqualTo(3));
            Assert.That(retries.Count("serialization_failure"), Is.EqualTo(2), "one retry per rolled-back try");
        }
    }

    [Test]
    public async Task A_write_that_keeps_failing_gives_OrderLibConcurrencyException_wrapping_the_driver_error_after_five_tries()
    {
        var job = await Store.CreateJobAsync(Client, new JobDefinition("hopeless"), DateTimeOffset.UnixEpoch, default);
        await InjectAsync("hopeless", failures: 1000);
        using var retries = new TransactionRetryListener();

        var ex = Assert.ThrowsAsync<OrderLibConcurrencyException>(
            () => Store.UpdateJobAsync(Client, job.Id, new JobDefinition("hopeless") { Priority = 3 }, DateTimeOffset.UnixEpoch.AddSeconds(1), default));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex?.InnerException, Is.InstanceOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.SerializationFailure));
            Assert.That(ex?.Message, Does.Contain("Tried 5 times"));
            Assert.That(retries.Count("serialization_failure"), Is.EqualTo(4), "five tries, four retries");
            Assert.That(await Store.GetJobAsync(Client, job.Id, default), Is.EqualTo(job), "nothing was written");
        }
    }

    // Makes the next `failures` updates of the job named `jobName` fail with 40001.
    private Task InjectAsync(string jobName, int failures) =>
        ExecuteAsync($"DELETE FROM retry_fault; ALTER SEQUENCE retry_fault_calls RESTART; INSERT INTO retry_fault VALUES ('{jobName}', {failures});");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
