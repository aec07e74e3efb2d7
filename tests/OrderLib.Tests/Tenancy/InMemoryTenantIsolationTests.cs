using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OrderLib.Tests.Tenancy;

/// <summary>The tenant isolation matrix on the in-memory store (a new store per test).</summary>
[TestFixture]
public sealed class InMemoryTenantIsolationTests : TenantIsolationTests
{
    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) => builder.UseInMemory();
}
