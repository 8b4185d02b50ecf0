using System.Net;
using System.Net.Http.Json;

namespace Orleans.Flyte.Api.Tests;

public sealed class ExecutionApiTests : ExecutionTestBase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("inc", "echo \"{\\\"y\\\": $((FLYTE_INPUT_X + 1))}\" > \"$FLYTE_OUTPUTS\"", "{ x: int }", "{ y: int }");
        await RegisterTask("add", "echo \"{\\\"sum\\\": $((FLYTE_INPUT_A + FLYTE_INPUT_B))}\" > \"$FLYTE_OUTPUTS\"", "{ a: int, b: int }", "{ sum: int }");
        await RegisterWorkflow("""
            name: diamond
            version: v1
            inputs: { x: int }
            nodes:
              - { id: top, task: inc@v1, inputs: { x: "{{ inputs.x }}" } }
              - { id: left, task: inc@v1, inputs: { x: "{{ nodes.top.outputs.y }}" } }
              - { id: right, task: inc@v1, inputs: { x: "{{ nodes.top.outputs.y }}" } }
              - { id: bottom, task: add@v1, inputs: { a: "{{ nodes.left.outputs.y }}", b: "{{ nodes.right.outputs.y }}" } }
            outputs: { result: "{{ nodes.bottom.outputs.sum }}" }
            """);
    }

    [Fact]
    public async Task A_diamond_workflow_passes_data_along_its_edges_and_resolves_its_outputs()
    {
        var id = await Submit("diamond@v1", new { x = 1 });

        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        Node(done, "top")["outputs"]!["y"]!.GetValue<int>().Should().Be(2);
        Node(done, "left")["inputs"]!["x"]!.GetValue<int>().Should().Be(2);
        Node(done, "bottom")["outputs"]!["sum"]!.GetValue<int>().Should().Be(6);
        done["outputs"]!["result"]!.GetValue<int>().Should().Be(6);
        Node(done, "bottom")["attempts"]!.AsArray().Should().ContainSingle().Which!["outcome"]!.GetValue<string>().Should().Be("Succeeded");
    }

    [Fact]
    public async Task Create_returns_202_with_the_id_and_location_before_the_work_is_done()
    {
        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "diamond", inputs = new { x = 5 } });

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var body = await Json(response);
        var id = body["id"]!.GetValue<string>();
        response.Headers.Location!.ToString().Should().Be($"{Scope}/executions/{id}");
        body["workflow"]!.GetValue<string>().Should().Be("diamond@v1", "the latest version is pinned at launch");
        (await WaitForEnd(id))["outputs"]!["result"]!.GetValue<int>().Should().Be(14);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_execution_and_a_different_body_is_a_conflict()
    {
        var first = await Submit("diamond@v1", new { x = 1 }, idempotencyKey: "nightly-2026-11-28");
        var again = await Submit("diamond@v1", new { x = 1 }, idempotencyKey: "nightly-2026-11-28");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Scope}/executions")
        {
            Content = JsonContent.Create(new { workflow = "diamond@v1", inputs = new { x = 2 } }),
        };
        request.Headers.Add("Idempotency-Key", "nightly-2026-11-28");
        var conflict = await Http.SendAsync(request);

        again.Should().Be(first);
        conflict.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var list = await Json(await Get($"{Scope}/executions"));
        list["items"]!.AsArray().Should().ContainSingle();
    }

    [Theory]
    [InlineData("""{"workflow": "diamond@v1", "inputs": {"x": "one"}}""", "/inputs/x")]
    [InlineData("""{"workflow": "diamond@v1", "inputs": {}}""", "/inputs/x")]
    [InlineData("""{"workflow": "diamond@v1", "inputs": {"x": 1, "y": 2}}""", "/inputs/y")]
    [InlineData("""{"workflow": "diamond@v9", "inputs": {"x": 1}}""", "/workflow")]
    [InlineData("""{"inputs": {"x": 1}}""", "/workflow")]
    public async Task Bad_submissions_are_400_with_a_pointer_and_create_nothing(string body, string pointer)
    {
        var events = await StoredEventCount();

        var response = await Post($"{Scope}/executions", body, "application/json");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(response))["errors"]!.AsObject().Should().ContainKey(pointer);
        (await StoredEventCount()).Should().Be(events);
    }

    [Fact]
    public async Task Listing_filters_by_workflow_and_phase_and_pages_with_a_cursor()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Submit("diamond@v1", new { x = i }));
        }

        foreach (var id in ids)
        {
            await WaitForEnd(id);
        }

        var first = await Json(await Get($"{Scope}/executions?workflow=diamond&phase=Succeeded&limit=2"));
        var second = await Json(await Get($"{Scope}/executions?workflow=diamond&phase=succeeded&limit=2&cursor={first["nextCursor"]!.GetValue<string>()}"));
        var third = await Json(await Get($"{Scope}/executions?workflow=diamond&limit=2&cursor={second["nextCursor"]!.GetValue<string>()}"));
        var none = await Json(await Get($"{Scope}/executions?workflow=other"));
        var badPhase = await Get($"{Scope}/executions?phase=Sleeping");

        var paged = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Concat(third["items"]!.AsArray())
            .Select(e => e!["id"]!.GetValue<string>()).ToList();
        paged.Should().Equal(Enumerable.Reverse(ids), "newest first, each exactly once");
        third["nextCursor"].Should().BeNull();
        none["items"]!.AsArray().Should().BeEmpty();
        badPhase.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_cursor_the_api_never_returned_is_a_400_that_names_the_cursor()
    {
        static string Token(string text) =>
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var validId = "e" + new string('a', 19);
        string[] cursors =
        [
            "not base64!",
            Token("12345:not-an-execution-id"),
            Token($"{DateTimeOffset.MaxValue.UtcTicks + 1}:{validId}"), // an instant past the calendar's end
        ];

        foreach (var cursor in cursors)
        {
            var response = await Get($"{Scope}/executions?cursor={Uri.EscapeDataString(cursor)}");

            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, cursor);
            (await Json(response))["errors"]!.AsObject().Should().ContainKey("cursor");
        }
    }

    [Fact]
    public async Task The_timeline_shows_every_event_of_the_execution_and_its_nodes_in_order()
    {
        var id = await Submit("diamond@v1", new { x = 1 });
        await WaitForEnd(id);

        var timeline = (await Json(await Get($"{Scope}/executions/{id}/events")))["items"]!.AsArray();

        var types = timeline.Select(e => e!["type"]!.GetValue<string>()).ToList();
        types.First().Should().Be("ExecutionAccepted");
        types.Last().Should().Be("ExecutionSucceeded");
        types.Should().Contain(["TaskQueued", "AttemptLaunched", "AttemptSucceeded", "NodeReady", "NodeSucceeded"]);
        timeline.Select(e => e!["sequence"]!.GetValue<long>()).Should().BeInAscendingOrder();
        timeline.Should().OnlyContain(e => e!["principal"]!.GetValue<string>().Length > 0);
    }

    [Fact]
    public async Task Relaunch_runs_the_same_inputs_and_versions_as_a_new_execution()
    {
        var id = await Submit("diamond@v1", new { x = 3 });
        await WaitForEnd(id);

        var response = await Http.PostAsync(new Uri($"{Scope}/executions/{id}/relaunch", UriKind.Relative), null);

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var relaunched = await WaitForEnd((await Json(response))["id"]!.GetValue<string>());
        relaunched["id"]!.GetValue<string>().Should().NotBe(id);
        relaunched["relaunchOf"]!.GetValue<string>().Should().Be(id);
        relaunched["inputs"]!["x"]!.GetValue<int>().Should().Be(3);
        relaunched["outputs"]!["result"]!.GetValue<int>().Should().Be(10);
    }

    [Fact]
    public async Task Unknown_executions_are_404_problems()
    {
        var response = await Get($"{Scope}/executions/enotanexecution00000");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }
}
