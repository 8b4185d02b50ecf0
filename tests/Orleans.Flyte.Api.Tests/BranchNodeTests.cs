using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Orleans.Flyte.Api.OpenApi;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Branch nodes end to end (issue 17): real processes through the local runner, HTTP only.</summary>
public sealed class BranchNodeTests : ExecutionTestBase
{
    private const string Release = """
        name: release
        version: v1
        inputs: { dir: string, accuracy: float, threshold: { type: float, default: 0.9 } }
        nodes:
          - { id: evaluate, task: evaluate@v1, inputs: { dir: "{{ inputs.dir }}", accuracy: "{{ inputs.accuracy }}" } }
          - id: gate
            branch:
              - if: "{{ nodes.evaluate.outputs.accuracy }} >= {{ inputs.threshold }} and {{ nodes.evaluate.outputs.label }} != 'broken'"
                then: register
              - else: discard
          - { id: register, task: mark@v1, inputs: { dir: "{{ inputs.dir }}", what: register } }
          - { id: discard, task: mark@v1, inputs: { dir: "{{ inputs.dir }}", what: discard } }
        outputs: { registered: "{{ nodes.register.outputs.what }}", discarded: "{{ nodes.discard.outputs.what }}" }
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("evaluate", """
            if [ -e "$FLYTE_INPUT_DIR/hold" ]; then sleep 60; fi
            if [ -e "$FLYTE_INPUT_DIR/fail-evaluate" ]; then exit 1; fi
            echo "{\"accuracy\": $FLYTE_INPUT_ACCURACY, \"label\": \"ok\"}" > "$FLYTE_OUTPUTS"
            """, "{ dir: string, accuracy: float }", "{ accuracy: float, label: string }");
        await RegisterTask("mark", """
            if [ -e "$FLYTE_INPUT_DIR/fail-$FLYTE_INPUT_WHAT" ]; then exit 1; fi
            echo "$FLYTE_INPUT_WHAT" >> "$FLYTE_INPUT_DIR/ran"
            echo "{\"what\": \"$FLYTE_INPUT_WHAT\"}" > "$FLYTE_OUTPUTS"
            """, "{ dir: string, what: string }", "{ what: string }");
        await RegisterWorkflow(Release);
    }

    private string[] Ran => File.Exists(Path.Combine(Scratch, "ran")) ? File.ReadAllLines(Path.Combine(Scratch, "ran")) : [];

    private static string PhaseOf(JsonObject execution, string node) => Node(execution, node)["phase"]!.GetValue<string>();

    [Fact]
    public async Task The_branch_takes_the_case_whose_condition_holds_and_the_other_node_is_skipped_without_failing_the_run()
    {
        var good = await WaitForEnd(await Submit("release@v1", new { dir = Scratch, accuracy = 0.95 }));

        good["phase"]!.GetValue<string>().Should().Be("Succeeded", good.ToJsonString());
        Node(good, "gate")["outputs"]!.ToJsonString().Should().Be("""{"taken":"register"}""");
        PhaseOf(good, "discard").Should().Be("Skipped");
        Node(good, "discard")["error"]!.GetValue<string>().Should().Be("branch 'gate' took 'register'");
        good["outputs"]!.ToJsonString().Should().Be("""{"discarded":null,"registered":"register"}""");

        var poor = await WaitForEnd(await Submit("release@v1", new { dir = Scratch, accuracy = 0.5 }));
        poor["phase"]!.GetValue<string>().Should().Be("Succeeded");
        PhaseOf(poor, "register").Should().Be("Skipped");
        Ran.Should().Equal("register", "discard");

        var relaunch = await Post($"{Scope}/executions/{good["id"]!.GetValue<string>()}/relaunch", "{}", "application/json");
        var relaunched = await WaitForEnd((await Json(relaunch))["id"]!.GetValue<string>());
        relaunched["phase"]!.GetValue<string>().Should().Be("Succeeded");
        Ran.Should().Equal("register", "discard", "register");
    }

    [Fact]
    public async Task When_the_upstream_fails_the_branch_is_skipped_and_recover_then_decides_and_runs_the_taken_node()
    {
        File.WriteAllText(Path.Combine(Scratch, "fail-register"), "x");
        var failed = await WaitForEnd(await Submit("release@v1", new { dir = Scratch, accuracy = 0.95 }));
        failed["phase"]!.GetValue<string>().Should().Be("Failed");
        PhaseOf(failed, "register").Should().Be("Failed");
        File.Delete(Path.Combine(Scratch, "fail-register"));

        var response = await Post($"{Scope}/executions/{failed["id"]!.GetValue<string>()}/recover", "{}", "application/json");
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var recovered = await WaitForEnd((await Json(response))["id"]!.GetValue<string>());

        recovered["phase"]!.GetValue<string>().Should().Be("Succeeded", recovered.ToJsonString());
        Node(recovered, "gate")["recoveredFrom"]!.GetValue<string>().Should().Be(failed["id"]!.GetValue<string>());
        PhaseOf(recovered, "discard").Should().Be("Skipped");
        Ran.Should().Equal("register");

        File.WriteAllText(Path.Combine(Scratch, "fail-evaluate"), "x");
        var early = await WaitForEnd(await Submit("release@v1", new { dir = Scratch, accuracy = 0.95 }));
        early["phase"]!.GetValue<string>().Should().Be("Failed");
        PhaseOf(early, "gate").Should().Be("Skipped", "the branch never had its values");
    }

    [Fact]
    public async Task Aborting_before_the_branch_decided_skips_it_and_every_node_after_it()
    {
        File.WriteAllText(Path.Combine(Scratch, "hold"), "x");
        var id = await Submit("release@v1", new { dir = Scratch, accuracy = 0.95 });
        await WaitFor(id, TimeSpan.FromSeconds(30), "Running");

        (await Post($"{Scope}/executions/{id}/abort", "{}", "application/json")).StatusCode.Should().Be(HttpStatusCode.OK);
        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Aborted");
        PhaseOf(done, "gate").Should().Be("Skipped");
        PhaseOf(done, "register").Should().Be("Skipped");
        PhaseOf(done, "discard").Should().Be("Skipped");
    }

    [Fact]
    public void The_published_workflow_schema_describes_branch_nodes()
    {
        var text = SpecSchemas.Read("WorkflowSpec");
        text.Remove("$id"); // JsonSchema.Net registers a schema by $id once per process
        var schema = JsonSchema.FromText(text.ToJsonString());

        schema.Evaluate(JsonSerializer.SerializeToElement(SpecDocument.Parse(Release, SpecFormat.Yaml).Value!)).IsValid.Should().BeTrue();
        var broken = SpecDocument.Parse(Release.Replace("- else: discard", "- else: discard\n        then: register", StringComparison.Ordinal), SpecFormat.Yaml).Value!;
        schema.Evaluate(JsonSerializer.SerializeToElement(broken)).IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task A_condition_comparing_a_string_with_an_int_is_a_400_pointing_into_the_expression_and_nothing_is_stored()
    {
        var events = await StoredEventCount();

        var response = await Post($"{Scope}/workflows", Release
            .Replace("version: v1", "version: v2", StringComparison.Ordinal)
            .Replace("!= 'broken'", "!= 7", StringComparison.Ordinal));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await Json(response))["errors"]!.AsObject();
        errors.Should().ContainKey("/nodes/1/branch/0/if");
        errors["/nodes/1/branch/0/if"]![0]!.GetValue<string>().Should().Contain("at character").And.Contain("(string)").And.Contain("(int)");
        (await StoredEventCount()).Should().Be(events);
    }
}
