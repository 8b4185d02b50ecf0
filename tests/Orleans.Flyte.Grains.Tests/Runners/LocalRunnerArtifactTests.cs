using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Runners.Local;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>File and directory values through real processes: inputs arrive as paths into the store, declared outputs
/// are collected from <c>$FLYTE_OUTPUT_DIR</c> and stored under their SHA-256.</summary>
public sealed class LocalRunnerArtifactTests : IAsyncLifetime
{
    private readonly string _scratch = Orleans.Flyte.Testing.ScratchDirectories.Create("runner-artifacts");
    private readonly RecordingSink _sink = new();
    private readonly ArtifactStore _store;
    private readonly List<LocalProcessRunner> _runners = [];

    public LocalRunnerArtifactTests()
    {
        _store = new ArtifactStore(new ArtifactStoreOptions { Root = Path.Combine(_scratch, "artifacts"), MaxArtifactBytes = 64 });
        _runners.Add(new LocalProcessRunner(
            Options.Create(new LocalProcessRunnerOptions { WorkRoot = Path.Combine(_scratch, "work") }), _sink, TimeProvider.System,
            NullLogger<LocalProcessRunner>.Instance, _store));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _runners[0].DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    private static ParameterType Type(string text) => ParameterType.TryParse(text, out var t) ? t : throw new ArgumentException(text);

    private async Task<AttemptStatus> Run(string id, string script, string inputs = "{}", IReadOnlyList<string>? outputs = null,
        Dictionary<string, ParameterType>? artifactInputs = null, Dictionary<string, ParameterType>? artifactOutputs = null)
    {
        var launch = new AttemptLaunch(id, "p", "d", "exec1", "node", 1, "img", ["sh", "-c"], [script], new Dictionary<string, string>(),
            inputs, outputs ?? [.. (artifactOutputs ?? []).Keys], null, null, GpuGrant.None, null, artifactInputs, artifactOutputs);
        await _runners[0].LaunchAsync(launch);
        return await _sink.TerminalAsync(id);
    }

    [Fact]
    public async Task A_file_output_is_stored_under_its_hash_and_reported_as_a_reference()
    {
        var status = await Run("writes", "printf 'onnx-bytes' > \"$FLYTE_OUTPUT_DIR/model\"; echo '{\"score\": 0.9}' > \"$FLYTE_OUTPUTS\"",
            outputs: ["model", "score"], artifactOutputs: new() { ["model"] = Type("file<onnx>") });

        status.Phase.Should().Be(AttemptPhase.Succeeded, status.Error);
        var outputs = JsonNode.Parse(status.OutputsJson!)!.AsObject();
        outputs["score"]!.GetValue<double>().Should().Be(0.9);
        ArtifactReference.TryRead(outputs["model"], out var model).Should().BeTrue(outputs.ToJsonString());
        model!.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData("onnx-bytes"u8.ToArray())));
        model.Format.Should().Be("onnx");
        File.ReadAllText(_store.PathOf(model)).Should().Be("onnx-bytes");
    }

    [Fact]
    public async Task A_file_input_arrives_as_a_readable_path_in_env_and_inputs_json()
    {
        var source = Path.Combine(_scratch, "data.csv");
        await File.WriteAllTextAsync(source, "a,b\n1,2\n");
        var data = await _store.PutFileAsync(source, "csv");
        var inputs = new JsonObject { ["data"] = data.ToJson() }.ToJsonString();

        var status = await Run("reads",
            "wc -l < \"$FLYTE_INPUT_DATA\" | tr -d ' \\n' > lines; printf '{\"lines\": %s, \"same\": %s}' \"$(cat lines)\" "
            + "\"$(grep -c \"$FLYTE_INPUT_DATA\" \"$FLYTE_INPUTS\")\" > \"$FLYTE_OUTPUTS\"",
            inputs, outputs: ["lines", "same"], artifactInputs: new() { ["data"] = Type("file") });

        status.Phase.Should().Be(AttemptPhase.Succeeded, status.Error);
        var outputs = JsonNode.Parse(status.OutputsJson!)!;
        outputs["lines"]!.GetValue<int>().Should().Be(2);
        outputs["same"]!.GetValue<int>().Should().Be(1, "inputs.json holds the same path");
    }

    [Fact]
    public async Task A_directory_output_is_stored_whole()
    {
        var status = await Run("dir", "mkdir -p \"$FLYTE_OUTPUT_DIR/shards/a\"; echo 1 > \"$FLYTE_OUTPUT_DIR/shards/a/p0\"; echo 2 > \"$FLYTE_OUTPUT_DIR/shards/p1\"",
            artifactOutputs: new() { ["shards"] = Type("directory<parquet>") });

        status.Phase.Should().Be(AttemptPhase.Succeeded, status.Error);
        ArtifactReference.TryRead(JsonNode.Parse(status.OutputsJson!)!["shards"], out var shards).Should().BeTrue();
        shards!.IsDirectory.Should().BeTrue();
        shards.Size.Should().Be(4);
        File.ReadAllText(Path.Combine(_store.PathOf(shards), "a", "p0")).Should().Be("1\n");
    }

    [Fact]
    public async Task A_missing_declared_file_fails_the_attempt_permanently_with_its_name()
    {
        var status = await Run("missing", "true", artifactOutputs: new() { ["model"] = Type("file") });

        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Permanent.Should().BeTrue("the same task leaves the same file out again");
        status.Error.Should().Be("task exited 0 but did not write its file output model (expected a file at $FLYTE_OUTPUT_DIR/model)");
    }

    [Fact]
    public async Task An_output_over_the_size_limit_fails_the_attempt_permanently_and_nothing_is_stored()
    {
        var status = await Run("too-big", "head -c 65 /dev/zero > \"$FLYTE_OUTPUT_DIR/model\"", artifactOutputs: new() { ["model"] = Type("file") });

        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Permanent.Should().BeTrue();
        status.Error.Should().Be("task exited 0 but its output model cannot be stored: it is larger than 64 bytes, the most one artifact may take");
        Directory.Exists(Path.Combine(_store.Root, "files")).Should().BeFalse();
    }

    [Fact]
    public async Task An_input_whose_bytes_are_not_in_the_store_fails_before_the_task_runs()
    {
        var ghost = new ArtifactReference(new string('0', 64), 3, IsDirectory: false).ToJson();
        var status = await Run("ghost", "touch ran", new JsonObject { ["data"] = ghost }.ToJsonString(), artifactInputs: new() { ["data"] = Type("file") });

        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Permanent.Should().BeTrue();
        status.Error.Should().Contain("is not in the artifact store");
        File.Exists(Path.Combine(_scratch, "work", "ghost", "ran")).Should().BeFalse();
    }

    [Fact]
    public async Task A_list_of_directories_is_one_stored_tree_per_entry_in_name_order()
    {
        var status = await Run("dirs", "for d in b-day a-day c-day; do mkdir -p \"$FLYTE_OUTPUT_DIR/days/$d\"; echo $d > \"$FLYTE_OUTPUT_DIR/days/$d/rows\"; done",
            artifactOutputs: new() { ["days"] = Type("list<directory>") });

        status.Phase.Should().Be(AttemptPhase.Succeeded, status.Error);
        var days = JsonNode.Parse(status.OutputsJson!)!["days"]!.AsArray();
        var stored = days.Select(d => ArtifactReference.TryRead(d, out var r) ? r : throw new InvalidOperationException(d!.ToJsonString())).ToList();
        stored.Should().OnlyContain(r => r.IsDirectory);
        stored.Select(r => File.ReadAllText(Path.Combine(_store.PathOf(r), "rows"))).Should().Equal(["a-day\n", "b-day\n", "c-day\n"], "names that are not numbers sort by name");
    }

    [Fact]
    public async Task A_list_input_whose_element_is_not_in_the_store_fails_naming_the_element()
    {
        var source = Path.Combine(_scratch, "part");
        await File.WriteAllTextAsync(source, "x");
        var present = await _store.PutFileAsync(source, null);
        var ghost = new ArtifactReference(new string('0', 64), 3, IsDirectory: false);
        var inputs = new JsonObject { ["parts"] = new JsonArray(present.ToJson(), ghost.ToJson()) }.ToJsonString();

        var status = await Run("ghost-list", "touch ran", inputs, artifactInputs: new() { ["parts"] = Type("list<file>") });

        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Permanent.Should().BeTrue();
        status.Error.Should().Contain($"input parts[1]: {ghost.Uri} is not in the artifact store");
    }
}
