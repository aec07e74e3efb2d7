using System.Text;
using System.Text.Json;

namespace OrderLib;

/// <summary>
/// A run's input or output: one JSON value (object, array, string, number, true, false or null) kept as the text it was
/// given, at most <see cref="MaxBytes"/> bytes of UTF-8. A trigger's or an enqueue's input reaches the handler of every
/// run it creates (retries included); a handler's output is recorded with its success and read by the handlers of the
/// jobs downstream and through the API.
/// </summary>
public sealed class RunPayload : IEquatable<RunPayload>
{
    /// <summary>The largest payload accepted, in bytes of UTF-8: 65,536 (64 KiB).</summary>
    public const int MaxBytes = 65_536;

    private RunPayload(string json) => Json = json;

    /// <summary>The JSON text, exactly as given.</summary>
    public string Json { get; }

    /// <summary>Checks <paramref name="json"/> and wraps it.</summary>
    /// <param name="json">One JSON value (RFC 8259; comments and trailing commas are refused).</param>
    /// <param name="paramName">The input named in an error, e.g. <c>input</c> or <c>output</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="RunPayloadTooLargeException">The text is longer than <see cref="MaxBytes"/> bytes of UTF-8.</exception>
    /// <exception cref="OrderLibValidationException">The text is not one well-formed JSON value (the message says where it breaks), or holds a lone surrogate.</exception>
    public static RunPayload Parse(string json, string paramName = "payload")
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > MaxBytes)
        {
            throw new RunPayloadTooLargeException(paramName, bytes);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new OrderLibValidationException(paramName, $"The {paramName} is not valid JSON: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            // A lone surrogate: the text cannot become UTF-8 (nor be stored).
            throw new OrderLibValidationException(paramName, $"The {paramName} is not valid UTF-16 text: {ex.Message}");
        }

        return new RunPayload(json);
    }

    /// <summary>Serializes <paramref name="value"/> (System.Text.Json, web defaults unless <paramref name="options"/> are given) and wraps the text.</summary>
    /// <exception cref="RunPayloadTooLargeException">The text is longer than <see cref="MaxBytes"/> bytes of UTF-8.</exception>
    /// <exception cref="NotSupportedException">The value's type cannot be serialized.</exception>
    public static RunPayload From<T>(T value, JsonSerializerOptions? options = null) =>
        Parse(JsonSerializer.Serialize(value, options ?? JsonSerializerOptions.Web), "payload");

    /// <summary>Deserializes the payload (System.Text.Json, web defaults unless <paramref name="options"/> are given).</summary>
    /// <exception cref="JsonException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public T? Deserialize<T>(JsonSerializerOptions? options = null) =>
        JsonSerializer.Deserialize<T>(Json, options ?? JsonSerializerOptions.Web);

    /// <summary>The payload as a <see cref="JsonElement"/> that outlives any document.</summary>
    public JsonElement ToElement()
    {
        using var document = JsonDocument.Parse(Json);
        return document.RootElement.Clone();
    }

    /// <summary>True when both hold the same text (ordinal): payloads are compared as given, not as JSON values.</summary>
    public bool Equals(RunPayload? other) => other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RunPayload);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Json);

    /// <summary>Returns <see cref="Json"/>.</summary>
    public override string ToString() => Json;
}
