using Microsoft.AspNetCore.Http;

namespace OrderLib.Dashboard.Rendering;

/// <summary>How the dashboard answers what it cannot show: the library's own message, with a status code that says why.</summary>
internal static class DashboardErrors
{
    /// <summary>A plain-text refusal, for requests refused before any page is drawn (access, unknown client).</summary>
    public static IResult Plain(int statusCode, string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: statusCode);

    /// <summary>The status code for an exception the library threw: 404 not found, 400 invalid input (a value breaking a rule, a payload too large), 409 refused.</summary>
    public static int StatusCodeOf(OrderLibException exception) => exception switch
    {
        JobNotFoundException or RunNotFoundException or PipelineRunNotFoundException => StatusCodes.Status404NotFound,
        OrderLibValidationException or RunPayloadTooLargeException => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status409Conflict,
    };

    /// <summary>A page that says what went wrong, in the library's words.</summary>
    public static DashboardPage Page(DashboardContext dashboard, DashboardSection section, OrderLibException exception) =>
        new(dashboard, StatusCodeOf(exception) == StatusCodes.Status404NotFound ? "Not found" : "Refused", section,
            Html.Of($"<div class=\"notice error\" role=\"alert\"><strong>{TitleOf(exception)}</strong> {exception.Message}</div>"))
        {
            StatusCode = StatusCodeOf(exception),
        };

    private static string TitleOf(OrderLibException exception) => StatusCodeOf(exception) switch
    {
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status400BadRequest => "Invalid input.",
        _ => "Refused.",
    };
}
