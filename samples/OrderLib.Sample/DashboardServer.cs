using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderLib.Sample;

/// <summary>
/// The sample's <c>--dashboard</c> switch: once the pipeline has run, serves the OrderLib dashboard over the same store
/// on this machine (http://127.0.0.1:5080, or the <c>--urls</c> given) until Ctrl+C. Without an authorization policy the
/// dashboard answers local requests only.
/// </summary>
internal static class DashboardServer
{
    /// <summary>The command-line switch; not a configuration key, so it is taken out before the host reads the command line.</summary>
    public const string Switch = "--dashboard";

    private const string DefaultUrl = "http://127.0.0.1:5080";
    private const string Prefix = "/orderlib";

    /// <summary>Serves the dashboard with the sample's <paramref name="configuration"/> (its store, its <c>urls</c>) and prints its address; returns once stopped.</summary>
    public static async Task RunAsync(IConfiguration configuration)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.UseUrls(configuration["urls"] is { Length: > 0 } urls ? urls : DefaultUrl);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // no line per request
        builder.Services.AddOrderLib(builder.Configuration, providers => providers.AddSqlite().AddPostgres())
            .AddDashboard(dashboard => dashboard.Title = "OrderLib sample");

        await using var app = builder.Build();
        app.MapOrderLibDashboard(Prefix);
        await app.StartAsync();
        Console.WriteLine();
        foreach (var url in app.Urls)
        {
            Console.WriteLine($"Dashboard: {url.TrimEnd('/')}{Prefix} (press Ctrl+C to stop)");
        }

        await app.WaitForShutdownAsync();
    }
}
