using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>The task contract both runners show a task, without a runner: environment, inputs, the verdict on outputs.</summary>
public sealed class TaskContractTests
{
    private static readonly OutputsChannel s_file = new("an outputs.json", "did not write outputs.json", 64);
    private static readonly OutputsChannel s_termination = new("a termination message", "wrote no outputs to /dev/termination-log", 4096);
    private static readonly DateTimeOffset s_started = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_finished = s_started.AddMinutes(3);

    [Theory]
    [InlineData("dataset", "FLYTE_INPUT_DATASET")]
    [InlineData("learning-rate", "FLYTE_INPUT_LEARNING_RATE")]
    [InlineData("model.v2 uri", "FLYTE_INPUT_MODEL_V2_URI")]
    [InlineData("snake_Case9", "FLYTE_INPUT_SNAKE_CASE9")]
    [InlineData("époque", "FLYTE_INPUT__POQUE")]
    public void Input_names_become_upper_case_variables_with_anything_but_ascii_letters_digits_and_underscore_as_underscore(string name, string variable) =>
        TaskContract.InputVariable(name).Should().Be(variable);

    [Fact]
    public void String_inputs_arrive_as_they_are_and_other_values_as_compact_json()
    {
        var inputs = JsonNode.Parse("""{"s":"a \"quoted\" b","n":3,"f":0.5,"b":true,"o":{ "lr" : 0.1 },"a":[1, 2],"z":null}""")!.AsObject();

        var env = Environment(Launch(), inputs, GpuVisibility.FromGrant);

        env.Should().Contain(new Dictionary<string, string?>
        {
            ["FLYTE_INPUT_S"] = "a \"quoted\" b",
            ["FLYTE_INPUT_N"] = "3",
            ["FLYTE_INPUT_F"] = "0.5",
            ["FLYTE_INPUT_B"] = "true",
            ["FLYTE_INPUT_O"] = """{"lr":0.1}""",
            ["FLYTE_INPUT_A"] = "[1,2]",
            ["FLYTE_INPUT_Z"] = "null",
        });
    }

