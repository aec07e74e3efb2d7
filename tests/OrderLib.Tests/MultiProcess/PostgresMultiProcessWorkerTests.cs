using OrderLib.Adapters.Postgres;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderLib.Migrations;
using OrderLib.Ports;

namespace OrderLib.Tests.MultiProcess;

/// <summary>The multi-process test against a PostgreSQL database of its own on the shared test server.</summary>
[TestFixture]
public sealed class PostgresMultiProcessWorkerTests : MultiProcessWorkerTests
{
    protected override string ProviderName => "Postgres";

    protected override TimeSpan ClockReadTolerance => TimeSpan.FromMilliseconds(250);

    protected override int CreationParallelism => 4;

    protected override Task<string> CreateDatabaseAsync() => PostgresServer.CreateDatabaseAsync();

    protected override Task DropDatabaseAsync(string connectionString) => PostgresServer.DropDatabaseAsync(connectionString);

    protected override void UseStore(OrderLibBuilder builder, string connectionString) => builder.UsePostgres(connectionString);

    protected override IOrderLibMigrator CreateMigrator(string connectionString) => PostgresOrderLibMigrations.Create(connectionString, "public");

    protected override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);
}
