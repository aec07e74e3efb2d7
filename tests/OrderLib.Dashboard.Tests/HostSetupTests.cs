using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Dashboard.Tests;

public sealed class HostSetupTests
{
    [Test]
    public async Task A_web_app_that_adds_only_OrderLib_and_the_dashboard_starts_and_serves_it()
    {
        // WebApplication adds UseAuthorization by itself once authorization services are registered, and that needs the
        // policy services too: AddDashboard must register them, not just the core ones, or start-up fails.
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddOrderLib(orderLib => orderLib.UseInMemory()).AddDashboard();
        await using var app = builder.Build();
        app.Use((http, next) =>
        {
            http.Connection.RemoteIpAddress = IPAddress.Loopback; // the in-memory server has no remote address
            return next(http);
        });
        app.MapOrderLibDashboard();
        await app.StartAsync();

        using var client = app.GetTestClient();
        var page = await (await client.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain("<h1>Overview</h1>"));
    }
}
