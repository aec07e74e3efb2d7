using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrderLib.Dashboard.Rendering;
using OrderLib.Dashboard.Security;

namespace OrderLib.Dashboard;

/// <summary>What a confirmation page says before an action: its question, what will happen, any fields to fill, and where "back" leads.</summary>
/// <param name="Question">The page's title, e.g. <c>Cancel run 42?</c>.</param>
/// <param name="Description">What the action will do, to what.</param>
/// <param name="Fields">Form fields the action reads (e.g. a trigger's input), or <see cref="Html.Empty"/>.</param>
/// <param name="BackUrl">The page the user came from.</param>
internal sealed record ActionConfirmation(string Question, Html Description, Html Fields, string BackUrl);

/// <summary>
/// One action of the dashboard (trigger, cancel, retry, pause, resume) as two endpoints on one address: <c>GET</c> shows a
/// confirmation page with a form, <c>POST</c> (antiforgery-checked) performs it and redirects (303) to the page it
/// names with a <c>notice</c>. Refused for a read-only dashboard or a user without the actions policy (403), for a
/// missing or forged antiforgery token (400), and with the library's own message when it does not apply (404, 400, 409).
/// </summary>
/// <param name="Pattern">The route, e.g. <c>/runs/{id:long}/cancel</c>.</param>
/// <param name="Section">The navigation entry of its pages.</param>
/// <param name="Button">The confirm button's text, e.g. <c>Cancel run</c>.</param>
/// <param name="Dangerous">True to draw the button as destructive.</param>
/// <param name="DescribeAsync">Reads what the action applies to and says what it will do (throws the library's not-found error when it is not there).</param>
/// <param name="PerformAsync">Does it with the posted form; returns where to go, and which <see cref="DashboardNotices"/> entry to show there.</param>
internal sealed record DashboardAction(
    string Pattern,
    DashboardSection Section,
    string Button,
    bool Dangerous,
    Func<DashboardContext, Task<ActionConfirmation>> DescribeAsync,
    Func<DashboardContext, IFormCollection, Task<ActionOutcome>> PerformAsync)
{
    /// <summary>Maps the confirmation page and the action.</summary>
    public void Map(RouteGroupBuilder group)
    {
        Delegate confirm = async Task<IResult> (HttpContext http) =>
        {
            var dashboard = DashboardAccess.Context(http);
            if (!dashboard.CanAct)
            {
                return ReadOnlyPage(dashboard);
            }

            try
            {
                return ConfirmationPage(dashboard, await DescribeAsync(dashboard).ConfigureAwait(false), error: null, StatusCodes.Status200OK);
            }
            catch (OrderLibException exception)
            {
                return DashboardErrors.Page(dashboard, Section, exception);
            }
        };
        Delegate perform = async Task<IResult> (HttpContext http) =>
        {
            var dashboard = DashboardAccess.Context(http);
            if (!dashboard.CanAct)
            {
                return ReadOnlyPage(dashboard);
            }

            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                return new DashboardPage(dashboard, "Form expired", Section, Html.Of(
                    $"<div class=\"notice error\" role=\"alert\">The form did not come from this dashboard or has expired; nothing was done. Go back, reload the page and try again.</div>"))
                {
                    StatusCode = StatusCodes.Status400BadRequest,
                };
            }

            var form = await http.Request.ReadFormAsync(dashboard.Aborted).ConfigureAwait(false);
            try
            {
                var outcome = await PerformAsync(dashboard, form).ConfigureAwait(false);
                return new SeeOther(outcome.RedirectUrl(dashboard));
            }
            catch (OrderLibException exception)
            {
                ActionConfirmation confirmation;
                try
                {
                    confirmation = await DescribeAsync(dashboard).ConfigureAwait(false);
                }
                catch (OrderLibException)
                {
                    return DashboardErrors.Page(dashboard, Section, exception);
                }

                return ConfirmationPage(dashboard, confirmation, exception, DashboardErrors.StatusCodeOf(exception));
            }
        };
        group.MapGet(Pattern, confirm);
        group.MapPost(Pattern, perform);
    }

    private DashboardPage ConfirmationPage(DashboardContext dashboard, ActionConfirmation confirmation, OrderLibException? error, int statusCode)
    {
        var antiforgery = dashboard.Antiforgery;
        var content = Html.Of($"""
            {Html.If(error is not null, Html.Of($"<div class=\"notice error\" role=\"alert\"><strong>Refused.</strong> {error?.Message}</div>"))}
            <div class="confirmation">{confirmation.Description}</div>
            <form method="post" class="confirm-form">
            <input type="hidden" name="{antiforgery.FormFieldName}" value="{antiforgery.RequestToken}">
            {confirmation.Fields}
            <div class="actions">
            <button type="submit" class="{(Dangerous ? "danger" : "")}">{Button}</button>
            <a class="button secondary" href="{confirmation.BackUrl}">Back</a>
            </div>
            </form>
            """);
        return new DashboardPage(dashboard, confirmation.Question, Section, content) { StatusCode = statusCode };
    }

    private DashboardPage ReadOnlyPage(DashboardContext dashboard) =>
        new(dashboard, "Read-only", Section, Html.Of($"<div class=\"notice error\" role=\"alert\">This dashboard is read-only for you: actions are not available.</div>"))
        {
            StatusCode = StatusCodes.Status403Forbidden,
        };

    /// <summary>A 303 See Other to <see cref="Location"/>: the browser follows it with a GET.</summary>
    private sealed record SeeOther(string Location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = Location;
            return Task.CompletedTask;
        }
    }
}

/// <summary>Where an action leads once done: a dashboard page and the notice to show there.</summary>
/// <param name="Path">The page's path under the dashboard's root, e.g. <c>runs/42</c>.</param>
/// <param name="Notice">The key of a <see cref="DashboardNotices"/> entry.</param>
internal sealed record ActionOutcome(string Path, string Notice)
{
    /// <summary>The page's address with the notice.</summary>
    public string RedirectUrl(DashboardContext dashboard) => dashboard.Url(Path, [new(DashboardNotices.Parameter, Notice)]);
}

/// <summary>
/// The messages an action's redirect may show. The URL carries only a key from this fixed list, so a crafted link cannot
/// put words of its own on a dashboard page.
/// </summary>
internal static class DashboardNotices
{
    /// <summary>The query parameter that names the notice.</summary>
    public const string Parameter = "notice";

    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["triggered"] = "Triggered: the runs below were created or joined.",
        ["cancelled"] = "Cancelled.",
        ["cancel-requested"] = "Cancellation requested: the worker stops the run at its next heartbeat.",
        ["retried"] = "Retried: a new run was enqueued.",
        ["paused"] = "Paused: the job's runs wait until it is resumed.",
        ["resumed"] = "Resumed.",
    };

    /// <summary>The notice the request's query names, or nothing for no key or an unknown one.</summary>
    public static Html For(HttpContext http) =>
        Messages.TryGetValue(http.Request.Query[Parameter].ToString(), out var message)
            ? Html.Of($"<div class=\"notice done\" role=\"status\">{message}</div>")
            : Html.Empty;
}
