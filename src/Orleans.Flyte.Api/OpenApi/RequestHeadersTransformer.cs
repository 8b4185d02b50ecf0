using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orleans.Flyte.Api.Executions;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Api.LaunchPlans;

namespace Orleans.Flyte.Api.OpenApi;

/// <summary>
/// The headers handlers read from the request themselves (so the endpoint signatures do not show them): every
/// operation takes and answers <c>X-Correlation-Id</c> (<see cref="CallerContextMiddleware"/>), and the operations that
/// create runs take <c>Idempotency-Key</c>.
/// </summary>
public sealed class RequestHeadersTransformer : IOpenApiOperationTransformer
{
    private static readonly HashSet<string> s_idempotent = new(StringComparer.Ordinal)
    {
        nameof(ExecutionsApi.CreateExecution),
        nameof(ExecutionsApi.RelaunchExecution),
        nameof(ExecutionsApi.RecoverExecution),
        nameof(LaunchPlansApi.TriggerLaunchPlan),
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = CallerContextMiddleware.CorrelationHeader,
            In = ParameterLocation.Header,
            Description = "Ties this request to others of one piece of work; recorded on every event it causes. Generated when absent, and echoed in the response.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        if (operation.OperationId is { } id && s_idempotent.Contains(id))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyKey.Header,
                In = ParameterLocation.Header,
                Description = "Retrying with the same key returns the run the first call created instead of starting another; the same key with another body is a 409.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        foreach (var response in (operation.Responses ?? []).Values.OfType<OpenApiResponse>())
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            response.Headers[CallerContextMiddleware.CorrelationHeader] = new OpenApiHeader
            {
                Description = "The request's correlation id (the one sent, or the one generated).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        return Task.CompletedTask;
    }
}
