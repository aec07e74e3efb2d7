using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrderLib.Cli;

/// <summary>Writes results: aligned text tables for people, JSON (camelCase, indented, enums as text) for scripts.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Task JsonAsync<T>(this CliContext context, T value) =>
        context.Out.WriteLineAsync(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>A table: a header row, a rule, then the rows, each column as wide as its widest cell.</summary>
    public static async Task TableAsync(this CliContext context, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(row => row.Select(cell => (cell ?? "").ReplaceLineEndings(" ")).ToList()).ToList();
        var widths = headers.Select((header, i) => Math.Max(header.Length, all.Count == 0 ? 0 : all.Max(row => row[i].Length))).ToList();
        await context.Out.WriteLineAsync(Line(headers, widths));
        await context.Out.WriteLineAsync(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in all)
        {
            await context.Out.WriteLineAsync(Line(row, widths));
        }
    }

    /// <summary>Name/value lines, the names aligned.</summary>
    public static async Task PairsAsync(this CliContext context, IEnumerable<(string Name, string? Value)> pairs)
    {
        var list = pairs.ToList();
        var width = list.Max(p => p.Name.Length);
        foreach (var (name, value) in list)
        {
            await context.Out.WriteLineAsync($"{name.PadRight(width)}  {value ?? "-"}");
        }
    }

    public static string Time(DateTimeOffset? value) =>
        value is { } time ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Line(IReadOnlyList<string> cells, List<int> widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }

        return line.ToString().TrimEnd();
    }
}

/// <summary>A job as <c>--json</c> writes it.</summary>
internal sealed record JobView(
    long Id, string Client, string Name, string? Description, int Priority, int MaxAttempts, string? Schedule,
    DateTimeOffset? NextDueAt, bool Paused, DateTimeOffset? PausedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static JobView Of(Job job) => new(
        job.Id.Value, job.ClientId.Value, job.Name, job.Description, job.Priority, job.MaxAttempts, job.Schedule,
        job.NextDueAt, job.IsPaused, job.PausedAt, job.CreatedAt, job.UpdatedAt);
}

/// <summary>A run as <c>--json</c> writes it.</summary>
internal sealed record RunView(
    long Id, long JobId, string? JobName, RunStatus Status, int Attempt, DateTimeOffset EnqueuedAt, DateTimeOffset AvailableAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? WorkerId, DateTimeOffset? LeaseExpiresAt, string? Error,
    bool CancelRequested, long? PipelineRunId)
{
    public static RunView Of(JobRun run, string? jobName = null) => new(
        run.Id.Value, run.JobId.Value, jobName, run.Status, run.Attempt, run.EnqueuedAt, run.AvailableAt, run.StartedAt, run.FinishedAt,
        run.WorkerId?.Value, run.LeaseExpiresAt, run.Error, run.CancelRequested, run.PipelineRunId?.Value);

    public static readonly string[] Headers = ["RUN", "JOB", "STATUS", "ATTEMPT", "ENQUEUED", "STARTED", "FINISHED", "ERROR"];

    public string?[] Row() =>
    [
        Output.Number(Id), JobName ?? Output.Number(JobId), Status.ToString(), Output.Number(Attempt), Output.Time(EnqueuedAt),
        Output.Time(StartedAt), Output.Time(FinishedAt), Error,
    ];
}
