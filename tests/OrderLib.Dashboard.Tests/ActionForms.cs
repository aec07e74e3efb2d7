using System.Net;
using System.Text.RegularExpressions;

namespace OrderLib.Dashboard.Tests;

/// <summary>Drives an action as a browser does: GET its confirmation page, then POST the form with the page's antiforgery token and the cookie the client kept.</summary>
internal static partial class ActionForms
{
    /// <summary>The antiforgery field's name and token in a confirmation page.</summary>
    public static KeyValuePair<string, string> Token(string page)
    {
        var match = TokenInput().Match(page);
        Assert.That(match.Success, Is.True, "the page has an antiforgery field: " + page);
        return new(match.Groups["name"].Value, WebUtility.HtmlDecode(match.Groups["value"].Value));
    }

    /// <summary>GETs the confirmation page at <paramref name="url"/> (200) and POSTs its form with <paramref name="fields"/>.</summary>
    public static async Task<HttpResponseMessage> ConfirmAsync(this HttpClient client, string url, params (string Key, string Value)[] fields)
    {
        var page = await (await client.GetAsync(url)).BodyAsync(HttpStatusCode.OK);
        Assert.That(page, Does.Contain("<form method=\"post\""));
        return await client.PostAsync(url, new FormUrlEncodedContent([Token(page), .. fields.Select(field => KeyValuePair.Create(field.Key, field.Value))]));
    }

    /// <summary>POSTs <paramref name="fields"/> to <paramref name="url"/> without any antiforgery token.</summary>
    public static Task<HttpResponseMessage> PostWithoutTokenAsync(this HttpClient client, string url, params (string Key, string Value)[] fields) =>
        client.PostAsync(url, new FormUrlEncodedContent(fields.Select(field => KeyValuePair.Create(field.Key, field.Value))));

    /// <summary>The path and query of a redirect's Location.</summary>
    public static string Location(this HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        return response.Headers.Location!.OriginalString;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]+)\">")]
    private static partial Regex TokenInput();
}
