using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Orleans.Flyte.Api.OpenApi;

/// <summary>
/// Every error the API returns is RFC 9457 problem details: every error response of every operation says so (content
/// <c>application/problem+json</c>), and every operation declares the 500 any request may get.
/// </summary>
public sealed class ProblemResponseTransformer : IOpenApiOperationTransformer
{
    public const string ProblemJson = "application/problem+json";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        operation.Responses ??= [];
        var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken);
        if (!operation.Responses.ContainsKey("500"))
        {
            operation.Responses["500"] = new OpenApiResponse { Description = "Unexpected failure (problem details; the log has the trace id)." };
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (!int.TryParse(status, out var code) || code < StatusCodes.Status400BadRequest || response is not OpenApiResponse concrete)
            {
                continue;
            }

            concrete.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
            if (!concrete.Content.ContainsKey(ProblemJson))
            {
                concrete.Content[ProblemJson] = new OpenApiMediaType { Schema = problem };
            }

            if (string.IsNullOrEmpty(concrete.Description))
            {
                concrete.Description = ReasonPhrases.GetReasonPhrase(code);
            }
        }
    }
}
