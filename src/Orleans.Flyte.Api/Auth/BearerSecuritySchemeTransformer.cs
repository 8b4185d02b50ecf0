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
