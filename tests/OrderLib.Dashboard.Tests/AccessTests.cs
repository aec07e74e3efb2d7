using System.Net;

namespace OrderLib.Dashboard.Tests;

public sealed class AccessTests
{
    [Test]
    public async Task Without_a_policy_local_requests_see_the_overview_and_remote_ones_are_refused()
    {
        using var app = new DashboardApp();
        using var local = app.Local();
        var page = await (await local.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain("<h1>Overview</h1>"));

        using var remote = app.Remote();
        var refusal = await (await remote.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.Forbidden);
        Assert.That(refusal, Does.Contain("only local requests"));
        Assert.That(refusal, Does.Not.Contain("Overview"));
        await (await remote.GetAsync("/orderlib/assets/dashboard.css")).BodyAsync(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task With_a_policy_anonymous_users_are_challenged_others_forbidden_and_members_served_from_anywhere()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Policy"] = "operators" });
        using var anonymous = app.Local();
        Assert.That((await anonymous.GetAsync("/orderlib/")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var viewer = app.Local(user: "vera", roles: "viewer");
        Assert.That((await viewer.GetAsync("/orderlib/")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using var operatorFromAfar = app.Remote(user: "olga", roles: "operator");
        var page = await (await operatorFromAfar.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain("<h1>Overview</h1>"));
    }

    [Test]
    public void Mapping_with_a_policy_that_is_not_registered_fails_at_start_up_naming_it()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Policy"] = "no-such-policy" });
        var error = Assert.Throws<InvalidOperationException>(() => app.CreateClient());
        Assert.That(error!.Message, Does.Contain("'no-such-policy' is not registered"));
    }

    [Test]
    public async Task A_client_the_user_may_not_see_is_not_found_whatever_the_url_says()
    {
        using var app = new DashboardApp(new Dictionary<string, string?> { ["Dashboard:Clients"] = "acme,globex" });
        using var local = app.Local();
        var acme = await (await local.GetAsync("/orderlib/")).BodyAsync(HttpStatusCode.OK);
        Assert.That(acme, Does.Contain("client <span class=\"client\">acme</span>"));
        var globex = await (await local.GetAsync("/orderlib/?client=globex")).BodyAsync(HttpStatusCode.OK);
        Assert.That(globex, Does.Contain("client <span class=\"client\">globex</span>"));
        Assert.That(globex, Does.Contain("href=\"/orderlib/jobs?client=globex\""), "links keep the chosen client");
        await (await local.GetAsync("/orderlib/?client=initech")).BodyAsync(HttpStatusCode.NotFound);

        using var onlyAcme = app.Local(user: "ann", clients: "acme");
        await (await onlyAcme.GetAsync("/orderlib/?client=globex")).BodyAsync(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Pages_carry_a_strict_content_security_policy_and_are_not_cached_while_assets_are()
    {
        using var app = new DashboardApp();
        using var local = app.Local();
        var page = await local.GetAsync("/orderlib/");
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("script-src 'self'").And.Contain("frame-ancestors 'none'"));
        Assert.That(page.Headers.CacheControl!.NoStore, Is.True);

        var css = await local.GetAsync("/orderlib/assets/dashboard.css");
        Assert.That(css.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(css.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/css"));
        Assert.That(css.Headers.CacheControl!.MaxAge, Is.GreaterThan(TimeSpan.Zero));
        using var again = new HttpRequestMessage(HttpMethod.Get, "/orderlib/assets/dashboard.css");
        again.Headers.IfNoneMatch.Add(css.Headers.ETag!);
        Assert.That((await local.SendAsync(again)).StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That((await local.GetAsync("/orderlib/assets/other.js")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
