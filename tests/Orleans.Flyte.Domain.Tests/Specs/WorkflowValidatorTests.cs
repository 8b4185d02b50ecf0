using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class WorkflowValidatorTests
{
    private const string ReportYaml = """
        name: report
        version: v1
        container: { image: registry.local/ml/report:1.0, command: [python, report.py] }
        inputs:
          title: string
          shards: list<string>
          limit: { type: int, default: 10 }
          note: string?
          score: float
          when: datetime
        outputs: { url: string, stats: map<float> }
        """;

    private static readonly Dictionary<string, TaskSpec> _tasks = new(StringComparer.Ordinal)
    {
        ["prepare-data@v1"] = Task(PrepareDataYaml),
        ["train-model@v3"] = Task(TrainModelYaml),
        ["report@v1"] = Task(ReportYaml),
    };

    private static TaskSpec? Resolve(TaskReference reference) => _tasks.GetValueOrDefault(reference.ToString());

    private static IReadOnlyList<SpecError> Validate(string yaml)
    {
        var read = WorkflowSpecReader.Read(Document(yaml));
        read.Errors.Should().BeEmpty("the reader must accept the workflow so the validator sees it");
        return WorkflowValidator.Validate(read.Value!, Resolve);
    }

    private static IReadOnlyList<SpecError> Changed(string find, string replace) => Validate(Change(TrainAlphaYaml, find, replace));

    /// <summary>
    /// A workflow whose second node runs 'report'; <paramref name="bindings"/> ("name: value") replace or add to
    /// bindings that satisfy every required input.
    /// </summary>
    private static IReadOnlyList<SpecError> Report(params string[] bindings)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["title"] = "t",
            ["shards"] = "[]",
            ["score"] = "1.5",
            ["when"] = "\"2024-05-01\"",
        };
        foreach (var binding in bindings)
        {
            var colon = binding.IndexOf(':', StringComparison.Ordinal);
            inputs[binding[..colon]] = binding[(colon + 1)..].Trim();
        }

        return Validate($$$"""
            name: reporting
            version: v1
            inputs: { epochs: int, day: string, files: list<string>, stats: map<float>, at: datetime }
            nodes:
              - id: prepare
                task: prepare-data@v1
                inputs: { date: "{{ inputs.day }}" }
              - id: report
                task: report@v1
                inputs: { {{{string.Join(", ", inputs.Select(i => $"{i.Key}: {i.Value}"))}}} }
            """);
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
    public void The_sketch_workflow_is_valid_against_its_tasks()
    {
        Validate(TrainAlphaYaml).Should().BeEmpty();
    }

    [Fact]
    public void An_unknown_task_version_is_reported_at_the_node_task()
    {
        Changed("task: train-model@v3", "task: train-model@v9").Should().ContainSingle()
            .Which.Should().Be(new SpecError("/nodes/1/task", "task 'train-model@v9' is not registered in this project/domain"));
    }

    [Fact]
    public void An_unknown_unversioned_task_is_reported_by_name()
    {
        Changed("task: prepare-data@v1", "task: prepare-dat").Should().ContainSingle()
            .Which.Should().Be(new SpecError("/nodes/0/task", "task 'prepare-dat' is not registered in this project/domain"));
    }

    [Fact]
    public void A_node_input_the_task_does_not_declare_is_rejected_at_the_input()
    {
        ShouldReject(Changed("epochs: \"{{ inputs.epochs }}\"", "epochs: 3, lr: 0.1"), "/nodes/1/inputs/lr", "no input 'lr'", "dataset, epochs");
    }

    [Fact]
    public void A_required_task_input_left_unbound_is_rejected_at_the_node_inputs()
    {
        ShouldReject(Changed(", epochs: \"{{ inputs.epochs }}\"", string.Empty), "/nodes/1/inputs", "'epochs' (int)", "train-model@v3");
    }

    [Fact]
    public void Optional_and_defaulted_task_inputs_need_no_binding()
    {
        Report("files: x").Should().ContainSingle().Which.Pointer.Should().Be("/nodes/1/inputs/files");
        Report("note: hi").Should().BeEmpty();
    }

    [Fact]
    public void A_reference_to_an_output_the_upstream_task_lacks_is_rejected()
    {
        ShouldReject(Changed("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.model }}"),
            "/nodes/1/inputs/dataset", "no output 'model'", "path, rows, shards");
    }

    [Fact]
    public void A_workflow_input_of_another_type_is_rejected_naming_both_types()
    {
        ShouldReject(Changed("epochs: \"{{ inputs.epochs }}\"", "epochs: \"{{ inputs.start_date }}\""),
            "/nodes/1/inputs/epochs", "inputs.start_date", "string", "int");
    }

    [Fact]
    public void An_upstream_output_of_another_type_is_rejected_naming_both_types()
    {
        ShouldReject(Changed("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.shards }}"),
            "/nodes/1/inputs/dataset", "list<string>", "string");
    }

    [Fact]
    public void A_literal_the_input_type_does_not_accept_is_rejected_naming_value_and_type()
    {
        ShouldReject(Changed("epochs: \"{{ inputs.epochs }}\"", "epochs: many"), "/nodes/1/inputs/epochs", "'many'", "int");
    }

    [Theory]
    [InlineData("score: \"{{ inputs.epochs }}\"")]
    [InlineData("limit: 3")]
    [InlineData("shards: \"{{ inputs.files }}\"")]
    [InlineData("shards: \"{{ nodes.prepare.outputs.shards }}\"")]
    [InlineData("title: \"run {{ inputs.epochs }} on {{ inputs.day }}\"")]
    [InlineData("when: \"{{ inputs.at }}\"")]
    [InlineData("title: \"{{ nodes.prepare.outputs.rows }}-rows\"")]
    public void Compatible_bindings_are_accepted(string binding)
    {
        Report(binding).Should().BeEmpty();
    }

    [Fact]
    public void A_template_with_a_list_inside_is_rejected()
    {
        ShouldReject(Report("title: \"files {{ inputs.files }}\""), "/nodes/1/inputs/title", "list<string>", "single values");
    }

    [Fact]
    public void A_template_bound_to_a_non_text_input_is_rejected()
    {
        ShouldReject(Validate(Change(TrainAlphaYaml, "epochs: \"{{ inputs.epochs }}\"", "epochs: \"1{{ inputs.epochs }}\"")),
            "/nodes/1/inputs/epochs", "string", "int");
    }

    [Fact]
    public void A_map_is_not_accepted_where_an_int_is_needed()
    {
        ShouldReject(Report("limit: \"{{ inputs.stats }}\""), "/nodes/1/inputs/limit", "map<float>", "int");
    }

    [Fact]
    public void A_workflow_output_naming_an_output_the_task_lacks_is_rejected()
    {
        ShouldReject(Changed("{{ nodes.train.outputs.model_uri }}", "{{ nodes.train.outputs.weights }}"), "/outputs/model", "weights", "model_uri");
    }

    [Fact]
    public void A_cycle_through_bindings_and_after_is_reported_with_its_path()
    {
        const string cyclic = """
            name: loop
            version: v1
            nodes:
              - id: a
                task: prepare-data@v1
                inputs: { date: "{{ nodes.c.outputs.path }}" }
              - id: b
                task: prepare-data@v1
                inputs: { date: "{{ nodes.a.outputs.path }}" }
              - id: c
                task: prepare-data@v1
                inputs: { date: x }
                after: [b]
            """;

        Validate(cyclic).Should().ContainSingle().Which.Should().Be(new SpecError(
            "/nodes/1",
            "the workflow has a cycle: b -> c -> a -> b; a node cannot depend on itself, directly or through others"));
    }

    [Fact]
    public void A_node_bound_to_its_own_output_is_a_cycle()
    {
        ShouldReject(Changed("{{ nodes.prepare.outputs.path }}", "{{ nodes.train.outputs.model_uri }}"), "/nodes/1", "train -> train");
    }

    [Fact]
    public void A_cycle_via_after_alone_is_reported()
    {
        ShouldReject(Changed("inputs: { date: \"{{ inputs.start_date }}\" }", "inputs: { date: x }\n    after: [train]"), "/nodes/1", "train -> prepare -> train");
    }
}
