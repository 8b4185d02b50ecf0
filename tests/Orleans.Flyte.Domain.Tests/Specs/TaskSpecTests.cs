using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

public sealed class TaskSpecTests
{
    private static SpecResult<TaskSpec> Read(string text, SpecFormat format = SpecFormat.Auto)
    {
        var document = SpecDocument.Parse(text, format);
        document.Errors.Should().BeEmpty();
        return TaskSpecReader.Read(document.Value!);
    }

    private static IReadOnlyList<SpecError> Errors(string find, string replace)
    {
        var text = SpecSamples.TrainModelYaml.Replace(find, replace, StringComparison.Ordinal);
        text.Should().NotBe(SpecSamples.TrainModelYaml, "the test must change the sample");
        return Read(text).Errors;
    }

    [Fact]
    public void The_same_task_in_yaml_and_json_normalizes_to_identical_canonical_json()
    {
        var fromYaml = Read(SpecSamples.TrainModelYaml);
        var fromJson = Read(SpecSamples.TrainModelJson);

        fromYaml.IsValid.Should().BeTrue();
        fromJson.IsValid.Should().BeTrue();
        CanonicalJson.Serialize(fromYaml.Value!.ToJson()).Should().Be(CanonicalJson.Serialize(fromJson.Value!.ToJson()));
    }

    [Fact]
    public void Normalized_form_reads_back_to_the_same_normalized_form()
    {
        var canonical = CanonicalJson.Serialize(Read(SpecSamples.TrainModelYaml).Value!.ToJson());

        var again = TaskSpecReader.Read(SpecDocument.Parse(canonical, SpecFormat.Json).Value!);

        CanonicalJson.Serialize(again.Value!.ToJson()).Should().Be(canonical);
    }

    [Fact]
    public void The_sample_reads_with_its_resources_and_interface()
    {
        var spec = Read(SpecSamples.TrainModelYaml).Value!;

        spec.Resources.Gpu.Should().Be(new GpuRequest("mig-5g.40gb", null, 1));
        spec.Resources.Gpu!.ResourceName.Should().Be("nvidia.com/mig-5g.40gb");
        spec.Resources.Memory!.Value.Should().Be(32m * 1024 * 1024 * 1024);
        spec.Container.Env["SEED"].Should().Be("7");
        spec.Timeout.Should().Be(TimeSpan.FromHours(2));
        spec.Inputs["epochs"].Type.Should().Be(new ParameterType(ParameterKind.Int));
    }

    [Theory]
    [InlineData("name: train-model", "name: Train_Model", "/name", "Train_Model")]
    [InlineData("version: v3", "version: 'v 3'", "/version", "v 3")]
    [InlineData("memory: 32Gi", "memory: 32GB", "/resources/memory", "32GB")]
    [InlineData("memory: 32Gi", "memory: 1500m", "/resources/memory", "1500m")]
    [InlineData("cpu: 4", "cpu: -1", "/resources/cpu", "-1")]
    [InlineData("cpu: 4", "cpu: abc", "/resources/cpu", "abc")]
    [InlineData("cpu: 4", "cpu: 1.5.2", "/resources/cpu", "1.5.2")]
    [InlineData("profile: 5g.40gb", "profile: big", "/resources/gpu/profile", "big")]
    [InlineData("count: 1 }", "count: 0 }", "/resources/gpu/count", "0")]
    [InlineData("count: 1 }", "count: 1.5 }", "/resources/gpu/count", "1.5")]
    [InlineData("count: 1 }", "count: 8 }", "/resources/gpu/count", "8")]
    [InlineData("retries: 2", "retries: 11", "/retries", "11")]
    [InlineData("timeout: 2h", "timeout: soon", "/timeout", "soon")]
    [InlineData("timeout: 2h", "timeout: 8d", "/timeout", "8d")]
    [InlineData("image: registry.local/ml/train:1.4, ", "image: 'my image', ", "/container/image", "my image")]
    [InlineData("command: [python, train.py]", "command: []", "/container/command", "command")]
    [InlineData("SEED: 7", "FLYTE_INPUTS: x", "/container/env/FLYTE_INPUTS", "FLYTE_INPUTS")]
    [InlineData("SEED: 7", "9LIVES: x", "/container/env/9LIVES", "9LIVES")]
    [InlineData("epochs: int", "epochs: integerish", "/inputs/epochs", "integerish")]
    [InlineData("epochs: int", "Epochs: int", "/inputs/Epochs", "Epochs")]
    [InlineData("retries: 2", "resourses: {}", "/resourses", "resources")]
    [InlineData("cache: { enabled: true, version: \"1\" }", "cache: { enabled: true }", "/cache/version", "cache version")]
    public void Each_rule_is_reported_at_its_pointer_with_the_bad_value(string find, string replace, string pointer, string mentioned)
    {
        var errors = Errors(find, replace);

        errors.Should().Contain(e => e.Pointer == pointer, $"'{replace}' must be rejected at {pointer}; got {string.Join(" | ", errors)}");
        errors.First(e => e.Pointer == pointer).Message.Should().Contain(mentioned);
    }

