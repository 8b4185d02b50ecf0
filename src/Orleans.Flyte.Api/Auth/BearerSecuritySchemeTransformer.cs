using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Orleans.Flyte.Api.Auth;

/// <summary>
/// Declares the bearer scheme in the OpenAPI document (an OIDC JWT or a platform API token <c>oft_...</c>) and requires it
/// for every operation the document lists: the open endpoints (health, the document itself, the reference page, metrics)
/// are not in it.
/// </summary>
internal sealed class BearerSecuritySchemeTransformer : IOpenApiDocumentTransformer
{
    public const string SchemeName = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An OpenID Connect JWT from the organisation's identity provider, or a platform API token (oft_...). " +
                "The embedded default writes a cluster-admin token to .data/admin-token on first start.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        return Task.CompletedTask;
    }
}

/// <summary>Every operation may answer 401 (no, an invalid or an expired token); those with a permission rule also 403.</summary>
internal sealed class AccessResponsesTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No bearer token, or one that is invalid, expired or revoked (problem details; WWW-Authenticate: Bearer)." });
        var rule = context.Description.ActionDescriptor.EndpointMetadata.OfType<AccessRule>().LastOrDefault();
        if (rule is not { SignedIn: true })
        {
            operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The caller lacks the permission on the scope (problem details naming both)." });
        }

        return Task.CompletedTask;
    }
}
