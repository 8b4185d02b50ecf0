using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests.Responses;

/// <summary>What the execution endpoints answer: views a person can read, and errors that say what to do next.</summary>
public sealed class ExecutionResponseTests : ExecutionTestBase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("emit", "echo '{\"y\": 1}' > \"$FLYTE_OUTPUTS\"", "{ x: int }", "{ y: int }");
        await RegisterWorkflow("""
            name: once
            version: v1
            inputs: { x: int }
            nodes: [ { id: only, task: emit@v1, inputs: { x: "{{ inputs.x }}" } } ]
            """);
    }

    [Fact]
    public async Task Aborting_a_finished_execution_is_a_409_that_names_its_phase()
    {
        var id = await Submit("once@v1", new { x = 1 });
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");

        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{id}/abort", UriKind.Relative), new { reason = "too late" });

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await Json(response);
        problem["phase"]!.GetValue<string>().Should().Be("Succeeded");
        problem["detail"]!.GetValue<string>().Should().Contain("already finished").And.Contain("Succeeded").And.Contain("relaunch");
        (await Execution(id))["phase"]!.GetValue<string>().Should().Be("Succeeded", "nothing changed");
    }

    [Theory]
    [InlineData("/executions", "application/json")]
    [InlineData("/tasks", "application/yaml")]
    public async Task A_415_lists_the_content_types_the_endpoint_accepts(string path, string accepted)
    {
        var response = await Http.PostAsync(
            new Uri(Scope + path, UriKind.Relative), new StringContent("workflow=once", Encoding.UTF8, new MediaTypeHeaderValue("application/x-www-form-urlencoded")));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        var problem = await Json(response);
        problem.ContainsKey("accepted").Should().BeTrue(problem.ToJsonString());
        problem["accepted"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Contain(accepted);
        problem["detail"]!.GetValue<string>().Should().Contain(accepted).And.Contain("application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task Events_show_their_data_as_json_objects_with_each_events_hash_and_the_previous_one()
    {
        var id = await Submit("once@v1", new { x = 7 });
        await WaitForEnd(id);

        var items = (await Json(await Get($"{Scope}/executions/{id}/events")))["items"]!.AsArray().Select(i => i!.AsObject()).ToList();

        var accepted = items.Single(e => e["type"]!.GetValue<string>() == "ExecutionAccepted")["data"]!.AsObject();
        accepted["inputs"]!["x"]!.GetValue<int>().Should().Be(7, "inputs are an object, not JSON text");
        accepted.ContainsKey("inputsJson").Should().BeFalse();
        var queued = items.Single(e => e["type"]!.GetValue<string>() == "TaskQueued")["data"]!.AsObject();
        queued["taskSpec"].Should().BeOfType<JsonObject>().Which["name"]!.GetValue<string>().Should().Be("emit");
        var succeeded = items.Single(e => e["type"]!.GetValue<string>() == "AttemptSucceeded")["data"]!.AsObject();
        succeeded["outputs"]!["y"]!.GetValue<int>().Should().Be(1);

        foreach (var stream in items.GroupBy(e => e["stream"]!.GetValue<string>()))
        {
            var previous = new string('0', 64);
            foreach (var e in stream.OrderBy(e => e["version"]!.GetValue<long>()))
            {
                e["hash"]!.GetValue<string>().Should().MatchRegex("^[0-9a-f]{64}$");
                if (e["version"]!.GetValue<long>() > 1)
                {
                    e["previousHash"]!.GetValue<string>().Should().Be(previous, $"{stream.Key} v{e["version"]} links to the event before it");
                }

                previous = e["hash"]!.GetValue<string>();
            }
        }
    }
}
