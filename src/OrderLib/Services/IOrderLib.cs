
namespace OrderLib;

/// <summary>
/// What host apps call: jobs, dependencies and runs of one client (tenant). Resolve it from DI for the
/// configured default client, and call <see cref="ForClient"/> to work for another one.
/// </summary>
public interface IOrderLib
{
    /// <summary>The client every operation of this instance runs for.</summary>
    ClientId ClientId { get; }

    /// <summary>Create, read, update and delete job definitions.</summary>
    JobService Jobs { get; }

    /// <summary>Add, remove and list dependencies between jobs.</summary>
    DependencyService Dependencies { get; }

    /// <summary>Enqueue, start, finish, cancel and read runs.</summary>
    RunService Runs { get; }

    /// <summary>Search runs and jobs, read statistics, prune old runs.</summary>
    HistoryService History { get; }

    /// <summary>List, read and cancel pipeline runs (one per trigger).</summary>
    PipelineService Pipelines { get; }

    /// <summary>Returns the same services working for <paramref name="clientId"/>.</summary>
    IOrderLib ForClient(ClientId clientId);
}

/// <summary>The <see cref="IOrderLib"/> over the registered stores.</summary>
internal sealed class OrderLibServices : IOrderLib
{
    private readonly OrderLibContext _context;

    public OrderLibServices(OrderLibContext context)
    {
        _context = context;
        Jobs = new JobService(context);
        Dependencies = new DependencyService(context);
        Runs = new RunService(context);
        History = new HistoryService(context);
        Pipelines = new PipelineService(context);
    }

    public ClientId ClientId => _context.Client;

    public JobService Jobs { get; }

    public DependencyService Dependencies { get; }

    public RunService Runs { get; }

    public HistoryService History { get; }

    public PipelineService Pipelines { get; }

    public IOrderLib ForClient(ClientId clientId) => new OrderLibServices(_context with { Client = clientId });
}

/// <summary>What every service needs: the stores, the clock, the options, the client it works for, and the signal that wakes this process's workers.</summary>
internal sealed record OrderLibContext(
    Ports.IJobStore JobStore,
    Ports.IDependencyStore DependencyStore,
    Ports.IRunStore RunStore,
    Ports.IHistoryStore HistoryStore,
    Ports.IPipelineRunStore PipelineStore,
    TimeProvider TimeProvider,
    OrderLibOptions Options,
    ClientId Client,
    ReadyRunsSignal Ready)
{
    public DateTimeOffset Now() => OrderLibClock.Now(TimeProvider);
}
