using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// RFC 9457 problem details for every error the API returns. Validation errors are keyed by the JSON
/// pointer of the offending field, so a client (or a person) can find it in the document it sent.
/// </summary>
public static class Problems
{
    public static ValidationProblem InvalidSpec(IEnumerable<SpecError> errors, string title = "The spec is not valid.") =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Pointer, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal),
            detail: string.Join("; ", errors.Select(e => $"{(e.Pointer.Length == 0 ? "/" : e.Pointer)}: {e.Message}")),
            title: title);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict.", extensions: extensions);

    public static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.");

    /// <param name="accepted">The media types the endpoint reads, also as the problem's <c>accepted</c> member.</param>
    public static ProblemHttpResult UnsupportedMediaType(string detail, IReadOnlyList<string> accepted) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
            extensions: new Dictionary<string, object?> { ["accepted"] = accepted });

    /// <summary>429 with <c>Retry-After</c> (whole seconds) set on <paramref name="response"/> and as the problem's
    /// <c>retryAfterSeconds</c> member.</summary>
    public static ProblemHttpResult TooManyRequests(HttpResponse response, string detail, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(response);
        var seconds = (long)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.",
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
    }

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request.");
}
