using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

/// <summary>Sub-workflow and launch-plan nodes in specs (issue 17): how they read, normalize, type-check and compile.</summary>
public sealed class ChildNodeSpecTests
{
    private static readonly Dictionary<string, TaskSpec> _tasks = new(StringComparer.Ordinal)
    {
        ["train-model@v3"] = Task(TrainModelYaml),
    };

    private static readonly WorkflowInterface _prep = new(
        "workflow 'prep@v1'",
        new Dictionary<string, ParameterSpec>
        {
            ["date"] = new(new ParameterType(ParameterKind.String), false, null, null),
            ["limit"] = new(new ParameterType(ParameterKind.Int), false, System.Text.Json.Nodes.JsonValue.Create(10), null),
        },
        new Dictionary<string, ParameterType> { ["path"] = new(ParameterKind.String) },
        new HashSet<string>(["prep"]),
        0,
        1);

    private const string Train = """
        name: train
        version: v1
        inputs: { date: string }
        nodes:
          - { id: prep, workflow: prep@v1, inputs: { date: "{{ inputs.date }}" } }
          - { id: train, task: train-model@v3, inputs: { dataset: "{{ nodes.prep.outputs.path }}", epochs: 3 } }
        outputs: { model: "{{ nodes.train.outputs.model_uri }}" }
        """;

    private static SpecResult<WorkflowSpec> Read(string yaml) => WorkflowSpecReader.Read(Document(yaml));

    private static IReadOnlyList<SpecError> Validate(string yaml, WorkflowInterface? child = null)
    {
        var read = Read(yaml);
        read.Errors.Should().BeEmpty("the reader must accept the workflow so the validator sees it");
        return WorkflowValidator.Validate(read.Value!, r => _tasks.GetValueOrDefault(r.ToString()), _ => child);
    }

    [Fact]
    public void A_sub_workflow_node_reads_from_yaml_and_json_alike_and_back_from_its_normalized_form()
    {
        var yaml = Read(Train).Value!;
        var json = WorkflowSpecReader.Read(Document(yaml.ToJson().ToJsonString(), SpecFormat.Json)).Value!;

        json.Should().Be(yaml);
        yaml.Nodes[0].Workflow.Should().Be(new TaskReference("prep", "v1"));
        yaml.Nodes[0].Task.Should().BeNull();
        yaml.Nodes[0].IsChild.Should().BeTrue();
        yaml.Nodes[1].Upstream.Should().Equal("prep");
        yaml.ToJson()["nodes"]![0]!["workflow"]!.GetValue<string>().Should().Be("prep@v1");
    }

    [Fact]
    public void A_launch_plan_node_reads_with_or_without_a_version()
    {
        var spec = Read(Change(Train, "workflow: prep@v1", "launchplan: nightly-prep")).Value!;

        spec.Nodes[0].LaunchPlan.Should().Be(new TaskReference("nightly-prep", null));
        spec.ToJson()["nodes"]![0]!["launchplan"]!.GetValue<string>().Should().Be("nightly-prep");
    }

    [Theory]
    [InlineData("workflow: prep@v1, map: { over: \"{{ inputs.date }}\", input: date }", "/nodes/0/map")]
    [InlineData("workflow: prep@v1, launchplan: x", "/nodes/0/launchplan")]
    [InlineData("workflow: Not_A_Name", "/nodes/0/workflow")]
    public void A_malformed_child_node_is_rejected_where_it_is_wrong(string fields, string pointer)
    {
        var errors = Read($$"""
            name: w
            version: v1
            inputs: { date: string }
            nodes: [ { id: p, {{fields}} } ]
            """).Errors;

        errors.Select(e => e.Pointer).Should().Contain(pointer, Describe(errors));
    }

