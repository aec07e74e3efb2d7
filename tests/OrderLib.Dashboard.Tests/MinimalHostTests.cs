using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace OrderLib.Dashboard.Tests;

/// <summary>A host app with nothing but the two calls the documentation shows: no authentication, authorization or antiforgery of its own.</summary>
public sealed class MinimalHostTests
{
    [Test]
    public async Task AddDashboard_and_MapOrderLibDashboard_alone_serve_the_pages_and_accept_an_action()
    {
        await using var app = await StartAsync(services => services.AddOrderLib(o => o.UseInMemory()).AddDashboard());
        using var client = app.GetTestClient();
        var job = await app.Services.GetRequiredService<IOrderLib>().Jobs.CreateAsync(new JobDefinition("only-job"));

        var overview = await (await client.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(overview, Does.Contain("<h1>Overview</h1>"));
        using var confirmationResponse = await client.GetAsync($"/orderlib/jobs/{job.Id.Value}/pause");
        var confirmation = await confirmationResponse.BodyAsync(HttpStatusCode.OK);
        var token = Regex.Match(confirmation, "name=\"(__RequestVerificationToken[^\"]*)\" value=\"([^\"]+)\"");
        Assert.That(token.Success, Is.True, confirmation);
        var cookie = confirmationResponse.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)).Split(';')[0];

        using var form = new FormUrlEncodedContent([new(token.Groups[1].Value, token.Groups[2].Value)]);
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/orderlib/jobs/{job.Id.Value}/pause") { Content = form };
        post.Headers.Add("Cookie", cookie);
        using var done = await client.SendAsync(post);

        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), await done.Content.ReadAsStringAsync());
        Assert.That(done.Headers.Location!.ToString(), Is.EqualTo($"/orderlib/jobs/{job.Id.Value}?notice=paused"));
        Assert.That((await app.Services.GetRequiredService<IOrderLib>().Jobs.GetAsync(job.Id)).PausedAt, Is.Not.Null);
    }

    [Test]
    public void Mapping_without_AddDashboard_fails_naming_the_call_to_add()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await StartAsync(services => services.AddOrderLib(o => o.UseInMemory())));
        Assert.That(error!.Message, Does.Contain("AddDashboard()"));
    }

    private static async Task<WebApplication> StartAsync(Action<IServiceCollection> configure)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        configure(builder.Services);
        var app = builder.Build();
        app.Use((http, next) =>
        {
            http.Connection.RemoteIpAddress = IPAddress.Loopback; // the in-memory server has no remote address
            return next(http);
        });
        app.MapOrderLibDashboard();
        await app.StartAsync();
        return app;
    }
}