    [Fact]
    public void Both_a_profile_and_a_device_class_is_rejected()
    {
        Errors("gpu: { profile: 5g.40gb, count: 1 }", "gpu: { profile: 5g.40gb, class: a100-40gb }")
            .Should().Contain(e => e.Pointer == "/resources/gpu" && e.Message.Contains("not both", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_container_points_at_the_image_it_needs()
    {
        Errors("container: { image: registry.local/ml/train:1.4, command: [python, train.py], env: {SEED: 7} }\n", string.Empty)
            .Should().ContainSingle(e => e.Pointer == "/container/image");
    }

    [Theory]
    [InlineData("gpu: 2", null, null, 2)]
    [InlineData("gpu: { count: 2 }", null, null, 2)]
    [InlineData("gpu: { class: a100-40gb, count: 2 }", null, "a100-40gb", 2)]
    [InlineData("gpu: { profile: nvidia.com/mig-3g.20gb }", "mig-3g.20gb", null, 1)]
    [InlineData("gpu: { profile: mig-1g.5gb, count: 7 }", "mig-1g.5gb", null, 7)]
    public void Gpu_requests_accept_every_form_and_normalize_profiles(string gpu, string? profile, string? deviceClass, int count)
    {
        var spec = Read(SpecSamples.TrainModelYaml.Replace("gpu: { profile: 5g.40gb, count: 1 }", gpu, StringComparison.Ordinal));

        spec.Errors.Should().BeEmpty();
        spec.Value!.Resources.Gpu.Should().Be(new GpuRequest(profile, deviceClass, count));
    }

    [Theory]
    [InlineData("4", 4)]
    [InlineData("500m", 0.5)]
    [InlineData("0.5", 0.5)]
    [InlineData("32Gi", 34359738368)]
    [InlineData("512Mi", 536870912)]
    [InlineData("1G", 1000000000)]
    [InlineData("1e3", 1000)]
    public void Valid_quantities_parse_to_their_value(string text, double value)
    {
        Quantity.TryParse(text, out var quantity).Should().BeTrue();
        quantity.Value.Should().Be((decimal)value);
    }

    [Theory]
    [InlineData("32GB")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5.2")]
    [InlineData("")]
    [InlineData("Gi")]
    public void Invalid_quantities_do_not_parse(string text) => Quantity.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void Yaml_syntax_errors_say_which_line()
    {
        var result = SpecDocument.Parse("name: x\ncontainer: { image: [unclosed\n");

        result.IsValid.Should().BeFalse();
        result.Errors.Single().Message.Should().MatchRegex("line \\d+");
    }

    [Fact]
    public void Json_syntax_errors_say_which_line()
    {
        SpecDocument.Parse("{\n \"name\": \n}").Errors.Single().Message.Should().Contain("line 3");
    }

    [Fact]
    public void Oversized_documents_are_rejected_before_parsing()
    {
        var result = SpecDocument.Parse("description: \"" + new string('x', SpecDocument.MaxBytes) + "\"");

        result.Errors.Single().Message.Should().Contain("the limit is 262144");
    }

    [Fact]
    public void Yaml_plain_scalars_are_typed_and_quoted_ones_are_text()
    {
        var doc = SpecDocument.Parse("a: 10\nb: '10'\nc: true\nd: 1.5\ne: ~\nf: v3").Value!;

        doc["a"]!.GetValue<long>().Should().Be(10);
        doc["b"]!.GetValue<string>().Should().Be("10");
        doc["c"]!.GetValue<bool>().Should().BeTrue();
        doc["d"]!.GetValue<double>().Should().Be(1.5);
        doc["e"].Should().BeNull();
        doc["f"]!.GetValue<string>().Should().Be("v3");
    }
}
