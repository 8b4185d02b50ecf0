using Orleans.Flyte.Domain.Specs;
using static Orleans.Flyte.Domain.Tests.Specs.SpecSamples;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class TaskSpecTests
{
    private static SpecResult<TaskSpec> Read(string text, SpecFormat format = SpecFormat.Auto) => TaskSpecReader.Read(Document(text, format));

    private static IReadOnlyList<SpecError> Errors(string find, string replace) => Read(Change(TrainModelYaml, find, replace)).Errors;

    private static string Canonical(TaskSpec spec) => CanonicalJson.Serialize(spec.ToJson());

    [Fact]
    public void The_architecture_sketch_task_reads_from_yaml_and_json_to_identical_canonical_json()
    {
        var fromYaml = Read(ArchitectureTaskYaml);
        var fromJson = Read(ArchitectureTaskJson);

        fromYaml.Errors.Should().BeEmpty();
        fromJson.Errors.Should().BeEmpty();
        Canonical(fromYaml.Value!).Should().Be(Canonical(fromJson.Value!));
        fromYaml.Value.Should().Be(fromJson.Value);
    }

    [Fact]
    public void Yaml_shorthand_normalizes_to_the_same_canonical_json_as_the_quoted_sketch()
    {
        Canonical(Task(TrainModelYaml)).Should().Be(Canonical(Task(ArchitectureTaskYaml)));
    }

    [Fact]
    public void The_normalized_form_reads_back_to_an_equal_spec()
    {
        var spec = Task(ArchitectureTaskYaml);
        var canonical = Canonical(spec);

        var again = TaskSpecReader.Read(Document(canonical, SpecFormat.Json));

        again.Errors.Should().BeEmpty();
        again.Value.Should().Be(spec);
        Canonical(again.Value!).Should().Be(canonical);
    }

    [Fact]
    public void The_normalized_form_omits_defaults_and_writes_durations_and_profiles_one_way()
    {
        Canonical(Task(ArchitectureTaskYaml)).Should().Be(
            """{"cache":{"enabled":true,"version":"1"},"container":{"command":["python","train.py"],"env":{"SEED":"7"},"image":"registry.local/ml/train:1.4"},"inputs":{"dataset":"string","epochs":"int"},"name":"train-model","outputs":{"model_uri":"string"},"resources":{"cpu":"4","gpu":{"count":1,"profile":"mig-5g.40gb"},"memory":"32Gi"},"retries":2,"timeout":"2h","version":"v3"}""");
    }

    [Fact]
    public void The_sketch_reads_with_its_resources_and_interface()
    {
        var spec = Task(ArchitectureTaskYaml);

        spec.Resources.Gpu.Should().Be(new GpuRequest("mig-5g.40gb", null, 1));
        spec.Resources.Gpu!.ResourceName.Should().Be("nvidia.com/mig-5g.40gb");
        spec.Resources.Cpu!.Value.Should().Be(4m);
        spec.Resources.Memory!.Value.Should().Be(32m * 1024 * 1024 * 1024);
        spec.Container.Env["SEED"].Should().Be("7");
        spec.Timeout.Should().Be(TimeSpan.FromHours(2));
        spec.Retries.Should().Be(2);
        spec.Cache.Should().Be(new CacheSpec(true, "1"));
        spec.Inputs["epochs"].Type.Should().Be(new ParameterType(ParameterKind.Int));
        spec.Inputs["epochs"].Required.Should().BeTrue();
    }

    [Fact]
    public void Memory_quantity_without_binary_suffix_is_rejected_with_pointer()
    {
        Errors("memory: 32Gi", "memory: 32GB").Should().ContainSingle()
            .Which.Should().Be(new SpecError("/resources/memory", "'32GB' is not a Kubernetes quantity; write e.g. 32Gi or 32G"));
    }

    [Fact]
    public void Misspelled_top_level_field_is_rejected_with_a_suggestion()
    {
        Errors("retries: 2", "retries: 2\nresourses: {}").Should().ContainSingle()
            .Which.Should().Be(new SpecError("/resourses", "unknown field 'resourses'; did you mean 'resources'?"));
    }

    [Fact]
    public void Unknown_field_without_a_near_match_lists_the_known_fields()
    {
        var error = Errors("image: registry", "flavour: large, image: registry").Should().ContainSingle().Subject;

        error.Pointer.Should().Be("/container/flavour");
        error.Message.Should().Contain("'flavour'").And.Contain("image, command, args, env");
    }

    [Theory]
    [InlineData("name: train-model", "name: Train_Model", "/name", "Train_Model")]
    [InlineData("name: train-model", "name: train-model-", "/name", "train-model-")]
    [InlineData("name: train-model", "name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "/name", "64 characters")]
    [InlineData("name: train-model\n", "", "/name", "'name' is required")]
    [InlineData("version: v3\n", "", "/version", "'version' is required")]
    [InlineData("version: v3", "version: 'v 3'", "/version", "v 3")]
    [InlineData("version: v3", "version: -v3", "/version", "-v3")]
    [InlineData("memory: 32Gi", "memory: 1500m", "/resources/memory", "1500m")]
    [InlineData("memory: 32Gi", "memory: 0.5", "/resources/memory", "0.5")]
    [InlineData("memory: 32Gi", "memory: 0", "/resources/memory", "'0' must be more than zero")]
    [InlineData("cpu: 4", "cpu: 0", "/resources/cpu", "'0' must be more than zero")]
    [InlineData("cpu: 4", "cpu: -1", "/resources/cpu", "'-1' is not a Kubernetes quantity")]
    [InlineData("cpu: 4", "cpu: abc", "/resources/cpu", "abc")]
    [InlineData("cpu: 4", "cpu: 1.5.2", "/resources/cpu", "1.5.2")]
    [InlineData("cpu: 4", "cpu: ''", "/resources/cpu", "''")]
    [InlineData("profile: 5g.40gb", "profile: big", "/resources/gpu/profile", "big")]
    [InlineData("count: 1 }", "count: 0 }", "/resources/gpu/count", "0")]
    [InlineData("count: 1 }", "count: 1.5 }", "/resources/gpu/count", "1.5")]
    [InlineData("count: 1 }", "count: 8 }", "/resources/gpu/count", "8")]
    [InlineData("gpu: { profile: 5g.40gb, count: 1 }", "gpu: { class: a100-40gb, count: 17 }", "/resources/gpu/count", "17")]
    [InlineData("gpu: { profile: 5g.40gb, count: 1 }", "gpu: { class: A100, count: 2 }", "/resources/gpu/class", "A100")]
    [InlineData("gpu: { profile: 5g.40gb, count: 1 }", "gpu: 0", "/resources/gpu", "0")]
    [InlineData("gpu: { profile: 5g.40gb, count: 1 }", "gpu: two", "/resources/gpu", "two")]
    [InlineData("retries: 2", "retries: 11", "/retries", "11")]
    [InlineData("retries: 2", "retries: -1", "/retries", "-1")]
    [InlineData("retries: 2", "retries: 1.5", "/retries", "1.5")]
    [InlineData("timeout: 2h", "timeout: soon", "/timeout", "soon")]
    [InlineData("timeout: 2h", "timeout: 8d", "/timeout", "8d")]
    [InlineData("timeout: 2h", "timeout: 500ms", "/timeout", "500ms")]
    [InlineData("timeout: 2h", "timeout: 99999999999999d", "/timeout", "99999999999999d")]
    [InlineData("image: registry.local/ml/train:1.4, ", "image: 'my image', ", "/container/image", "my image")]
    [InlineData("image: registry.local/ml/train:1.4, ", "image: '', ", "/container/image", "''")]
    [InlineData("image: registry.local/ml/train:1.4, ", "", "/container/image", "'image' is required")]
    [InlineData("image: registry.local/ml/train:1.4, ", "imgae: registry.local/ml/train:1.4, image: x, ", "/container/imgae", "did you mean 'image'?")]
    [InlineData("command: [python, train.py]", "command: []", "/container/command", "command")]
    [InlineData("command: [python, train.py], ", "", "/container/command", "'command' is required")]
    [InlineData("command: [python, train.py]", "command: python train.py", "/container/command", "must be a list")]
    [InlineData("command: [python, train.py]", "command: [python, train.py], args: [{ a: 1 }]", "/container/args/0", "a mapping")]
    [InlineData("SEED: 7", "FLYTE_INPUTS: x", "/container/env/FLYTE_INPUTS", "FLYTE_INPUTS")]
    [InlineData("SEED: 7", "9LIVES: x", "/container/env/9LIVES", "9LIVES")]
    [InlineData("SEED: 7", "SEED: [7]", "/container/env/SEED", "a list")]
    [InlineData("epochs: int", "epochs: integerish", "/inputs/epochs", "integerish")]
    [InlineData("epochs: int", "Epochs: int", "/inputs/Epochs", "Epochs")]
    [InlineData("epochs: int", "epochs: { type: int, default: ten }", "/inputs/epochs/default", "'ten' is not an int")]
    [InlineData("epochs: int", "epochs: { type: int, dfault: 1 }", "/inputs/epochs/dfault", "did you mean 'default'?")]
    [InlineData("epochs: int", "epochs: { default: 1 }", "/inputs/epochs/type", "'type' is required")]
    [InlineData("model_uri: string", "model_uri: { type: string, default: x }", "/outputs/model_uri/default", "unknown field 'default'")]
    [InlineData("cache: { enabled: true, version: \"1\" }", "cache: { enabled: true }", "/cache/version", "cache version")]
    [InlineData("cache: { enabled: true, version: \"1\" }", "cache: { enabled: true, version: '' }", "/cache/version", "must not be empty")]
    [InlineData("cache: { enabled: true, version: \"1\" }", "cache: { enabled: yes please }", "/cache/enabled", "yes please")]
    public void Each_rule_is_reported_at_its_pointer_with_the_bad_value(string find, string replace, string pointer, string mentioned)
    {
        var errors = Errors(find, replace);

        errors.Should().Contain(e => e.Pointer == pointer, $"'{replace}' must be rejected at {pointer}; got {Describe(errors)}");
        errors.First(e => e.Pointer == pointer).Message.Should().Contain(mentioned);
    }

    [Fact]
    public void Both_a_profile_and_a_device_class_is_rejected()
    {
        Errors("gpu: { profile: 5g.40gb, count: 1 }", "gpu: { profile: 5g.40gb, class: a100-40gb }")
            .Should().ContainSingle(e => e.Pointer == "/resources/gpu" && e.Message.Contains("not both", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_container_points_at_the_image_it_needs()
    {
        Errors("container: { image: registry.local/ml/train:1.4, command: [python, train.py], env: {SEED: 7} }\n", string.Empty)
            .Should().ContainSingle().Which.Pointer.Should().Be("/container/image");
    }

    [Fact]
    public void Every_problem_in_a_document_is_reported_at_once()
    {
        var errors = Read("name: Bad Name\nversion: ''\ncontainer: { command: [] }\nretries: 99").Errors;

        errors.Select(e => e.Pointer).Should().BeEquivalentTo(["/name", "/version", "/container/image", "/container/command", "/retries"]);
    }

    [Fact]
    public void More_than_100_environment_variables_are_rejected()
    {
        var env = string.Join(", ", Enumerable.Range(0, TaskSpec.MaxEnv + 1).Select(i => $"V{i}: x"));

        Errors("env: {SEED: 7}", $"env: {{ {env} }}").Should().ContainSingle(e => e.Pointer == "/container/env" && e.Message.Contains("101", StringComparison.Ordinal));
    }

    [Fact]
    public void More_than_64_inputs_are_rejected()
    {
        var inputs = string.Join(", ", Enumerable.Range(0, 65).Select(i => $"p{i}: int"));

        Errors("inputs:  { dataset: string, epochs: int }", $"inputs: {{ {inputs} }}")
            .Should().ContainSingle(e => e.Pointer == "/inputs" && e.Message.Contains("65", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_longer_than_16_KiB_is_rejected_where_it_is()
    {
        var errors = Errors("version: v3", $"version: v3\ndescription: {new string('x', 16 * 1024 + 1)}");

        errors.Should().ContainSingle().Which.Pointer.Should().Be("/description");
        errors[0].Message.Should().Contain("16385").And.Contain("16384");
    }

    [Fact]
    public void Over_long_text_deep_inside_a_default_is_rejected_with_its_pointer()
    {
        var errors = Errors("epochs: int", $"epochs: int, tags: {{ type: list<string>, default: [a, {new string('y', 20_000)}] }}");

        errors.Should().ContainSingle().Which.Pointer.Should().Be("/inputs/tags/default/1");
    }

    [Fact]
    public void Yaml_numbers_and_booleans_in_env_become_their_text()
    {
        var spec = Read(Change(TrainModelYaml, "env: {SEED: 7}", "env: {SEED: 7, RATE: 0.10, DEBUG: true}")).Value!;

        spec.Container.Env.Should().BeEquivalentTo(new Dictionary<string, string> { ["SEED"] = "7", ["RATE"] = "0.10", ["DEBUG"] = "true" });
    }

    [Fact]
    public void A_yaml_number_used_as_a_version_keeps_its_digits()
    {
        Read(Change(TrainModelYaml, "version: v3", "version: 1.10")).Value!.Version.Should().Be("1.10");
    }

    [Fact]
    public void Optional_and_defaulted_parameters_are_not_required_and_normalize_one_way()
    {
        var shortForm = Read(Change(TrainModelYaml, "epochs: int", "epochs: int?, lr: { type: float, default: 1.0, description: step size }")).Value!;
        var longForm = Read(Change(TrainModelYaml, "epochs: int", "lr: { default: 1, type: float, description: step size }, epochs: { type: int, optional: true }")).Value!;

        shortForm.Inputs["epochs"].Should().Be(new ParameterSpec(new ParameterType(ParameterKind.Int), true, null, null));
        shortForm.Inputs["epochs"].Required.Should().BeFalse();
        shortForm.Inputs["lr"].Required.Should().BeFalse();
        shortForm.Inputs["lr"].Optional.Should().BeTrue();
        Canonical(shortForm).Should().Be(Canonical(longForm));
        shortForm.Should().Be(longForm);
    }

    [Fact]
    public void A_task_without_cache_retries_or_timeout_gets_the_defaults()
    {
        var spec = Read("name: t\nversion: v1\ncontainer: { image: x, command: [run] }").Value!;

        spec.Retries.Should().Be(0);
        spec.Timeout.Should().BeNull();
        spec.Cache.Should().Be(CacheSpec.Disabled);
        spec.Resources.Should().Be(ResourceSpec.None);
        Canonical(spec).Should().Be("""{"container":{"command":["run"],"image":"x"},"name":"t","version":"v1"}""");
    }
}
