using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OrderLib.Tests.Infrastructure;

/// <summary>Which of OrderLib's stores a fixture runs on (a fixture argument: <c>[TestFixture(StoreKind.Sqlite)]</c>).</summary>
public enum StoreKind
{
    /// <summary>The in-memory reference store (a new one per service provider).</summary>
    InMemory,

    /// <summary>A migrated SQLite file for the fixture.</summary>
    Sqlite,

    /// <summary>A migrated PostgreSQL database for the fixture.</summary>
    Postgres,
}

/// <summary>
/// A fixture's store of one <see cref="StoreKind"/>: <see cref="CreateAsync"/> in its <c>[OneTimeSetUp]</c> makes the
/// database (a <see cref="MigratedSqliteFile"/>, or a <see cref="MigratedPostgresDatabase"/> on the test run's server,
/// which ignores the fixture, or fails it when <c>CI=true</c>, when there is no server; nothing for the in-memory store),
/// <see cref="Use"/> chooses it on each service provider's builder, and <see cref="DropAsync"/> in its
/// <c>[OneTimeTearDown]</c> removes it. Tests sharing the database keep apart by unique job names or client ids.
/// </summary>
internal sealed class FixtureStore(StoreKind kind)
{
    private MigratedSqliteFile? _sqlite;
    private MigratedPostgresDatabase? _postgres;

    /// <summary>The kind of store.</summary>
    public StoreKind Kind => kind;

    /// <summary>The database's connection string; throws for the in-memory store and before <see cref="CreateAsync"/>.</summary>
    public string ConnectionString => kind switch
    {
        StoreKind.Sqlite => _sqlite?.ConnectionString,
        StoreKind.Postgres => _postgres?.ConnectionString,
        _ => null,
    } ?? throw new InvalidOperationException($"The {kind} store has no database.");

    /// <summary>Creates the migrated database; <paramref name="purpose"/> names the SQLite file's directory.</summary>
    public async Task CreateAsync(string purpose)
    {
        if (kind == StoreKind.Sqlite)
        {
            _sqlite = new MigratedSqliteFile(purpose);
        }
        else if (kind == StoreKind.Postgres)
        {
            _postgres = new MigratedPostgresDatabase();
            await _postgres.CreateAsync();
        }
    }

    /// <summary>Chooses the store on <paramref name="builder"/> (<c>UseInMemory</c>, <c>UseSqlite</c> or <c>UsePostgres</c>).</summary>
    public void Use(OrderLibBuilder builder)
    {
        switch (kind)
        {
            case StoreKind.InMemory:
                builder.UseInMemory();
                break;
            case StoreKind.Sqlite:
                builder.UseSqlite(ConnectionString);
                break;
            default:
                builder.UsePostgres(ConnectionString);
                break;
        }
    }

    /// <summary>A new, closed connection to the database, for the test's own statements behind the library's back.</summary>
    public DbConnection CreateConnection() =>
        kind == StoreKind.Sqlite ? new SqliteConnection(ConnectionString) : new NpgsqlConnection(ConnectionString);

    /// <summary>Deletes the SQLite file or drops the PostgreSQL database, if one was created. Idempotent.</summary>
    public async Task DropAsync()
    {
        _sqlite?.Dispose();
        _sqlite = null;
        if (_postgres is not null)
        {
            await _postgres.DropAsync();
        }
    }
}
