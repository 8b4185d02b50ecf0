namespace Orleans.Flyte.Api.Tests;

/// <summary>The OpenAPI document says, for every operation, its name, what it does, and what it can answer.</summary>
public sealed class OpenApiDocumentTests : ApiTestBase
{
    [Fact]
    public async Task Every_operation_is_named_summarized_tagged_and_every_project_route_lists_its_404()
    {
        var document = await Json(await Get("/openapi/v1.json"));
        var operations = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value!.AsObject())))
            .ToList();

        operations.Should().HaveCountGreaterThanOrEqualTo(39, "every endpoint of the API is described");
        foreach (var (path, method, operation) in operations)
        {
            var what = $"{method} {path}";
            (operation["operationId"]?.GetValue<string>()).Should().NotBeNullOrEmpty(what);
            (operation["summary"]?.GetValue<string>()).Should().NotBeNullOrEmpty(what);
            operation["tags"]!.AsArray().Should().NotBeEmpty(what);
            if (path.StartsWith("/api/v1/projects/{project}", StringComparison.Ordinal))
            {
                operation["responses"]!.AsObject().Select(r => r.Key).Should().Contain("404", what);
            }
        }

        var create = operations.Single(o => o.Method == "post" && o.Path == "/api/v1/projects/{project}/domains/{domain}/executions").Operation;
        create["responses"]!.AsObject().Select(r => r.Key).Should().BeEquivalentTo(["202", "400", "401", "403", "404", "409", "429", "500"]);
    }
}
