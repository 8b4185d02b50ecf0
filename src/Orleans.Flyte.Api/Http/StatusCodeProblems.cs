using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// Bare status codes (404 for unknown routes, 405, 415) as problem details. Routing answers 415 before any handler runs,
/// so the problem says here which media types the endpoint reads, taken from the endpoints' own metadata.
/// </summary>
public static class StatusCodeProblems
{
    public static async Task WriteAsync(StatusCodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        var problem = new ProblemDetailsContext { HttpContext = http, ProblemDetails = { Status = http.Response.StatusCode } };
        if (http.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            var accepted = Accepted(http);
            problem.ProblemDetails.Title = "Unsupported media type.";
            problem.ProblemDetails.Detail = $"Content-Type '{http.Request.ContentType ?? "none"}' is not accepted here; send the body as " +
                (accepted.Count == 0 ? "the endpoint documents (see /openapi/v1.json)." : $"{string.Join(" or ", accepted)}.");
            problem.ProblemDetails.Extensions["accepted"] = accepted;
        }

        await problems.TryWriteAsync(problem);
    }

    /// <summary>The request media types of the endpoints that match the request's method and path.</summary>
    private static List<string> Accepted(HttpContext http)
    {
        var path = (http.Request.Path.Value ?? "/").Trim('/').Split('/');
        return [.. http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase) == true
                && Matches(e.RoutePattern, path))
            .SelectMany(e => e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static bool Matches(RoutePattern pattern, string[] path)
    {
        var segments = pattern.PathSegments;
        if (segments.Count != path.Length)
        {
            return false;
        }

        for (var i = 0; i < segments.Count; i++)
        {
            var parts = segments[i].Parts;
            var literal = parts.Count == 1 && parts[0] is RoutePatternLiteralPart l ? l.Content : null;
            if (literal is not null && !string.Equals(literal, path[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}