    [Fact]
    public void The_platform_variables_win_over_the_specs_env_and_the_inputs_and_the_rest_of_the_env_is_kept()
    {
        var launch = Launch() with
        {
            Env = new Dictionary<string, string> { ["SEED"] = "7", ["FLYTE_OUTPUTS"] = "/tmp/elsewhere", ["FLYTE_ATTEMPT"] = "99" },
        };
        var inputs = JsonNode.Parse("""{"epochs":3}""")!.AsObject();

        var env = Environment(launch, inputs, GpuVisibility.FromGrant, inherited: new() { ["PATH"] = "/usr/bin" });

        env.Should().Equal(new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin",
            ["SEED"] = "7",
            ["FLYTE_INPUT_EPOCHS"] = "3",
            ["FLYTE_INPUTS"] = "/work/a/inputs.json",
            ["FLYTE_OUTPUTS"] = "/work/a/outputs.json",
            ["FLYTE_ATTEMPT_ID"] = "lab.development.e1.train.2",
            ["FLYTE_EXECUTION_ID"] = "e1",
            ["FLYTE_NODE_ID"] = "train",
            ["FLYTE_ATTEMPT"] = "2",
        });
    }

    [Fact]
    public void A_process_sees_exactly_its_granted_devices_and_without_a_grant_none_of_the_silos()
    {
        var inherited = new Dictionary<string, string?> { ["CUDA_VISIBLE_DEVICES"] = "0,1", ["NVIDIA_VISIBLE_DEVICES"] = "all" };
        var fromSpec = Launch() with { Env = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "3" } };
        var granted = fromSpec with { Gpu = new GpuGrant("dgx-01", ["GPU-aaa", "MIG-bbb"], "nvidia.com/gpu") };

        var without = Environment(fromSpec, new(), GpuVisibility.FromGrant, inherited);
        var with = Environment(granted, new(), GpuVisibility.FromGrant, inherited);

        without.Should().NotContainKeys("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "FLYTE_GPU_GRANT");
        with.Should().Contain("CUDA_VISIBLE_DEVICES", "GPU-aaa,MIG-bbb").And.Contain("NVIDIA_VISIBLE_DEVICES", "GPU-aaa,MIG-bbb");
        with.Should().NotContainKey("FLYTE_GPU_GRANT");
    }

    [Fact]
    public void A_container_leaves_its_devices_to_the_device_plugin_and_without_a_grant_the_runtime_exposes_none()
    {
        var fromSpec = Launch() with { Env = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "0,1,2,3", ["NVIDIA_VISIBLE_DEVICES"] = "all" } };
        var granted = fromSpec with { Gpu = new GpuGrant("dgx-01", ["dgx-01/gpu-2", "dgx-01/gpu-3"], "nvidia.com/gpu") };

        var without = Environment(fromSpec, new(), GpuVisibility.DevicePlugin);
        var with = Environment(granted, new(), GpuVisibility.DevicePlugin);

        without.Should().Contain("NVIDIA_VISIBLE_DEVICES", "void").And.NotContainKeys("CUDA_VISIBLE_DEVICES", "FLYTE_GPU_GRANT");
        with.Should().Contain("FLYTE_GPU_GRANT", "dgx-01/gpu-2,dgx-01/gpu-3").And.NotContainKeys("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n")]
    public void No_inputs_are_an_empty_object(string? json)
    {
        TaskContract.TryParseInputs(json, out var inputs, out var error).Should().BeTrue();
        inputs.Should().BeEmpty();
        error.Should().BeNull();
    }

    [Theory]
    [InlineData("[1,2]", "the attempt's inputs are not a JSON object")]
    [InlineData("\"text\"", "the attempt's inputs are not a JSON object")]
    [InlineData("{\"epochs\":", "the attempt's inputs are not a JSON object: ")]
    public void Inputs_that_are_not_a_json_object_are_refused_with_why(string json, string error)
    {
        TaskContract.TryParseInputs(json, out var inputs, out var why).Should().BeFalse();
        inputs.Should().BeNull();
        why.Should().StartWith(error);
    }

    [Fact]
    public void Outputs_with_every_declared_name_succeed_as_compact_json_extra_names_included()
    {
        var status = TaskContract.ExitedZero("a1", """ { "model_uri" : "s3://m/1", "loss": 0.25 } """, ["model_uri"], s_file, s_started, s_finished);

        status.Should().Be(new AttemptStatus("a1", AttemptPhase.Succeeded, 0, """{"model_uri":"s3://m/1","loss":0.25}""", StartedAt: s_started, FinishedAt: s_finished));
    }

    [Fact]
    public void A_task_that_declares_no_outputs_and_writes_none_succeeds_with_an_empty_object() =>
        TaskContract.ExitedZero("a1", null, [], s_file, s_started, s_finished).OutputsJson.Should().Be("{}");

    [Theory]
    [InlineData(null, "task exited 0 but did not write outputs.json (expected outputs: model_uri, loss)")]
    [InlineData("[1,2]", "task exited 0 but wrote an outputs.json that is not a JSON object of named outputs")]
    [InlineData("""{"loss":1}""", "task exited 0 but wrote an outputs.json that lacks output model_uri (expected outputs: model_uri, loss)")]
    [InlineData("""{"other":1}""", "task exited 0 but wrote an outputs.json that lacks outputs model_uri, loss (expected outputs: model_uri, loss)")]
    [InlineData("""{"model_uri":"0123456789012345678901234567890123456789","loss":1}""", "task exited 0 but wrote an outputs.json larger than 64 bytes, the most outputs may take")]
    public void Exit_zero_with_wrong_outputs_fails_and_says_what_is_wrong(string? written, string error)
    {
        var status = TaskContract.ExitedZero("a1", written, ["model_uri", "loss"], s_file, s_started, s_finished);

        status.Should().Be(new AttemptStatus("a1", AttemptPhase.Failed, 0, Error: error, StartedAt: s_started, FinishedAt: s_finished));
    }

    [Fact]
    public void Outputs_that_are_not_json_fail_with_the_parsers_reason() =>
        TaskContract.ExitedZero("a1", "{not json", ["model_uri"], s_file, s_started, s_finished).Error
            .Should().StartWith("task exited 0 but wrote an outputs.json that is not valid JSON (").And.Contain("LineNumber: 0");

    [Fact]
    public void The_size_limit_counts_utf8_bytes_not_characters()
    {
        var atLimit = $$"""{"x":"{{new string('é', 28)}}"}""";
        var overLimit = $$"""{"x":"{{new string('é', 29)}}"}""";

        TaskContract.ExitedZero("a1", atLimit, ["x"], s_file, null, null).Phase.Should().Be(AttemptPhase.Succeeded, "8 + 2 × 28 = 64 bytes");
        TaskContract.ExitedZero("a1", overLimit, ["x"], s_file, null, null).Error.Should().Contain("larger than 64 bytes");
    }

    [Fact]
    public void Each_runner_names_its_own_outputs_channel_in_the_same_sentences()
    {
        TaskContract.ExitedZero("a1", null, ["model_uri"], s_termination, null, null).Error
            .Should().Be("task exited 0 but wrote no outputs to /dev/termination-log (expected outputs: model_uri)");
        TaskContract.ExitedZero("a1", """{"x":1}""", ["model_uri"], s_termination, null, null).Error
            .Should().Be("task exited 0 but wrote a termination message that lacks output model_uri (expected outputs: model_uri)");
    }

    private static AttemptLaunch Launch() =>
        new("lab.development.e1.train.2", "lab", "development", "e1", "train", 2, "registry.local/train:1", ["python"], [],
            new Dictionary<string, string>(), "{}", [], null, null, GpuGrant.None, null);

    private static Dictionary<string, string?> Environment(AttemptLaunch launch, JsonObject inputs, GpuVisibility gpus, Dictionary<string, string?>? inherited = null)
    {
        var env = new Dictionary<string, string?>(inherited ?? [], StringComparer.Ordinal);
        TaskContract.WriteEnvironment(env, launch, inputs, "/work/a/inputs.json", "/work/a/outputs.json", gpus);
        return env;
    }
}
