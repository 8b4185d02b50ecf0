using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// Applies <see cref="TextPolicy"/> at the edge, before any handler runs: path values, query values, the headers that are
/// stored (<c>X-Correlation-Id</c>, <c>Idempotency-Key</c>) and every string and property name of a JSON body. It also
/// makes JSON bodies strict: a field the endpoint's request type does not have is a 400 that names it and suggests the
/// closest known one (a typo such as <c>inptus</c> would otherwise run with defaults). Every refusal is a 400 problem
/// whose <c>errors</c> are keyed by where the bad value is: a JSON pointer into the body, or <c>path/…</c>,
/// <c>query/…</c>, <c>headers/…</c>.
/// </summary>
public sealed class RequestTextGuard(RequestDelegate next, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    private static readonly string[] s_storedHeaders = [CallerContextMiddleware.CorrelationHeader, IdempotencyKey.Header];

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is string { Length: > 0 } blank && (string.IsNullOrWhiteSpace(blank) || blank.Trim().Length != blank.Length))
            {
                await Problems.NotFound($"Nothing is named '{blank}': a {key} name has no leading or trailing whitespace.").ExecuteAsync(context);
                return;
            }
        }

        var errors = new List<SpecError>();
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is string text && TextPolicy.Violation(text, freeForm: false, TextPolicy.MaxShortText) is { } why)
            {
                errors.Add(new SpecError($"path/{key}", $"the path value {why}"));
            }
        }

        foreach (var (key, values) in context.Request.Query)
        {
            Check(errors, $"query/{key}", key, "the query parameter name");
            foreach (var value in values)
            {
                Check(errors, $"query/{key}", value, "the query value");
            }
        }

        foreach (var header in s_storedHeaders)
        {
            foreach (var value in context.Request.Headers[header])
            {
                Check(errors, $"headers/{header}", value, "the header");
            }
        }

        if (errors.Count == 0 && HasJsonBody(context.Request))
        {
            if (context.Request.ContentLength > TextPolicy.MaxJsonBodyBytes)
            {
                await Problems.TooLarge($"The request body is {context.Request.ContentLength} bytes; JSON bodies may be at most {TextPolicy.MaxJsonBodyBytes}.").ExecuteAsync(context);
                return;
            }

            if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
                && mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                await Problems.UnsupportedMediaType($"JSON bodies are UTF-8; charset '{mediaType.Charset}' is not accepted.", ["application/json; charset=utf-8"]).ExecuteAsync(context);
                return;
            }

            context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: TextPolicy.MaxJsonBodyBytes);
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = TextPolicy.MaxJsonDepth }, cancellationToken: context.RequestAborted);
            }
            catch (IOException)
            {
                await Problems.TooLarge($"The request body is larger than {TextPolicy.MaxJsonBodyBytes} bytes, the most a JSON body may hold.").ExecuteAsync(context);
                return;
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
            {
                // ArgumentException: a field given twice.
                await Problems.BadRequest($"The request body is not valid JSON: {ex.Message}").ExecuteAsync(context);
                return;
            }

            context.Request.Body.Position = 0;
            var requestType = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            var typeInfo = requestType is null ? null : json.Value.SerializerOptions.GetTypeInfo(requestType);
            try
            {
                Walk(body, string.Empty, typeInfo, errors);
            }
            catch (ArgumentException ex)
            {
                // JsonObject materialises its fields lazily and refuses a field given twice only then.
                await Problems.BadRequest($"The request body is not valid JSON: {ex.Message}").ExecuteAsync(context);
                return;
            }
        }

        if (errors.Count > 0)
        {
            await Problems.InvalidSpec(errors, "The request holds values the platform does not accept.").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static void Check(List<SpecError> errors, string where, string? text, string what)
    {
        if (TextPolicy.Violation(text, freeForm: false, TextPolicy.MaxShortText) is { } why)
        {
            errors.Add(new SpecError(where, $"{what} {why}"));
        }
    }

    private static bool HasJsonBody(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        && request.HasJsonContentType()
        && request.ContentLength != 0;

    /// <summary>Checks every name and string of <paramref name="node"/>; where <paramref name="type"/> describes an object
    /// with fixed properties, also that each field is one of them.</summary>
    private void Walk(JsonNode? node, string pointer, JsonTypeInfo? type, List<SpecError> errors)
    {
        if (errors.Count >= 20)
        {
            return; // enough to say what is wrong
        }

        switch (node)
        {
            case JsonObject obj:
                var known = type is { Kind: JsonTypeInfoKind.Object } ? type.Properties : null;
                foreach (var (key, value) in obj)
                {
                    var at = JsonPointer.Append(pointer, key);
                    if (TextPolicy.Violation(key, freeForm: false, TextPolicy.MaxShortText) is { } badKey)
                    {
                        errors.Add(new SpecError(at, $"the field name {badKey}"));
                        continue;
                    }

                    var property = known?.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
                    if (known is not null && property is null)
                    {
                        errors.Add(new SpecError(at, UnknownFields.Message(key, [.. known.Select(p => p.Name)])));
                        continue;
                    }

                    var valueType = property is null ? null : json.Value.SerializerOptions.GetTypeInfo(property.PropertyType);
                    Walk(value, at, type is { Kind: JsonTypeInfoKind.Dictionary } ? null : valueType, errors);
                }

                break;
            case JsonArray array:
                var element = type is { Kind: JsonTypeInfoKind.Enumerable } ? ElementType(type.Type) : null;
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], JsonPointer.Append(pointer, i), element, errors);
                }

                break;
            case JsonValue value when TextPolicy.Violation(value) is { } why:
                errors.Add(new SpecError(pointer, why));
                break;
        }
    }

    private JsonTypeInfo? ElementType(Type enumerable)
    {
        var element = enumerable.IsArray
            ? enumerable.GetElementType()
            : enumerable.GetInterfaces().Append(enumerable)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        return element is null ? null : json.Value.SerializerOptions.GetTypeInfo(element);
    }
}
