using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class WorkflowSpecTests
{
    private static SpecResult<WorkflowSpec> Read(string text, SpecFormat format = SpecFormat.Auto) => WorkflowSpecReader.Read(Document(text, format));

    private static IReadOnlyList<SpecError> Errors(string find, string replace) => Read(Change(TrainAlphaYaml, find, replace)).Errors;

    private static string Canonical(WorkflowSpec spec) => CanonicalJson.Serialize(spec.ToJson());

    private static string Chain(int nodes) =>
        "name: big\nversion: v1\nnodes:\n" + string.Join("\n", Enumerable.Range(0, nodes).Select(i => $"  - {{ id: n{i}, task: prepare-data@v1, inputs: {{ date: x }} }}"));

    [Fact]
    public void The_architecture_sketch_workflow_reads_from_yaml_and_json_to_identical_canonical_json()
    {
        var fromYaml = Read(TrainAlphaYaml);
        var fromJson = Read(TrainAlphaJson);

        fromYaml.Errors.Should().BeEmpty();
        fromJson.Errors.Should().BeEmpty();
        Canonical(fromYaml.Value!).Should().Be(Canonical(fromJson.Value!));
        fromYaml.Value.Should().Be(fromJson.Value);
    }

    [Fact]
    public void The_normalized_form_reads_back_to_an_equal_workflow()
    {
        var spec = Read(TrainAlphaYaml).Value!;

        var again = WorkflowSpecReader.Read(Document(Canonical(spec), SpecFormat.Json));

        again.Value.Should().Be(spec);
        Canonical(again.Value!).Should().Be(Canonical(spec));
    }

    [Fact]
    public void The_sketch_reads_with_its_nodes_bindings_and_dependencies()
    {
        var spec = Read(TrainAlphaYaml).Value!;

        spec.Nodes.Select(n => n.Id).Should().Equal("prepare", "train");
        spec.Nodes[1].Task.Should().Be(new TaskReference("train-model", "v3"));
        spec.Nodes[1].Upstream.Should().Equal("prepare");
        spec.Nodes[1].Inputs["dataset"].References.Should().Equal(new BindingReference(BindingSource.NodeOutput, "prepare", "path"));
        spec.Outputs["model"].IsWholeReference.Should().BeTrue();
        spec.FailurePolicy.Should().Be(FailurePolicy.FailFast);
        spec.Timeout.Should().BeNull();
    }

    [Fact]
    public void Failure_policy_and_timeout_read_and_normalize()
    {
        var spec = Read(Change(TrainAlphaYaml, "version: v3", "version: v3\nfailure_policy: finish-what-can-finish\ntimeout: 90m")).Value!;

        spec.FailurePolicy.Should().Be(FailurePolicy.FinishWhatCanFinish);
        spec.Timeout.Should().Be(TimeSpan.FromMinutes(90));
        spec.ToJson()["failure_policy"]!.GetValue<string>().Should().Be("finish-what-can-finish");
        spec.ToJson()["timeout"]!.GetValue<string>().Should().Be("1h30m");
    }

    [Theory]
    [InlineData("train-model@v3", "train-model", "v3", "train-model@v3")]
    [InlineData("train-model", "train-model", null, "train-model")]
    public void Task_references_parse_and_print(string text, string name, string? version, string printed)
    {
        var reference = TaskReference.Parse(text);

        reference.Should().Be(new TaskReference(name, version));
        reference.ToString().Should().Be(printed);
        reference.Pinned("v7").ToString().Should().Be($"{name}@v7");
    }

    [Theory]
    [InlineData("name: train-alpha", "name: Train Alpha", "/name", "Train Alpha")]
    [InlineData("version: v3\n", "", "/version", "'version' is required")]
    [InlineData("{{ inputs.start_date }}", "{{ inputs.nope }}", "/nodes/0/inputs/date", "nope")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.ghost.outputs.path }}", "/nodes/1/inputs/dataset", "ghost")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.path }}", "/nodes/1/inputs/dataset", "nodes.prepare.path")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.path", "/nodes/1/inputs/dataset", "without closing")]
    [InlineData("{{ nodes.prepare.outputs.path }}", "{{ secrets.token }}", "/nodes/1/inputs/dataset", "secrets.token")]
    [InlineData("task: train-model@v3", "task: Train-Model", "/nodes/1/task", "Train-Model")]
    [InlineData("task: train-model@v3", "task: train-model@", "/nodes/1/task", "train-model@")]
    [InlineData("    task: train-model@v3\n", "", "/nodes/1/task", "'task' is required")]
    [InlineData("id: train", "id: prepare", "/nodes/1/id", "'prepare' is used twice")]
    [InlineData("id: train", "id: Train_It", "/nodes/1/id", "Train_It")]
    [InlineData("- id: train", "- iid: train", "/nodes/1/iid", "did you mean 'id'?")]
    [InlineData("{{ nodes.train.outputs.model_uri }}", "{{ nodes.trian.outputs.model_uri }}", "/outputs/model", "trian")]
    [InlineData("outputs: { model:", "failure_policy: yolo\noutputs: { model:", "/failure_policy", "yolo")]
    [InlineData("outputs: { model:", "failure-policy: fail-fast\noutputs: { model:", "/failure-policy", "did you mean 'failure_policy'?")]
    [InlineData("outputs: { model:", "timeout: 31d\noutputs: { model:", "/timeout", "31d")]
    [InlineData("inputs: { start_date: string, epochs: int }", "inputs: { start_date: string, epochs: { type: int, default: many } }", "/inputs/epochs/default", "many")]
    [InlineData("inputs: { date:", "inputs: { Date:", "/nodes/0/inputs/Date", "Date")]
    public void Each_structural_rule_is_reported_at_its_pointer(string find, string replace, string pointer, string mentioned)
    {
        var errors = Errors(find, replace);

        errors.Should().Contain(e => e.Pointer == pointer, Describe(errors));
        errors.First(e => e.Pointer == pointer).Message.Should().Contain(mentioned);
    }

    [Fact]
    public void A_duplicate_node_id_is_reported_at_the_second_node()
    {
        Errors("id: train", "id: prepare").Should().ContainSingle()
            .Which.Should().Be(new SpecError("/nodes/1/id", "node id 'prepare' is used twice; node ids must be unique"));
    }

    [Fact]
    public void After_naming_an_unknown_node_or_itself_is_rejected_at_the_entry()
    {
        var errors = Errors("inputs: { date: \"{{ inputs.start_date }}\" }", "inputs: { date: x }\n    after: [ghost, prepare, train]");

        errors.Select(e => e.Pointer).Should().Equal("/nodes/0/after/0", "/nodes/0/after/1");
        errors[0].Message.Should().Contain("'ghost'");
        errors[1].Message.Should().Contain("after itself");
    }

    [Fact]
    public void After_makes_a_node_depend_on_another()
    {
        var spec = Read(Change(TrainAlphaYaml, "inputs: { date: \"{{ inputs.start_date }}\" }", "inputs: { date: x }\n    after: [train]")).Value!;

        spec.Nodes[0].After.Should().Equal("train");
        spec.Nodes[0].Upstream.Should().Equal("train");
    }

    [Fact]
    public void A_workflow_without_nodes_is_rejected()
    {
        Read("name: empty\nversion: v1\nnodes: []").Errors.Should().ContainSingle().Which.Pointer.Should().Be("/nodes");
    }

    [Fact]
    public void A_workflow_must_declare_nodes()
    {
        Read("name: empty\nversion: v1").Errors.Should().ContainSingle().Which.Should().Be(new SpecError("/nodes", "'nodes' is required"));
    }

    [Fact]
    public void Two_hundred_nodes_are_allowed()
    {
        Read(Chain(WorkflowSpec.MaxNodes)).Errors.Should().BeEmpty();
    }

    [Fact]
    public void More_than_200_nodes_are_rejected()
    {
        Read(Chain(WorkflowSpec.MaxNodes + 1)).Errors.Should().ContainSingle()
            .Which.Should().Match<SpecError>(e => e.Pointer == "/nodes" && e.Message.Contains("201") && e.Message.Contains("200"));
    }

    [Fact]
    public void More_than_64_after_entries_on_a_node_are_rejected()
    {
        var after = string.Join(", ", Enumerable.Range(0, 65).Select(_ => "prepare"));

        Errors("inputs: { dataset:", $"after: [{after}]\n    inputs: {{ dataset:").Should().ContainSingle()
            .Which.Pointer.Should().Be("/nodes/1/after");
    }

    [Fact]
    public void More_than_64_node_inputs_are_rejected()
    {
        var inputs = string.Join(", ", Enumerable.Range(0, 65).Select(i => $"p{i}: 1"));

        Errors("inputs: { date: \"{{ inputs.start_date }}\" }", $"inputs: {{ {inputs} }}").Should().ContainSingle()
            .Which.Pointer.Should().Be("/nodes/0/inputs");
    }

    [Fact]
    public void A_reference_inside_a_list_literal_is_rejected_at_the_item()
    {
        var error = Errors("{ date: \"{{ inputs.start_date }}\" }", "{ date: [\"{{ inputs.start_date }}\"] }").Should().ContainSingle().Subject;

        error.Pointer.Should().Be("/nodes/0/inputs/date/0");
        error.Message.Should().Contain("whole value");
    }

    [Fact]
    public void An_over_long_literal_binding_is_rejected_where_it_is()
    {
        Errors("{ date: \"{{ inputs.start_date }}\" }", $"{{ date: {new string('d', 17_000)} }}").Should().ContainSingle()
            .Which.Pointer.Should().Be("/nodes/0/inputs/date");
    }

    [Fact]
    public void Literal_numbers_normalize_whatever_their_spelling()
    {
        var a = Read(Change(TrainAlphaYaml, "epochs: \"{{ inputs.epochs }}\"", "epochs: 10.0")).Value!;
        var b = Read(Change(TrainAlphaYaml, "epochs: \"{{ inputs.epochs }}\"", "epochs: 1e1")).Value!;

        Canonical(a).Should().Be(Canonical(b)).And.Contain("\"epochs\":10");
    }
}
