using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OrderLib.Tests.Validation;

/// <summary>The bad-input catalogue on the in-memory store (a new store per test).</summary>
[TestFixture]
public sealed class InMemoryBadInputCatalogueTests : BadInputCatalogueTests
{
    /// <inheritdoc />
    protected override void UseStore(OrderLibBuilder builder) => builder.UseInMemory();
}
