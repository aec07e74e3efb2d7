using System.Reflection;
using NUnit.Framework;
using OrderLib.Testing;

namespace OrderLib.Tests.Contract;

/// <summary>The contract suite against the in-memory reference store.</summary>
[TestFixture]
public sealed class InMemoryStoreContractTests : StoreContractTests
{
    private InMemoryOrderLibStore? _store;

    /// <inheritdoc />
    protected override Task<StoreSet> CreateStoreAsync()
    {
        _store = new InMemoryOrderLibStore();
        return Task.FromResult(StoreOf(_store));
    }

    /// <inheritdoc />
    /// <remarks>The store accepts only texts it can read, so the stored job is replaced through its private job table.</remarks>
    protected override Task StoreScheduleTextAsync(JobId jobId, string schedule)
    {
        var field = typeof(InMemoryOrderLibStore).GetField("_jobs", BindingFlags.NonPublic | BindingFlags.Instance)
                    ?? throw new InvalidOperationException("InMemoryOrderLibStore has no job table '_jobs' any more.");
        var jobs = (SortedDictionary<long, Job>)field.GetValue(_store)!;
        jobs[jobId.Value] = jobs[jobId.Value] with { Schedule = schedule };

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Read from the store's private table of run inputs.</remarks>
    protected override Task<string?> StoredInputAsync(RunId runId)
    {
        var field = typeof(InMemoryOrderLibStore).GetField("_runInputs", BindingFlags.NonPublic | BindingFlags.Instance)
                    ?? throw new InvalidOperationException("InMemoryOrderLibStore has no input table '_runInputs' any more.");
        var inputs = (Dictionary<long, string>)field.GetValue(_store)!;
        return Task.FromResult(inputs.GetValueOrDefault(runId.Value));
    }
}
