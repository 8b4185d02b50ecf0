using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Orleans.Flyte.Api.OpenApi;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>
/// The OpenAPI document, read with Microsoft.OpenApi as a client generator would: every operation says what it answers
/// (a success, problem details for every error, the 500 any call may get), which headers it reads, and the spec
/// bodies have real schemas, which the examples in docs/examples satisfy.
/// </summary>
public sealed class OpenApiContractTests : ApiTestBase
{
    [Fact]
    public async Task Every_operation_declares_its_success_problem_details_for_each_error_and_the_headers_it_reads()
    {
        var document = await LoadDocument();

        var operations = document.Paths.Where(p => p.Key.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.Operations!.Select(o => (What: $"{o.Key} {p.Key}", Operation: o.Value))).ToList();
        operations.Should().HaveCountGreaterThanOrEqualTo(42);
        foreach (var (what, operation) in operations)
        {
            var responses = operation.Responses!;
            responses.Keys.Should().Contain(k => k.StartsWith('2'), what);
            responses.Keys.Should().Contain("500", what);
            foreach (var (status, response) in responses.Where(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture) >= 400))
            {
                response.Content.Should().ContainKey("application/problem+json", $"{what} answers {status} as problem details");
                response.Description.Should().NotBeNullOrEmpty($"{what} {status}");
            }

            operation.Parameters.Should().Contain(p => p.Name == "X-Correlation-Id" && p.In == ParameterLocation.Header, what);
        }

        var submit = Operation(document, "/api/v1/projects/{project}/domains/{domain}/executions", HttpMethod.Post);
        submit.Responses!.Keys.Should().Contain("202").And.NotContain("200", "a submission is accepted, not done");
        submit.Responses["202"].Content!["application/json"].Schema.Should().NotBeNull();
        submit.Parameters.Should().Contain(p => p.Name == "Idempotency-Key" && p.In == ParameterLocation.Header);
        Operation(document, "/api/v1/projects/{project}/domains/{domain}/launchplans/{name}/trigger", HttpMethod.Post)
            .Parameters.Should().Contain(p => p.Name == "Idempotency-Key");
        Operation(document, "/api/v1/projects/{project}/domains/{domain}/executions/{id}/abort", HttpMethod.Post)
            .Responses!.Keys.Should().Contain("409", "aborting a finished execution is a conflict");
        var upload = Operation(document, "/api/v1/projects/{project}/domains/{domain}/artifacts", HttpMethod.Post);
        upload.Responses!.Keys.Should().Contain(["201", "400", "413"], "an upload is stored, refused for its format, or too large");
        upload.Responses["201"].Content!["application/json"].Schema.Should().NotBeNull();
        upload.RequestBody!.Content.Should().ContainKey("application/octet-stream", "the body is the file's bytes");
        Operation(document, "/api/v1/capacity", HttpMethod.Get)
            .Parameters.Should().Contain(p => p.Name == "asOf" && p.In == ParameterLocation.Query, "capacity answers as of an instant too");
        var schemas = document.Components!.Schemas!;
        schemas["VerifyRequest"].Properties!.Keys.Should().Contain("cursor", "a long verify goes on from the cursor of its last part");
        schemas["VerifyReport"].Properties!.Keys.Should().Contain("next");
        schemas["LeaseHolder"].Properties!.Keys.Should().Contain("principal", "who held a slice includes for whom");
    }

    [Theory]
    [InlineData("/tasks", "TaskSpec")]
    [InlineData("/workflows", "WorkflowSpec")]
    [InlineData("/launchplans", "LaunchPlanSpec")]
    public async Task Spec_bodies_refer_to_the_published_schema_of_their_kind(string path, string component)
    {
        var document = await Json(await Get("/openapi/v1.json"));

        var content = document["paths"]![$"/api/v1/projects/{{project}}/domains/{{domain}}{path}"]!["post"]!["requestBody"]!["content"]!.AsObject();
        content.Select(c => c.Key).Should().BeEquivalentTo(["application/yaml", "application/json"]);
        content.Select(c => c.Value!["schema"]!["$ref"]!.GetValue<string>()).Should().AllBe($"#/components/schemas/{component}");
        var published = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Checkout.Root, "docs", "schemas", SpecSchemas.Files[component])))!.AsObject();
        var inDocument = document["components"]!["schemas"]![component]!.AsObject();
        inDocument["required"]!.AsArray().Select(r => r!.GetValue<string>()).Should().Equal(published["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        inDocument["properties"]!.AsObject().Select(p => p.Key).Should().Equal(published["properties"]!.AsObject().Select(p => p.Key));
        JsonNode.DeepEquals(SpecSchemas.Read(component), published).Should().BeTrue("the document embeds the published file");
    }

    [Fact]
    public async Task Every_example_validates_against_its_spec_schema_and_a_broken_one_does_not()
    {
        var examples = Directory.GetFiles(Path.Combine(Checkout.Root, "docs", "examples"), "*.yaml");
        examples.Should().NotBeEmpty();
        foreach (var file in examples)
        {
            var document = Parsed(await File.ReadAllTextAsync(file));
            var result = Schema(KindOf(document)).Evaluate(JsonSerializer.SerializeToElement(document), new EvaluationOptions { OutputFormat = OutputFormat.List });
            result.IsValid.Should().BeTrue($"{Path.GetFileName(file)} is valid: {Describe(result)}");
        }

        var broken = Parsed((await File.ReadAllTextAsync(Path.Combine(Checkout.Root, "docs", "examples", "train-model.yaml")))
            .Replace("retries: 2", "retries: many\nretry: 2", StringComparison.Ordinal));
        Schema("TaskSpec").Evaluate(JsonSerializer.SerializeToElement(broken)).IsValid.Should().BeFalse("a wrong type and an unknown field are caught");
    }

    private async Task<OpenApiDocument> LoadDocument()
    {
        await using var stream = await (await Get("/openapi/v1.json")).Content.ReadAsStreamAsync();
        var read = await OpenApiDocument.LoadAsync(stream, "json");
        read.Diagnostic!.Errors.Should().BeEmpty();
        return read.Document!;
    }

    private static OpenApiOperation Operation(OpenApiDocument document, string path, HttpMethod method) => document.Paths[path].Operations![method];

    private static JsonObject Parsed(string yaml) => SpecDocument.Parse(yaml, SpecFormat.Yaml).Value!;

    private static string KindOf(JsonObject document) =>
        document.ContainsKey("workflow") ? "LaunchPlanSpec" : document.ContainsKey("nodes") ? "WorkflowSpec" : "TaskSpec";

    /// <summary>Each schema built once: JsonSchema.Net registers a schema under its $id, and refuses to register it twice.</summary>
    private static readonly Dictionary<string, JsonSchema> s_schemas = SpecSchemas.Files.Keys.ToDictionary(
        c => c, c => JsonSchema.FromText(SpecSchemas.Read(c).ToJsonString()), StringComparer.Ordinal);

    private static JsonSchema Schema(string component) => s_schemas[component];

    private static string Describe(EvaluationResults result) => string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null)
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}
