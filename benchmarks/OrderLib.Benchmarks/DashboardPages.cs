using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderLib.Benchmarks;

/// <summary>
/// The <c>dashboard</c> scenario on a copy of the history template: a web app serving the dashboard (as a host would
/// mount it) on loopback Kestrel; every page requested over HTTP, alternating call by call with a hand-written reference
/// page in the same app (the newest 50 runs with their job names by one plain SQL statement on one open connection, written
/// as an HTML table),
/// <c>--query-calls</c> timed calls of each per round after two warm-up calls. The time is the server's: from the request
/// reaching the app's first middleware to the response written.
/// </summary>
internal sealed class DashboardPages(BenchSettings settings, Report report, Action<string> log)
{
    private const string DashboardDb = "dashboard";
    private const string ReferencePath = "/reference/newest-runs";
    private const int WarmUpCalls = 2;

    /// <summary>Measures every page on a copy of <paramref name="historyTemplate"/>.</summary>
    public async Task RunAsync(BenchDatabase engine, string historyTemplate, int history, CancellationToken cancellationToken)
    {
        await engine.CopyAsync(historyTemplate, DashboardDb, cancellationToken);
        await MeasureAsync(engine, history, cancellationToken);
        engine.ServicesDisposed();
        await engine.DropAsync(DashboardDb, cancellationToken);
    }

    /// <summary>Serves the dashboard and the reference page over the copy and measures every page; everything is closed when it returns.</summary>
    private async Task MeasureAsync(BenchDatabase engine, int history, CancellationToken cancellationToken)
    {
        var serverTimes = new ConcurrentDictionary<string, List<double>>();
        var historyEnd = await HistoryEndAsync(engine, cancellationToken);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The history ends a day before the harness loaded it: the app's clock is set a minute after its last run, so that
        // the overview's last hour and last day hold the history's newest runs instead of nothing.
        builder.Services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(historyEnd.AddMinutes(1) - TimeProvider.System.GetUtcNow()));
        builder.Services.AddOrderLib(o => engine.UseStore(o, DashboardDb))
            .Configure(o => o.DefaultClientId = BenchDatabase.Client)
            .AddDashboard();
        await using var app = builder.Build();
        app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            await next(http);
            serverTimes.GetOrAdd(http.Request.Path + http.Request.QueryString, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
        app.MapOrderLibDashboard("/orderlib");
        // One connection for the reference, opened once: the calls come one at a time, and a pooled store's page should not be compared with a fresh connection per request.
        await using var referenceConnection = await engine.OpenAsync(DashboardDb, cancellationToken);
        app.MapGet(ReferencePath, async (HttpContext http) => await WriteReferencePageAsync(referenceConnection, http));
        await app.StartAsync(cancellationToken);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var pages = await PagesAsync(app.Services, cancellationToken);
            var lib = app.Services.GetRequiredService<IOrderLib>();
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            foreach (var window in new[] { TimeSpan.FromHours(1), TimeSpan.FromDays(1) })
            {
                var finished = (await lib.History.GetStatisticsAsync(new StatisticsQuery(now - window, now), cancellationToken)).Overall.Finished;
                log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name} dashboard: {finished:N0} runs finished in the overview's last {window.TotalHours:0} h"));
            }

