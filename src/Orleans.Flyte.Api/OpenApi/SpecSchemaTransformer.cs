using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Orleans.Flyte.Api.LaunchPlans;
using Orleans.Flyte.Api.Registry;

namespace Orleans.Flyte.Api.OpenApi;

/// <summary>
/// Spec bodies are read as YAML or JSON by the spec readers, so the endpoints only know "an object": this puts the
/// task, workflow and launch plan schemas (<see cref="SpecSchemas"/>) into the document's components and makes the
/// registration endpoints' request bodies refer to them.
/// </summary>
public sealed class SpecSchemaTransformer : IOpenApiDocumentTransformer
{
    private static readonly Dictionary<string, string> s_bodies = new(StringComparer.Ordinal)
    {
        [nameof(DefinitionsApi.RegisterTask)] = "TaskSpec",
        [nameof(DefinitionsApi.RegisterWorkflow)] = "WorkflowSpec",
        [nameof(LaunchPlansApi.RegisterLaunchPlan)] = "LaunchPlanSpec",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var component in SpecSchemas.Files.Keys)
        {
            var json = SpecSchemas.Read(component);
            json.Remove("$schema");
            json.Remove("$id");
            var schema = OpenApiModelFactory.Parse<OpenApiSchema>(json.ToJsonString(), OpenApiSpecVersion.OpenApi3_1, document, out _, "json")
                ?? throw new InvalidOperationException($"The {component} schema could not be read as an OpenAPI schema.");
            document.Components.Schemas[component] = schema;
        }

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            if (operation.OperationId is { } id && s_bodies.TryGetValue(id, out var component) && operation.RequestBody?.Content is { } content)
            {
                foreach (var mediaType in content.Values)
                {
                    mediaType.Schema = new OpenApiSchemaReference(component, document);
                }
            }
        }

        return Task.CompletedTask;
    }
}
