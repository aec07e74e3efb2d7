
namespace OrderLib.Ports;

/// <summary>What a run carries besides its state: the input it was enqueued with and the output its success recorded.</summary>
/// <param name="Input">The input given when the run was created, or null.</param>
/// <param name="Output">The output recorded with the run's success, or null (not succeeded, or succeeded without one).</param>
public sealed record RunPayloads(RunPayload? Input, RunPayload? Output);

/// <summary>An upstream job of a job, with the output of its latest successful run.</summary>
/// <param name="JobId">The upstream job.</param>
/// <param name="JobName">Its name.</param>
/// <param name="RunId">Its latest Succeeded run, or null when it never succeeded.</param>
/// <param name="Output">The output that run recorded, or null when it recorded none (or there is no such run).</param>
public sealed record UpstreamOutput(JobId JobId, string JobName, RunId? RunId, RunPayload? Output);
