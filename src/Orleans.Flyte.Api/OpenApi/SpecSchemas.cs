using System.Reflection;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.OpenApi;

/// <summary>
/// The JSON Schemas of the documents engineers write (task, workflow, launch plan). Their source is
/// <c>docs/schemas/*.schema.json</c>, published there for editors and embedded here, so the OpenAPI document and the
/// files are the same text.
/// </summary>
public static class SpecSchemas
{
    /// <summary>Component name in the OpenAPI document → file name under docs/schemas.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["TaskSpec"] = "task.schema.json",
        ["WorkflowSpec"] = "workflow.schema.json",
        ["LaunchPlanSpec"] = "launchplan.schema.json",
    };

    /// <summary>The schema as published (with <c>$schema</c> and <c>$id</c>).</summary>
    public static JsonObject Read(string component)
    {
        var file = Files[component];
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("schemas/" + file)
            ?? throw new InvalidOperationException($"The schema {file} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
