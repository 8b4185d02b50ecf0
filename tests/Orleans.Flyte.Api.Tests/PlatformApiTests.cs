using System.Net;

namespace Orleans.Flyte.Api.Tests;

public sealed class PlatformApiTests : ApiTestBase
{
    [Fact]
    public async Task Liveness_and_readiness_report_healthy_when_postgres_and_the_silo_are_up()
    {
        var live = await Get("/healthz");
        var ready = await Get("/readyz");

        live.StatusCode.Should().Be(HttpStatusCode.OK);
        ready.StatusCode.Should().Be(HttpStatusCode.OK);
        var report = await Json(ready);
        report["checks"]!["postgres"]!["status"]!.GetValue<string>().Should().Be("Healthy");
        report["checks"]!["silo"]!["status"]!.GetValue<string>().Should().Be("Healthy");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_registry_and_a_reference_page_is_served()
    {
        var document = await Json(await Get("/openapi/v1.json"));
        var reference = await Get("/docs");

        document["paths"]!.AsObject().Select(p => p.Key).Should().Contain(
            ["/api/v1/projects", "/api/v1/projects/{project}/domains/{domain}/tasks", "/api/v1/projects/{project}/domains/{domain}/workflows"]);
        reference.StatusCode.Should().Be(HttpStatusCode.OK);
        reference.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
    }

    [Fact]
    public async Task Unknown_routes_answer_with_problem_details()
    {
        var response = await Get("/api/v1/nothing-here");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_malformed_json_project_request_is_a_400_problem()
    {
        var response = await Post("/api/v1/projects", "{ not json", "application/json");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task The_correlation_id_of_a_request_is_echoed_and_recorded_on_its_events()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/projects")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { name = "audit-me" }),
        };
        request.Headers.Add("X-Correlation-Id", "ticket-1234");

        var response = await Http.SendAsync(request);

        response.Headers.GetValues("X-Correlation-Id").Should().Equal("ticket-1234");
        await using var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select data->'Meta'->>'CorrelationId' from flyte.mt_events where stream_id = 'project/audit-me'", connection);
        (await command.ExecuteScalarAsync()).Should().Be("ticket-1234");
    }
}
