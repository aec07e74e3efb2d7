using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OrderLib;

namespace OrderLib.Dashboard.Tests;

/// <summary>
/// The test host (tests/OrderLib.Dashboard.TestHost) in memory on a fresh SQLite file (migrated at start-up), with the
/// dashboard settings a test gives (keys under <c>Dashboard:</c>, e.g. <c>Policy</c>, <c>ReadOnly</c>, <c>Clients</c>).
/// <see cref="Local"/> and <see cref="Remote"/> make clients whose requests come from loopback or from another machine;
/// <see cref="ServeOverHttp"/> puts it on a real port instead, for a browser.
/// </summary>
internal sealed class DashboardApp : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orderlib-dashboard-tests", Guid.NewGuid().ToString("N"));
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public DashboardApp(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Directory.CreateDirectory(_directory);
        var defaults = new Dictionary<string, string?>
        {
            ["OrderLib:Provider"] = "Sqlite",
            ["ConnectionStrings:OrderLib"] = $"Data Source={Path.Combine(_directory, "orderlib.db")}",
            ["OrderLib:ApplyMigrationsAtStartup"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            defaults[key] = value;
        }

        _settings = defaults;
    }

    /// <summary>OrderLib for the default client, to set up what a page shows.</summary>
    public IOrderLib OrderLib => Services.GetRequiredService<IOrderLib>();

    /// <summary>A client whose requests come from 127.0.0.1, not following redirects, with optional test-user headers.</summary>
    public HttpClient Local(string? user = null, string? roles = null, string? clients = null) => Client("127.0.0.1", user, roles, clients);

    /// <summary>A <see cref="Local"/> client after a first request, so the host has started and migrated its database.</summary>
    public async Task<HttpClient> StartedLocalAsync()
    {
        var client = Local();
        _ = await client.GetAsync("/orderlib/");
        return client;
    }

    /// <summary>A client whose requests come from another machine (203.0.113.9), with optional test-user headers.</summary>
    public HttpClient Remote(string? user = null, string? roles = null, string? clients = null) => Client("203.0.113.9", user, roles, clients);

    /// <summary>
    /// Serves the app with Kestrel on 127.0.0.1 at a free port (call it before anything else starts the app) and returns
    /// the dashboard's address, e.g. <c>http://127.0.0.1:41234/orderlib/</c>. A browser's requests are then local ones.
    /// </summary>
    public Uri ServeOverHttp()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new Uri(new Uri(address), "/orderlib/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the temp folder is cleaned by the machine.
            }
        }
    }

    private HttpClient Client(string remoteIp, string? user, string? roles, string? clients)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Add("X-Test-Remote-Ip", remoteIp);
        AddIfGiven(client, "X-Test-User", user);
        AddIfGiven(client, "X-Test-Roles", roles);
        AddIfGiven(client, "X-Test-Clients", clients);
        return client;
    }

    private static void AddIfGiven(HttpClient client, string header, string? value)
    {
        if (value is not null)
        {
            client.DefaultRequestHeaders.Add(header, value);
        }
    }
}

/// <summary>Reads a response for the assertions.</summary>
internal static class Responses
{
    /// <summary>The body, after checking the status code (the body is in the failure message).</summary>
    public static async Task<string> BodyAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        return body;
    }
}
