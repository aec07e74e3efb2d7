using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace OrderLib.Dashboard.Rendering;

/// <summary>
/// The stylesheet and script embedded in this assembly (the <c>Assets</c> folder), served by the dashboard itself with
/// an ETag and a long cache lifetime (their addresses carry the version).
/// </summary>
internal static class DashboardAssets
{
    private const string ResourcePrefix = "OrderLib.Dashboard.Assets.";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>Answers <c>GET assets/{file}</c>: the asset, 304 when the browser has it, 404 for any other name.</summary>
    public static IResult Serve(HttpContext http, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        DashboardHeaders.Apply(http.Response, cacheable: true);
        if (http.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            http.Response.Headers.ETag = asset.ETag;
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        http.Response.Headers.ETag = asset.ETag;
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToFrozenDictionary(name => name[ResourcePrefix.Length..], name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                var content = buffer.ToArray();
                return new Asset(content, ContentTypeOf(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
            }, StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