    [Fact]
    public void Bindings_are_checked_against_the_child_interface_and_downstream_nodes_against_its_output_types()
    {
        Validate(Train, _prep).Should().BeEmpty();

        var errors = Validate(Change(Train, "inputs: { date: \"{{ inputs.date }}\" }", "inputs: { limit: \"{{ inputs.date }}\" }"), _prep);
        errors.Select(e => e.Pointer).Should().BeEquivalentTo(["/nodes/0/inputs/limit", "/nodes/0/inputs"], Describe(errors));
        errors.Single(e => e.Pointer == "/nodes/0/inputs").Message.Should().Contain("'date'").And.Contain("workflow 'prep@v1'");

        var mistyped = _prep with { Outputs = new Dictionary<string, ParameterType> { ["path"] = new(ParameterKind.Int) } };
        Validate(Train, mistyped).Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/inputs/dataset");
    }

    [Fact]
    public void An_unknown_child_a_cycle_through_it_a_self_reference_and_nesting_too_deep_are_refused_at_the_reference()
    {
        Validate(Train).Should().ContainSingle().Which.Should().Be(new SpecError("/nodes/0/workflow", "workflow 'prep@v1' is not registered in this project/domain"));

        Validate(Train, _prep with { Contains = new HashSet<string>(["prep", "train"]) })
            .Should().ContainSingle().Which.Message.Should().Contain("cycle").And.Contain("train -> prep");

        Validate(Change(Train, "workflow: prep@v1", "workflow: train@v0"), _prep)
            .Should().ContainSingle().Which.Should().Be(new SpecError("/nodes/0/workflow",
                "workflow 'train' cannot run itself as a sub-workflow: that is a cycle (train -> train)"));

        Validate(Train, _prep with { Depth = WorkflowInterface.MaxDepth - 1 }).Should().BeEmpty();
        Validate(Train, _prep with { Depth = WorkflowInterface.MaxDepth })
            .Should().ContainSingle().Which.Message.Should().Contain($"at most {WorkflowInterface.MaxDepth}");
    }

    [Fact]
    public void A_plan_that_would_hold_more_than_the_bound_with_every_nested_use_counted_is_refused_at_the_node_that_passes_it()
    {
        // train has 2 nodes of its own; the child counts its own plan's nodes again wherever it is used.
        Validate(Train, _prep with { PlanNodes = WorkflowInterface.MaxPlanNodes - 2 }).Should().BeEmpty();
        Validate(Train, _prep with { PlanNodes = WorkflowInterface.MaxPlanNodes - 1 })
            .Should().ContainSingle().Which.Should().Match<SpecError>(e => e.Pointer == "/nodes/0/workflow"
                && e.Message.Contains($"would hold {WorkflowInterface.MaxPlanNodes + 1}") && e.Message.Contains($"at most {WorkflowInterface.MaxPlanNodes}"));
    }

    [Fact]
    public void A_workflows_output_types_follow_what_they_bind()
    {
        var spec = Read(Change(Train, "outputs: { model: \"{{ nodes.train.outputs.model_uri }}\" }",
            "outputs: { model: \"{{ nodes.train.outputs.model_uri }}\", path: \"{{ nodes.prep.outputs.path }}\", note: \"at {{ inputs.date }}\" }")).Value!;

        var types = WorkflowValidator.OutputTypes(spec, r => _tasks.GetValueOrDefault(r.ToString()), _ => _prep);

        types.ToDictionary(t => t.Key, t => t.Value.ToString()).Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["model"] = "string",
            ["path"] = "string",
            ["note"] = "string",
        });
    }

    [Fact]
    public void A_child_node_compiles_to_its_pinned_child_plan_and_its_inputs_lie_over_the_childs_base_inputs()
    {
        var spec = Read(Train).Value!;
        var childPlan = new ExecutionPlan("prep", "v1", false, null, [], new Dictionary<string, string>());
        var child = new ChildPlan(ChildPlan.SubWorkflow, "prep@v1", childPlan, """{"date":null,"limit":10}""");

        var plan = ExecutionPlanCompiler.Compile(spec, new Dictionary<string, string> { ["train-model@v3"] = "train-model@v3" }, _ => "{}", _ => child);

        plan.Node("prep").Child.Should().Be(child);
        plan.Node("prep").Task.Should().Be("prep@v1");
        ChildNodes.Inputs(child, """{"date":"2026-12-01"}""").Should().Be("""{"date":"2026-12-01","limit":10}""");
    }
}
