using NUnit.Framework;
using OrderLib.Testing;

namespace OrderLib.Tests.Contract;

/// <summary>The contract suite against the in-memory reference store.</summary>
[TestFixture]
public sealed class InMemoryStoreContractTests : StoreContractTests
{
    /// <inheritdoc />
    protected override Task<StoreSet> CreateStoreAsync() => Task.FromResult(StoreOf(new InMemoryOrderLibStore()));
}
