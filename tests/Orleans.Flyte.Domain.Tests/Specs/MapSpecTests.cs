using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

/// <summary>Map nodes in specs (issue 17): how they read, normalize, type-check and compile.</summary>
public sealed class MapSpecTests
{
    private static readonly Dictionary<string, TaskSpec> _tasks = new(StringComparer.Ordinal)
    {
        ["prepare-data@v1"] = Task(PrepareDataYaml),
        ["train-model@v3"] = Task(TrainModelYaml),
    };

    /// <summary>prepare per date (a map), then train on each prepared path (a map over the first map's output list).</summary>
    private const string Sweep = """
        name: sweep
        version: v1
        inputs: { dates: list<string>, epochs: int }
        nodes:
          - id: prepare
            task: prepare-data@v1
            map: { over: "{{ inputs.dates }}", input: date, concurrency: 50, min_success_ratio: 0.9 }
          - id: train
            task: train-model@v3
            map: { over: "{{ nodes.prepare.outputs.path }}", input: dataset, min_success: 1 }
            inputs: { epochs: "{{ inputs.epochs }}" }
        outputs: { models: "{{ nodes.train.outputs.model_uri }}" }
        """;

    private static SpecResult<WorkflowSpec> Read(string yaml) => WorkflowSpecReader.Read(Document(yaml));

    private static IReadOnlyList<SpecError> Validate(string yaml)
    {
        var read = Read(yaml);
        read.Errors.Should().BeEmpty("the reader must accept the workflow so the validator sees it");
        return WorkflowValidator.Validate(read.Value!, r => _tasks.GetValueOrDefault(r.ToString()));
    }

    private static void ShouldReject(IReadOnlyList<SpecError> errors, string pointer, params string[] mentioned)
    {
        errors.Should().ContainSingle(Describe(errors)).Which.Pointer.Should().Be(pointer);
        foreach (var text in mentioned)
        {
            errors[0].Message.Should().Contain(text);
        }
    }

    [Fact]
    public void A_map_over_a_list_input_and_over_another_maps_output_list_is_valid()
    {
        Validate(Sweep).Should().BeEmpty();
    }

    [Fact]
    public void A_map_node_reads_back_from_its_normalized_form_and_waits_for_the_node_it_maps_over()
    {
        var spec = Read(Sweep).Value!;
        var again = WorkflowSpecReader.Read(spec.ToJson()).Value!;

        again.Should().Be(spec);
        var train = spec.Nodes[1];
        train.Map!.Input.Should().Be("dataset");
        train.Map.Concurrency.Should().Be(MapSpec.DefaultConcurrency);
        train.Map.MinSuccess.Should().Be(1);
        train.Map.Over.References.Should().ContainSingle().Which.ToString().Should().Be("nodes.prepare.outputs.path");
        train.Upstream.Should().Equal("prepare");
        spec.ToJson()["nodes"]![0]!["map"]!.ToJsonString().Should().Be("""{"over":"{{ inputs.dates }}","input":"date","concurrency":50,"min_success_ratio":0.9}""");
    }

    [Fact]
    public void A_map_compiles_into_the_plan_and_needs_the_required_share_rounded_up()
    {
        var spec = Read(Sweep).Value!;
        var plan = ExecutionPlanCompiler.Compile(spec, new Dictionary<string, string>(), _ => "{}");

        plan.Node("prepare").Map.Should().Be(new MapPlan("\"{{ inputs.dates }}\"", "date", 50, null, 0.9));
        plan.Node("prepare").Map!.Required(10).Should().Be(9);
        plan.Node("prepare").Map!.Required(11).Should().Be(10);
        plan.Node("train").Map!.Required(7).Should().Be(1);
        new MapPlan("[]", "x", 1, null, null).Required(7).Should().Be(7, "by default every element must succeed");
    }

    [Fact]
    public void A_map_over_a_scalar_input_is_rejected_at_the_map_over()
    {
        ShouldReject(Validate(Sweep.Replace("{{ inputs.dates }}", "{{ inputs.epochs }}", StringComparison.Ordinal)),
            "/nodes/0/map/over", "maps over a list", "inputs.epochs", "an int");
    }