            for (var round = 1; round <= settings.Repeat; round++)
            {
                foreach (var (name, path) in pages)
                {
                    serverTimes.Clear();
                    for (var call = 0; call < WarmUpCalls + settings.QueryCalls; call++)
                    {
                        await GetAsync(client, path, cancellationToken);
                        await GetAsync(client, ReferencePath, cancellationToken);
                    }

                    var page = serverTimes[path].Skip(WarmUpCalls).ToList();
                    var reference = serverTimes[ReferencePath].Skip(WarmUpCalls).ToList();
                    var ratio = Percentiles.Of(page, 0.95) / Percentiles.Of(reference, 0.95);
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"{engine.Name} dashboard round {round} {name}: p50 {Percentiles.Of(page, 0.5):0.0} ms, p95 {Percentiles.Of(page, 0.95):0.0} ms; reference p95 {Percentiles.Of(reference, 0.95):0.0} ms; ratio {ratio:0.00}"));
                    var shape = string.Create(CultureInfo.InvariantCulture, $"GET {path} on the {history:N0}-run history; {settings.QueryCalls} calls, round {round}");
                    report.Figures.Add(new FigureResult(engine.Name, $"dashboard: {name}", "ms", page, shape));
                    report.Figures.Add(new FigureResult(engine.Name, $"dashboard: {name} / reference page (p95)", "×", [ratio], "the same round's reference: newest 50 runs by one plain statement, as HTML"));
                }
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Every page, with ids from the copy: the busiest job, the newest run, a failed run, and a pipeline run triggered now.</summary>
    private static async Task<IReadOnlyList<(string Name, string Path)>> PagesAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var lib = services.GetRequiredService<IOrderLib>();
        var newest = (await lib.History.SearchRunsAsync(new RunSearch { Limit = 1 }, cancellationToken)).Items.Single().Run;
        var failed = (await lib.History.SearchRunsAsync(new RunSearch { Filter = new RunFilter { Statuses = new HashSet<RunStatus> { RunStatus.Failed } }, Limit = 1 }, cancellationToken)).Items.Single().Run;
        var triggered = await lib.Runs.TriggerAsync(newest.JobId, new TriggerOptions { Label = "dashboard benchmark" }, cancellationToken);
        var job = newest.JobId.Value;
        return
        [
            ("overview (last hour)", "/orderlib/"),
            ("overview (last day)", "/orderlib/?window=day"),
            ("jobs", "/orderlib/jobs"),
            ("jobs, failing", "/orderlib/jobs?latestStatuses=failed"),
            ("job detail", $"/orderlib/jobs/{job}"),
            ("runs", "/orderlib/runs"),
            ("runs, failed", "/orderlib/runs?statuses=failed"),
            ("runs, job prefix (100 jobs) + succeeded + finished order", "/orderlib/runs?statuses=succeeded&jobNamePrefix=history-001&orderBy=finished"),
            ("runs, job prefix matching no job", "/orderlib/runs?jobNamePrefix=history-1"),
            ("runs, error contains", "/orderlib/runs?errorContains=exit%20code"),
            ("run detail (failed)", $"/orderlib/runs/{failed.Id.Value}"),
            ("pipeline runs", "/orderlib/pipelines"),
            ("pipeline run", $"/orderlib/pipelines/{triggered.Id.Value}"),
            ("graph", "/orderlib/graph"),
        ];
    }

    /// <summary>When the copy's last run finished.</summary>
    private static async Task<DateTimeOffset> HistoryEndAsync(BenchDatabase engine, CancellationToken cancellationToken)
    {
        await using var connection = await engine.OpenAsync(DashboardDb, cancellationToken);
        return BenchDatabase.ReadTime(await Sql.ScalarAsync<object>(connection, null, "SELECT max(finished_at) FROM job_runs", cancellationToken));
    }

    private static async Task GetAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 400)]}");
        }
    }

    /// <summary>The hand-written reference: the newest 50 runs of the client with their job names, one statement, an encoded HTML table.</summary>
    private static async Task WriteReferencePageAsync(DbConnection connection, HttpContext http)
    {
        await using var command = connection.CreateCommand();
        // Written as someone who knows the schema would: the finished runs through their partial index
        // (ix_job_runs_client_enqueued), the few active runs apart, the newest 50 of both.
        command.CommandText = """
            SELECT r.id, j.name, r.status, r.attempt, r.enqueued_at, r.finished_at, r.error FROM (
                SELECT * FROM (SELECT id, job_id, status, attempt, enqueued_at, finished_at, error FROM job_runs
                               WHERE client_id = @client AND status IN ('Succeeded', 'Failed', 'Cancelled')
                               ORDER BY enqueued_at DESC, id DESC LIMIT 50) AS finished
                UNION ALL
                SELECT * FROM (SELECT id, job_id, status, attempt, enqueued_at, finished_at, error FROM job_runs
                               WHERE client_id = @client AND status IN ('Pending', 'Running')
                               ORDER BY enqueued_at DESC, id DESC LIMIT 50) AS active
            ) AS r JOIN jobs j ON j.id = r.job_id
            ORDER BY r.enqueued_at DESC, r.id DESC LIMIT 50
            """;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "client";
        parameter.Value = BenchDatabase.Client;
        command.Parameters.Add(parameter);
        var html = new StringBuilder("<!DOCTYPE html><html><head><title>runs</title></head><body><table>");
        await using (var reader = await command.ExecuteReaderAsync(http.RequestAborted))
        {
            while (await reader.ReadAsync(http.RequestAborted))
            {
                html.Append("<tr>");
                for (var column = 0; column < reader.FieldCount; column++)
                {
                    html.Append("<td>").Append(WebUtility.HtmlEncode(Convert.ToString(reader.GetValue(column), CultureInfo.InvariantCulture))).Append("</td>");
                }

                html.Append("</tr>");
            }
        }

        html.Append("</table></body></html>");
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(html.ToString(), http.RequestAborted);
    }
}

/// <summary>The system clock moved by a fixed offset.</summary>
internal sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
