using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Orleans.Flyte.Api.Tests.Gpus;

namespace Orleans.Flyte.Api.Tests.Hostile;

/// <summary>
/// Odd but plausible input, as a new user sends it (issue 11): each case was found on the platform and answered 500,
/// hung, or was silently misread. Every answer must be a problem-details 4xx that points at the bad value, and the
/// platform must go on serving.
/// </summary>
public sealed class HostileInputTests : ApiTestBase
{
    private const string Node = "gpu-hostile-01";

    protected override IReadOnlyDictionary<string, string> Settings => TestInventory.Settings(Node, "whole", "mig:3g.20gb,1g.5gb");

    [Fact]
    public async Task A_NUL_in_a_cordon_reason_is_a_400_at_the_field_and_the_node_keeps_answering()
    {
        var refused = await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", """{"reason":"maintenance\u0000window"}""");
        await ShouldBeProblem(refused, HttpStatusCode.BadRequest, "/reason", "NUL");

        var watch = Stopwatch.StartNew();
        var cordoned = await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", """{"reason":"disk swap"}""");
        cordoned.StatusCode.Should().Be(HttpStatusCode.OK, await cordoned.Content.ReadAsStringAsync());
        var uncordoned = await PostJson($"/api/v1/gpu-nodes/{Node}/uncordon", """{"reason":"done"}""");
        uncordoned.StatusCode.Should().Be(HttpStatusCode.OK);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the node grain was not wedged by the refused reason");
        (await Json(uncordoned))["snapshot"]!["condition"]!.GetValue<string>().Should().Be("Schedulable");
    }

    [Fact]
    public async Task Free_text_may_hold_tabs_and_line_breaks_but_no_other_control_character_or_lone_surrogate()
    {
        (await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", """{"reason":"line one\nline two\tindented"}""")).StatusCode.Should().Be(HttpStatusCode.OK);
        await ShouldBeProblem(await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", """{"reason":"bell\u0007"}"""), HttpStatusCode.BadRequest, "/reason", "U+0007");
        await ShouldBeProblem(await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", """{"reason":"half \ud800 a pair"}"""), HttpStatusCode.BadRequest, "/reason", "Unicode");
        await ShouldBeProblem(await PostJson($"/api/v1/gpu-nodes/{Node}/cordon", $$"""{"reason":"{{new string('x', 70_000)}}"}"""), HttpStatusCode.BadRequest, "/reason", "at most");
    }

    [Fact]
    public async Task A_project_path_that_is_only_whitespace_is_a_404_problem_not_a_500()
    {
        await ShouldBeProblem(await Get("/api/v1/projects/%20"), HttpStatusCode.NotFound);
        await ShouldBeProblem(await Get("/api/v1/projects/%20/domains/development/executions"), HttpStatusCode.NotFound);
        await ShouldBeProblem(await PostJson("/api/v1/projects/%20/domains/development/executions", """{"workflow":"wf"}"""), HttpStatusCode.NotFound);
        await ShouldBeProblem(await Get("/api/v1/projects/UPPER_case"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_control_character_in_a_path_query_or_stored_header_is_a_400_that_says_where()
    {
        (await CreateProject("lab")).EnsureSuccessStatusCode();
        await ShouldBeProblem(await Get("/api/v1/projects/lab%01x"), HttpStatusCode.BadRequest, "path/project");
        await ShouldBeProblem(await Get("/api/v1/projects/lab/domains/development/executions?workflow=%00"), HttpStatusCode.BadRequest, "query/workflow");

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/projects/lab", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", "abc\tdef");
        await ShouldBeProblem(await Http.SendAsync(request), HttpStatusCode.BadRequest, "headers/X-Correlation-Id");
    }

    [Fact]
    public async Task An_unknown_field_is_a_400_that_names_it_and_suggests_the_closest_known_one()
    {
        (await CreateProject("lab")).EnsureSuccessStatusCode();
        var typo = await PostJson("/api/v1/projects/lab/domains/development/executions", """{"workflow":"wf","inptus":{"epochs":3}}""");
        await ShouldBeProblem(typo, HttpStatusCode.BadRequest, "/inptus", "did you mean 'inputs'");

        var project = await PostJson("/api/v1/projects", """{"name":"other","descripton":"typo"}""");
        await ShouldBeProblem(project, HttpStatusCode.BadRequest, "/descripton", "did you mean 'description'");
    }

    [Fact]
    public async Task A_missing_or_null_body_where_one_is_required_is_a_400()
    {
        await ShouldBeProblem(await PostJson("/api/v1/projects", string.Empty), HttpStatusCode.BadRequest);
        await ShouldBeProblem(await PostJson("/api/v1/projects", "null"), HttpStatusCode.BadRequest);
        await ShouldBeProblem(await PostJson("/api/v1/projects", "{\"name\":"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_NUL_in_a_yaml_spec_is_a_400_at_its_field()
    {
        (await CreateProject("lab")).EnsureSuccessStatusCode();
        var response = await Post("/api/v1/projects/lab/domains/development/tasks", """
            name: nul-task
            version: v1
            container: { image: "registry.local/ml/x:1", command: [sh, -c, "true"], env: { NOTE: "a\0b" } }
            """);
        await ShouldBeProblem(response, HttpStatusCode.BadRequest, "/container/env/NOTE", "NUL");
    }

    [Fact]
    public async Task The_node_and_capacity_views_write_slices_and_conditions_readably()
    {
        var node = await Get($"/api/v1/gpu-nodes/{Node}");
        var text = await node.Content.ReadAsStringAsync();
        text.Should().NotContain("{}", "a slice written as an empty object tells nobody anything");
        var view = JsonNode.Parse(text)!;
        view["snapshot"]!["condition"]!.GetValue<string>().Should().Be("Schedulable");

        var capacity = await (await Get("/api/v1/capacity")).Content.ReadAsStringAsync();
        capacity.Should().NotContain("[{},");
        JsonNode.Parse(capacity)!["nodes"]!.AsArray().Single()!["devices"]!.AsArray()
            .SelectMany(d => d!["slices"]!.AsArray()).Select(s => s!["profile"]!.GetValue<string>())
            .Should().BeEquivalentTo("mig-3g.20gb", "mig-1g.5gb");
    }

    private Task<HttpResponseMessage> PostJson(string path, string json) =>
        Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")));

    /// <summary>A problem-details answer with <paramref name="status"/>; with <paramref name="where"/>, its errors (or
    /// detail) name that place, and with <paramref name="says"/> the message says so.</summary>
    internal static async Task ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string? where = null, string? says = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
        var problem = JsonNode.Parse(body)!.AsObject();
        problem["status"]!.GetValue<int>().Should().Be((int)status);
        if (where is not null)
        {
            var errors = problem["errors"]?.AsObject();
            errors.Should().NotBeNull(body);
            errors!.Select(e => e.Key).Should().Contain(where, body);
            if (says is not null)
            {
                string.Join(" ", errors![where]!.AsArray().Select(m => m!.GetValue<string>())).Should().Contain(says, body);
            }
        }
    }
}
