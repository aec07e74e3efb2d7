using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OrderLib;

// A host app as a user would write it, driven by configuration so each test picks the store and the dashboard's options:
//   OrderLib:Provider / ConnectionStrings:OrderLib or DATABASE_URL   the store (AddOrderLib(configuration));
//   Dashboard:Prefix, Dashboard:Policy, Dashboard:ActionsPolicy, Dashboard:ReadOnly, Dashboard:Clients (comma-separated).
// Test-only plumbing: the "X-Test-Remote-Ip" header sets the connection's remote address (the in-memory test server has
// none), and "X-Test-User" / "X-Test-Roles" / "X-Test-Clients" sign a user in through the "Test" scheme.
var builder = WebApplication.CreateBuilder(args);
var dashboardSettings = builder.Configuration.GetSection("Dashboard");
builder.Services
    .AddOrderLib(builder.Configuration, providers => providers.AddSqlite().AddPostgres().AddInMemory())
    .AddDashboard(dashboard =>
    {
        dashboard.AuthorizationPolicy = dashboardSettings["Policy"];
        dashboard.ActionsAuthorizationPolicy = dashboardSettings["ActionsPolicy"];
        dashboard.ReadOnly = dashboardSettings.GetValue<bool>("ReadOnly");
        if (dashboardSettings["Clients"] is { Length: > 0 } clients)
        {
            var configured = clients.Split(',').Select(client => new ClientId(client)).ToList();
            dashboard.VisibleClients = http => http.User.FindFirst("clients")?.Value is { } mine
                ? mine.Split(',').Select(client => new ClientId(client)).ToList()
                : configured;
        }
    });
builder.Services.AddAuthentication(TestUserHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestUserHandler>(TestUserHandler.SchemeName, null);
builder.Services.AddAuthorization(options =>
{
    options.AddPolicy("viewers", policy => policy.RequireAuthenticatedUser());
    options.AddPolicy("operators", policy => policy.RequireRole("operator"));
});

var app = builder.Build();
app.Use((http, next) =>
{
    if (http.Request.Headers.TryGetValue("X-Test-Remote-Ip", out var remote))
    {
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote.ToString());
    }

    return next(http);
});
app.MapOrderLibDashboard(dashboardSettings["Prefix"] ?? "/orderlib");
app.MapGet("/", () => "The dashboard test host; the dashboard is under /orderlib.");
await app.RunAsync();

/// <summary>Signs in the user the request's test headers name; anonymous without them.</summary>
internal sealed class TestUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue("X-Test-User", out var user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user.ToString()) };
        claims.AddRange(Request.Headers["X-Test-Roles"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(role => new Claim(ClaimTypes.Role, role)));
        if (Request.Headers.TryGetValue("X-Test-Clients", out var clients))
        {
            claims.Add(new Claim("clients", clients.ToString()));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
    }
}

/// <summary>The entry point WebApplicationFactory starts.</summary>
public partial class Program;
