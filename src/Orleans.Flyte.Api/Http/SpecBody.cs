using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Http;

/// <summary>A spec document read from a request body, or why it could not be read.</summary>
/// <param name="Unreadable">415 (media type), 413 (size) or 400 (empty body).</param>
/// <param name="Invalid">400: the body is not well-formed YAML or JSON, with where it breaks.</param>
public sealed record SpecBodyRead(JsonObject? Document, ProblemHttpResult? Unreadable = null, ValidationProblem? Invalid = null);

/// <summary>Reads a spec document (YAML or JSON) from a request body, bounded in size.</summary>
public static class SpecBody
{
    public static async Task<SpecBodyRead> ReadDocumentAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (text, format, error) = await ReadAsync(request, request.HttpContext.RequestAborted);
        if (error is not null)
        {
            return new SpecBodyRead(null, Unreadable: error);
        }

        var parsed = SpecDocument.Parse(text!, format);
        if (!parsed.IsValid)
        {
            return new SpecBodyRead(null, Invalid: Problems.InvalidSpec(parsed.Errors, "The document could not be read."));
        }

        // YAML can carry what JSON bodies are checked for at the edge (RequestTextGuard): "\0" is a NUL in YAML too.
        var errors = new List<SpecError>();
        TextPolicy.Check(parsed.Value, string.Empty, errors);
        return errors.Count == 0
            ? new SpecBodyRead(parsed.Value)
            : new SpecBodyRead(null, Invalid: Problems.InvalidSpec(errors, "The spec holds values the platform does not accept."));
    }

    private static async Task<(string? Text, SpecFormat Format, ProblemHttpResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? string.Empty;
        SpecFormat? format = mediaType switch
        {
            "application/json" or "text/json" => SpecFormat.Json,
            "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml" => SpecFormat.Yaml,
            "" or "text/plain" or "application/octet-stream" => SpecFormat.Auto,
            _ => null,
        };
        if (format is null)
        {
            return (null, SpecFormat.Auto, Problems.UnsupportedMediaType(
                $"Content-Type '{mediaType}' is not accepted; send the spec as {string.Join(" or ", MediaTypes.Specs)}.",
                MediaTypes.Specs));
        }

        if (request.ContentLength > SpecDocument.MaxBytes)
        {
            return (null, format.Value, TooLarge(request.ContentLength.Value));
        }

        // Read at most one byte past the limit, whatever Content-Length claimed.
        var buffer = new byte[SpecDocument.MaxBytes + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read > SpecDocument.MaxBytes)
        {
            return (null, format.Value, TooLarge(null));
        }

        if (read == 0)
        {
            return (null, format.Value, Problems.BadRequest("The request body is empty; send a task or workflow spec as YAML or JSON."));
        }

        return (Encoding.UTF8.GetString(buffer, 0, read), format.Value, null);
    }

    private static ProblemHttpResult TooLarge(long? length) => Problems.TooLarge(
        $"The spec is {(length is null ? "larger than the limit" : $"{length} bytes")}; specs may be at most {SpecDocument.MaxBytes} bytes. " +
        "Move large values (data, scripts) into the container image or an input.");
}
