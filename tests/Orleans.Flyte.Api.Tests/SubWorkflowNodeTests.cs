using System.Net;
using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>
/// Sub-workflow and launch-plan nodes end to end (issue 17): real processes through the local runner, HTTP only. A child
/// is an execution of its own, linked both ways (the node's <c>childExecutionId</c>, the child's <c>parent</c>).
/// </summary>
public sealed class SubWorkflowNodeTests : ExecutionTestBase
{
    // The child: two steps, so a recover can reuse the first and rerun the second.
    private const string Prep = """
        name: prep
        version: v1
        inputs: { dir: string, what: { type: string, default: prep } }
        nodes:
          - { id: a, task: mark@v1, inputs: { dir: "{{ inputs.dir }}", what: "{{ inputs.what }}" } }
          - { id: b, task: mark@v1, inputs: { dir: "{{ inputs.dir }}", what: "{{ nodes.a.outputs.what }}-b" } }
        outputs: { what: "{{ nodes.b.outputs.what }}" }
        """;

    private const string Pipeline = """
        name: pipeline
        version: v1
        inputs: { dir: string }
        nodes:
          - { id: prep, workflow: prep@v1, inputs: { dir: "{{ inputs.dir }}" } }
          - { id: after, task: mark@v1, inputs: { dir: "{{ inputs.dir }}", what: "after-{{ nodes.prep.outputs.what }}" } }
        outputs: { result: "{{ nodes.after.outputs.what }}" }
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("mark", """
            if [ -e "$FLYTE_INPUT_DIR/hold-$FLYTE_INPUT_WHAT" ]; then sleep 60; fi
            if [ -e "$FLYTE_INPUT_DIR/fail-$FLYTE_INPUT_WHAT" ]; then exit 1; fi
            echo "$FLYTE_INPUT_WHAT" >> "$FLYTE_INPUT_DIR/ran"
            echo "{\"what\": \"$FLYTE_INPUT_WHAT\"}" > "$FLYTE_OUTPUTS"
            """, "{ dir: string, what: string }", "{ what: string }");
        await RegisterTask("count", "echo '{\"n\": 1}' > \"$FLYTE_OUTPUTS\"", "{ n: int }", "{ n: int }");
        await RegisterWorkflow(Prep);
        await RegisterWorkflow(Pipeline);
    }

    private string[] Ran => File.Exists(Path.Combine(Scratch, "ran")) ? File.ReadAllLines(Path.Combine(Scratch, "ran")) : [];

    private static string Text(JsonNode? node) => node!.GetValue<string>();

    private void Flag(string name) => File.WriteAllText(Path.Combine(Scratch, name), "x");

    private void Unflag(string name) => File.Delete(Path.Combine(Scratch, name));

    [Fact]
    public async Task A_sub_workflow_runs_as_a_child_execution_linked_both_ways_and_its_outputs_flow_downstream()
    {
        var done = await WaitForEnd(await Submit("pipeline@v1", new { dir = Scratch }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!.ToJsonString().Should().Be("""{"result":"after-prep-b"}""");
        Ran.Should().Equal("prep", "prep-b", "after-prep-b");
        var prep = Node(done, "prep");
        prep["task"]!.GetValue<string>().Should().Be("prep@v1");
        prep["outputs"]!.ToJsonString().Should().Be("""{"what":"prep-b"}""");
        var childId = Text(prep["childExecutionId"]);

        var child = await Execution(childId);
        child["phase"]!.GetValue<string>().Should().Be("Succeeded");
        child["workflow"]!.GetValue<string>().Should().Be("prep@v1");
        child["parent"]!.ToJsonString().Should().Be(new JsonObject { ["executionId"] = done["id"]!.DeepClone(), ["node"] = "prep" }.ToJsonString());
        child["inputs"]!.ToJsonString().Should().Be(new JsonObject { ["dir"] = Scratch, ["what"] = "prep" }.ToJsonString(), "the child's defaults fill what the node does not bind");
        done["parent"].Should().BeNull();

        // Listings say which executions are children, and list one execution's children or only the top-level runs.
        var children = (await Json(await Get($"{Scope}/executions?parent={Text(done["id"])}")))["items"]!.AsArray();
        children.Select(c => Text(c!["id"])).Should().Equal(childId);
        children[0]!["parent"]!["node"]!.GetValue<string>().Should().Be("prep");
        var topLevel = (await Json(await Get($"{Scope}/executions?parent=none")))["items"]!.AsArray().Select(c => Text(c!["id"])).ToList();
        topLevel.Should().Contain(Text(done["id"])).And.NotContain(childId);
        (await Json(await Get($"{Scope}/executions")))["items"]!.AsArray().Select(c => Text(c!["id"])).Should().Contain([childId, Text(done["id"])]);

        // The run's audit report checks the child's streams too; an as-of replay shows the link as the live answer does.
        var report = await Json(await Get($"{Scope}/executions/{Text(done["id"])}/audit"));
        report["chainsIntact"]!.GetValue<bool>().Should().BeTrue();
        report["chains"]!.AsArray().Select(c => Text(c!["stream"])).Should().Contain([$"execution/{childId}", $"execution/{childId}/a", $"execution/{childId}/b"]);
        report["tasks"]!.AsArray().Select(t => Text(t!["name"])).Should().Equal("mark");
        var asOf = await Json(await Get($"{Scope}/executions/{Text(done["id"])}?asOf={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}"));
        Text(Node(asOf, "prep")["childExecutionId"]).Should().Be(childId);

        // A relaunch runs everything again, with a child of its own.
        var relaunch = await Post($"{Scope}/executions/{Text(done["id"])}/relaunch", "{}", "application/json");
        var relaunched = await WaitForEnd(Text((await Json(relaunch))["id"]));
        relaunched["phase"]!.GetValue<string>().Should().Be("Succeeded");
        Text(Node(relaunched, "prep")["childExecutionId"]).Should().NotBe(childId);
        Ran.Should().HaveCount(6);
    }

    [Fact]
    public async Task A_failing_child_fails_its_node_and_recover_reruns_only_what_failed_inside_it()
    {
        Flag("fail-prep-b");
        var failed = await WaitForEnd(await Submit("pipeline@v1", new { dir = Scratch }));

        failed["phase"]!.GetValue<string>().Should().Be("Failed");
        var prep = Node(failed, "prep");
        prep["phase"]!.GetValue<string>().Should().Be("Failed");
        var childId = Text(prep["childExecutionId"]);
        Text(prep["error"]).Should().Contain(childId).And.Contain("failed");
        Node(failed, "after")["phase"]!.GetValue<string>().Should().Be("Skipped");
        (await Execution(childId))["phase"]!.GetValue<string>().Should().Be("Failed");
        Ran.Should().Equal("prep");

        Unflag("fail-prep-b");
        var response = await Post($"{Scope}/executions/{Text(failed["id"])}/recover", "{}", "application/json");
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var recovered = await WaitForEnd(Text((await Json(response))["id"]));

        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded", recovered.ToJsonString());
        var newChild = await Execution(Text(Node(recovered, "prep")["childExecutionId"]));
        newChild["recoverOf"]!.GetValue<string>().Should().Be(childId);
        Text(Node(newChild, "a")["recoveredFrom"]).Should().Be(childId, "the child's step that succeeded is reused");
        Ran.Should().Equal("prep", "prep-b", "after-prep-b");
    }

    [Fact]
    public async Task Recover_reuses_a_succeeded_childs_outputs_without_running_it_again()
    {
        Flag("fail-after-prep-b");
        var failed = await WaitForEnd(await Submit("pipeline@v1", new { dir = Scratch }));
        failed["phase"]!.GetValue<string>().Should().Be("Failed");
        Node(failed, "prep")["phase"]!.GetValue<string>().Should().Be("Succeeded");

        Unflag("fail-after-prep-b");
        var response = await Post($"{Scope}/executions/{Text(failed["id"])}/recover", "{}", "application/json");
        var recovered = await WaitForEnd(Text((await Json(response))["id"]));

        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded", recovered.ToJsonString());
        var prep = Node(recovered, "prep");
        Text(prep["recoveredFrom"]).Should().Be(Text(failed["id"]));
        prep["childExecutionId"].Should().BeNull("no child ran");
        Ran.Should().Equal("prep", "prep-b", "after-prep-b");
    }

    [Fact]
    public async Task Aborting_the_parent_aborts_the_running_child_and_its_tasks()
    {
        Flag("hold-prep");
        var id = await Submit("pipeline@v1", new { dir = Scratch });
        var running = await Eventually.Until(
            () => Execution(id),
            e => Node(e, "prep")["childExecutionId"] is not null,
            "the child execution to start", TimeSpan.FromSeconds(30), describe: e => e.ToJsonString());
        var childId = Text(Node(running, "prep")["childExecutionId"]);
        await Eventually.Until(() => Execution(childId), c => Text(Node(c, "a")["phase"]) == "Running",
            "the child's first step to run", TimeSpan.FromSeconds(30), describe: c => c.ToJsonString());

        (await Post($"{Scope}/executions/{id}/abort", "{}", "application/json")).StatusCode.Should().Be(HttpStatusCode.OK);
        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Aborted");
        Node(done, "prep")["phase"]!.GetValue<string>().Should().Be("Aborted");
        var child = await Execution(childId);
        child["phase"]!.GetValue<string>().Should().Be("Aborted", "aborting a parent cascades to its children");
        Node(child, "a")["phase"]!.GetValue<string>().Should().Be("Aborted");
        Ran.Should().BeEmpty();
    }

    [Fact]
    public async Task A_launch_plan_node_launches_a_linked_execution_of_the_plan_and_takes_its_outputs()
    {
        (await Post($"{Scope}/launchplans", """
            name: prep-plan
            version: v1
            workflow: prep@v1
            inputs: { what: lp }
            """)).StatusCode.Should().Be(HttpStatusCode.Created);
        await RegisterWorkflow("""
            name: launcher
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: run, launchplan: prep-plan, inputs: { dir: "{{ inputs.dir }}" } }
            outputs: { what: "{{ nodes.run.outputs.what }}" }
            """);

        var done = await WaitForEnd(await Submit("launcher@v1", new { dir = Scratch }));

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!.ToJsonString().Should().Be("""{"what":"lp-b"}""");
        var run = Node(done, "run");
        run["task"]!.GetValue<string>().Should().Be("prep-plan@v1");
        var launched = await Execution(Text(run["childExecutionId"]));
        launched["launchPlan"]!.GetValue<string>().Should().Be("prep-plan@v1");
        launched["parent"]!["executionId"]!.GetValue<string>().Should().Be(Text(done["id"]));
        launched["parent"]!["node"]!.GetValue<string>().Should().Be("run");
        launched["inputs"]!["what"]!.GetValue<string>().Should().Be("lp", "the plan's fixed input");

        // A fixed input of the plan cannot be bound by the node.
        var response = await Post($"{Scope}/workflows", """
            name: launcher
            version: v2
            inputs: { dir: string }
            nodes:
              - { id: run, launchplan: prep-plan@v1, inputs: { dir: "{{ inputs.dir }}", what: other } }
            """);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(response))["errors"]!.AsObject().Should().ContainKey("/nodes/0/inputs/what");
    }

    [Theory]
    [InlineData("workflow: nowhere@v1", "/nodes/0/workflow", "not registered")]
    [InlineData("workflow: prep@v9", "/nodes/0/workflow", "not registered")]
    [InlineData("launchplan: nowhere", "/nodes/0/launchplan", "not registered")]
    [InlineData("workflow: broken", "/nodes/0/workflow", "cycle")]
    [InlineData("workflow: prep@v1, inputs: { dir: 7 }", "/nodes/0/inputs/dir", "string")]
    [InlineData("workflow: prep@v1, inputs: { dir: x, nope: y }", "/nodes/0/inputs/nope", "no input 'nope'")]
    [InlineData("workflow: prep@v1", "/nodes/0/inputs", "'dir'")]
    [InlineData("task: count@v1, workflow: prep@v1", "/nodes/0/workflow", "one thing")]
    public async Task A_bad_child_reference_is_a_400_pointing_at_it_and_nothing_is_stored(string node, string pointer, string message)
    {
        var events = await StoredEventCount();

        var response = await Post($"{Scope}/workflows", $$"""
            name: broken
            version: v1
            nodes:
              - { id: child, {{node}} }
            """);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var errors = (await Json(response))["errors"]!.AsObject();
        errors.Should().ContainKey(pointer);
        errors[pointer]![0]!.GetValue<string>().Should().Contain(message);
        (await StoredEventCount()).Should().Be(events);
    }

    [Fact]
    public async Task Nesting_that_multiplies_a_plan_past_its_bound_is_a_400_at_the_node_that_passes_it_and_nothing_is_stored()
    {
        // Ten nodes each running the level below: 1, then 10 + 10, then 10 + 200 nodes; a fourth level would hold 2,110.
        static string Level(int n) => $"name: fan{n}\nversion: v1\nnodes:\n" + string.Concat(Enumerable.Range(0, 10).Select(i =>
            n == 0 ? (i == 0 ? "  - { id: n0, task: count@v1, inputs: { n: 1 } }\n" : string.Empty) : $"  - {{ id: n{i}, workflow: fan{n - 1}@v1 }}\n"));
        for (var n = 0; n < 3; n++)
        {
            await RegisterWorkflow(Level(n));
        }

        var events = await StoredEventCount();
        var response = await Post($"{Scope}/workflows", Level(3));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var errors = (await Json(response))["errors"]!.AsObject();
        Text(errors["/nodes/4/workflow"]![0]).Should().Contain("would hold 1060").And.Contain($"at most {WorkflowInterface.MaxPlanNodes}");
        (await StoredEventCount()).Should().Be(events);
    }

    [Fact]
    public async Task A_sub_workflow_cycle_through_another_workflow_is_a_400_and_nothing_is_stored()
    {
        await RegisterWorkflow("""
            name: cyc-a
            version: v1
            nodes: [ { id: n, task: count@v1, inputs: { n: 1 } } ]
            """);
        await RegisterWorkflow("""
            name: cyc-b
            version: v1
            nodes: [ { id: a, workflow: cyc-a } ]
            """);
        var events = await StoredEventCount();

        var response = await Post($"{Scope}/workflows", """
            name: cyc-a
            version: v2
            nodes: [ { id: b, workflow: cyc-b@v1 } ]
            """);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await Json(response))["errors"]!.AsObject();
        Text(errors["/nodes/0/workflow"]![0]).Should().Contain("cycle").And.Contain("cyc-a -> cyc-b");
        (await StoredEventCount()).Should().Be(events);
    }

    [Fact]
    public async Task A_child_reference_registers_from_json_too_and_is_pinned_beside_the_task_pins()
    {
        var response = await Post($"{Scope}/workflows", """
            {"name": "pipeline-json", "version": "v1", "inputs": {"dir": "string"},
             "nodes": [{"id": "prep", "workflow": "prep", "inputs": {"dir": "{{ inputs.dir }}"}}]}
            """, "application/json");
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());

        var version = await Json(await Get($"{Scope}/workflows/pipeline-json/versions/v1"));
        version["spec"]!["nodes"]![0]!["workflow"]!.GetValue<string>().Should().Be("prep");
        version["pinnedTasks"]!["workflow:prep"]!.GetValue<string>().Should().Be("prep@v1", "a reference without version is pinned to the latest");
    }

    [Fact]
    public async Task A_downstream_binding_is_checked_against_the_child_workflows_output_types()
    {
        var response = await Post($"{Scope}/workflows", """
            name: mistyped
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: prep, workflow: prep@v1, inputs: { dir: "{{ inputs.dir }}" } }
              - { id: n, task: count@v1, inputs: { n: "{{ nodes.prep.outputs.what }}" } }
              - { id: m, task: count@v1, inputs: { n: "{{ nodes.prep.outputs.missing }}" } }
            """);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await Json(response))["errors"]!.AsObject();
        Text(errors["/nodes/1/inputs/n"]![0]).Should().Contain("string").And.Contain("int");
        Text(errors["/nodes/2/inputs/n"]![0]).Should().Contain("no output 'missing'");
    }
}