    [Fact]
    public void A_map_over_a_single_output_of_a_plain_node_is_rejected()
    {
        var yaml = """
            name: sweep
            version: v1
            inputs: { day: string }
            nodes:
              - { id: prepare, task: prepare-data@v1, inputs: { date: "{{ inputs.day }}" } }
              - id: train
                task: train-model@v3
                map: { over: "{{ nodes.prepare.outputs.path }}", input: dataset }
                inputs: { epochs: 1 }
            """;
        ShouldReject(Validate(yaml), "/nodes/1/map/over", "maps over a list", "a string");
    }

    [Fact]
    public void A_map_whose_elements_do_not_fit_the_input_is_rejected_naming_both_types()
    {
        ShouldReject(Validate(Sweep.Replace("input: dataset", "input: epochs", StringComparison.Ordinal).Replace("inputs: { epochs: \"{{ inputs.epochs }}\" }", "inputs: { dataset: x }", StringComparison.Ordinal)),
            "/nodes/1/map/over", "list<string>", "'epochs'", "int");
    }

    [Fact]
    public void A_literal_map_list_is_type_checked_element_by_element()
    {
        Validate(Sweep.Replace("\"{{ inputs.dates }}\"", "[\"2026-01-01\", \"2026-01-02\"]", StringComparison.Ordinal)).Should().BeEmpty();
        ShouldReject(Validate(Sweep.Replace("\"{{ inputs.dates }}\"", "[\"2026-01-01\", 7]", StringComparison.Ordinal)), "/nodes/0/map/over", "[1]", "string");
    }

    [Fact]
    public void A_map_over_something_that_is_not_a_list_is_rejected_when_read()
    {
        var errors = Read(Sweep.Replace("\"{{ inputs.dates }}\"", "\"2026-01-01\"", StringComparison.Ordinal)).Errors;
        errors.Should().ContainSingle().Which.Should().Match<SpecError>(e => e.Pointer == "/nodes/0/map/over" && e.Message.Contains("maps over a list"));
        Read(Sweep.Replace("\"{{ inputs.dates }}\"", "\"day {{ inputs.dates }}\"", StringComparison.Ordinal)).Errors
            .Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/over");
    }

    [Fact]
    public void Map_settings_out_of_range_are_rejected_at_their_field()
    {
        Read(Sweep.Replace("concurrency: 50", "concurrency: 0", StringComparison.Ordinal)).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/concurrency");
        Read(Sweep.Replace("min_success_ratio: 0.9", "min_success_ratio: 1.5", StringComparison.Ordinal)).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/min_success_ratio");
        Read(Sweep.Replace("min_success_ratio: 0.9", "min_success_ratio: 0.9, min_success: 3", StringComparison.Ordinal)).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/min_success_ratio");
        Read(Sweep.Replace("concurrency: 50", "concurrency: 50, parallel: 2", StringComparison.Ordinal)).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/parallel");
        Read(Sweep.Replace("input: date, ", string.Empty, StringComparison.Ordinal)).Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes/0/map/input");
    }

    [Fact]
    public void The_mapped_input_cannot_also_be_bound_and_must_exist_on_the_task()
    {
        Read(Sweep.Replace("inputs: { epochs:", "inputs: { dataset: x, epochs:", StringComparison.Ordinal)).Errors
            .Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/inputs/dataset");
        Validate(Sweep.Replace("input: date", "input: day", StringComparison.Ordinal)).Should().ContainEquivalentOf(
            new SpecError("/nodes/0/map/input", "task 'prepare-data@v1' has no input 'day' to take each element; its inputs are: date"));
    }

    [Fact]
    public void A_maps_outputs_are_lists_to_the_nodes_downstream()
    {
        var yaml = Sweep.Replace("map: { over: \"{{ nodes.prepare.outputs.path }}\", input: dataset, min_success: 1 }\n    inputs: { epochs: \"{{ inputs.epochs }}\" }",
            "inputs: { dataset: \"{{ nodes.prepare.outputs.path }}\", epochs: \"{{ inputs.epochs }}\" }", StringComparison.Ordinal);
        yaml.Should().NotBe(Sweep);
        ShouldReject(Validate(yaml), "/nodes/1/inputs/dataset", "list<string>", "string");
    }
}
