using System.Security.Cryptography;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>File and directory values on Kubernetes, against the stand-in API server: the shared artifact volume is
/// mounted into the pod (the store read-only, the attempt's output folder read-write), inputs arrive as paths on it, and
/// a file the pod wrote there is stored by hash and read by the next pod.</summary>
public sealed class ArtifactPodTests : IAsyncLifetime
{
    private const string Ns = "lab-development";
    private FakeKubernetesApi _api = null!;
    private readonly RecordingStatusSink _sink = new();
    private readonly string _volume = Orleans.Flyte.Testing.ScratchDirectories.Create("artifact-volume");
    private ArtifactStore _store = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _store = new ArtifactStore(new ArtifactStoreOptions { Root = _volume });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_volume, recursive: true);
    }

    private static ParameterType Type(string text) => ParameterType.TryParse(text, out var t) ? t : throw new ArgumentException(text);

    private KubernetesTaskRunner Runner(Action<KubernetesOptions>? configure = null)
    {
        var options = new KubernetesOptions { PodRetention = TimeSpan.Zero, WatchRetryDelay = TimeSpan.FromMilliseconds(100), ArtifactClaimName = "flyte-artifacts" };
        configure?.Invoke(options);
        return new KubernetesTaskRunner(_api.Client(), Options.Create(options), _sink, TimeProvider.System, NullLogger<KubernetesTaskRunner>.Instance, _store);
    }

    private static AttemptLaunch Train(string executionId) => Attempts.Launch(executionId: executionId, nodeId: "train", outputs: ["model", "loss"]) with
    {
        ArtifactOutputs = new Dictionary<string, ParameterType> { ["model"] = Type("file<onnx>") },
    };

    private static AttemptLaunch Evaluate(string executionId, JsonNode model) => Attempts.Launch(
        executionId: executionId, nodeId: "evaluate", inputsJson: new JsonObject { ["model"] = model, ["threshold"] = 0.5 }.ToJsonString(), outputs: ["score"]) with
    {
        ArtifactInputs = new Dictionary<string, ParameterType> { ["model"] = Type("file<onnx>") },
    };

    private static JsonObject Container(JsonObject pod) => pod["spec"]!["containers"]![0]!.AsObject();

    private static string? Env(JsonObject pod, string name) =>
        Container(pod)["env"]!.AsArray().SingleOrDefault(e => e!["name"]!.GetValue<string>() == name)?["value"]?.GetValue<string>();

    [Fact]
    public async Task A_file_written_by_one_pod_is_stored_by_hash_and_mounted_into_the_next()
    {
        await using var runner = Runner();
        var train = Train("e0000000000000000101");
        var trainPod = Attempts.PodName(train);
        await runner.LaunchAsync(train);

        var created = _api.CreatedBodies.Single();
        created["spec"]!["volumes"]!.AsArray().Should().ContainSingle(v => v!["name"]!.GetValue<string>() == PodBuilder.ArtifactVolumeName)
            .Which!["persistentVolumeClaim"]!["claimName"]!.GetValue<string>().Should().Be("flyte-artifacts");
        var mounts = Container(created)["volumeMounts"]!.AsArray().Where(m => m!["name"]!.GetValue<string>() == PodBuilder.ArtifactVolumeName).ToList();
        mounts.Should().HaveCount(2);
        mounts.Should().ContainSingle(m => m!["mountPath"]!.GetValue<string>() == "/flyte/artifacts" && m["readOnly"]!.GetValue<bool>());
        mounts.Should().ContainSingle(m => m!["mountPath"]!.GetValue<string>() == "/flyte/outputs" && m["subPath"]!.GetValue<string>() == $"attempts/{trainPod}");
        Env(created, TaskContract.OutputDirectoryVariable).Should().Be("/flyte/outputs");
        created["metadata"]!["annotations"]![PodNames.OutputsAnnotation]!.GetValue<string>().Should().Be("""["loss"]""", "model comes from the volume, not the termination message");

        // The pod writes its model to $FLYTE_OUTPUT_DIR, which is the volume's attempts/<pod> folder as the silo sees it.
        var written = Path.Combine(_volume, "attempts", trainPod, "model");
        Directory.CreateDirectory(Path.GetDirectoryName(written)!);
        await File.WriteAllTextAsync(written, "onnx-weights");
        _api.Run(Ns, trainPod);
        _api.Finish(Ns, trainPod, 0, """{"loss":0.1}""");

        var trained = await _sink.WaitFor(train.AttemptId, AttemptPhase.Succeeded);
        var outputs = JsonNode.Parse(trained.OutputsJson!)!.AsObject();
        var hash = Convert.ToHexStringLower(SHA256.HashData("onnx-weights"u8.ToArray()));
        outputs["model"]!["sha256"]!.GetValue<string>().Should().Be(hash);
        outputs["loss"]!.GetValue<double>().Should().Be(0.1);

        var evaluate = Evaluate("e0000000000000000101", outputs["model"]!.DeepClone());
        await runner.LaunchAsync(evaluate);
        var next = _api.CreatedBodies[^1];
        var path = Env(next, "FLYTE_INPUT_MODEL");
        path.Should().Be($"/flyte/artifacts/files/{hash}");
        JsonNode.Parse(next["metadata"]!["annotations"]![PodNames.InputsAnnotation]!.GetValue<string>())!["model"]!.GetValue<string>().Should().Be(path);
        File.ReadAllText(Path.Combine(_volume, path!["/flyte/artifacts/".Length..])).Should().Be("onnx-weights", "the path in the pod is the stored bytes on the shared volume");
    }

    [Fact]
    public async Task A_pod_that_exits_0_without_its_file_fails_permanently()
    {
        await using var runner = Runner();
        var train = Train("e0000000000000000102");
        await runner.LaunchAsync(train);
        _api.Finish(Ns, Attempts.PodName(train), 0, """{"loss":0.1}""");

        var failed = await _sink.WaitFor(train.AttemptId, AttemptPhase.Failed);
        failed.Permanent.Should().BeTrue();
        failed.Error.Should().Be("task exited 0 but did not write its file output model (expected a file at $FLYTE_OUTPUT_DIR/model)");
    }

    [Fact]
    public async Task An_nfs_volume_is_mounted_directly_and_without_any_volume_the_attempt_fails_with_the_setting_to_set()
    {
        await using (var nfs = Runner(o => { o.ArtifactClaimName = null; o.ArtifactNfsServer = "nfs.lab"; o.ArtifactNfsPath = "/exports/flyte"; }))
        {
            await nfs.LaunchAsync(Train("e0000000000000000103"));
            var volume = _api.CreatedBodies.Single()["spec"]!["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == PodBuilder.ArtifactVolumeName)!;
            volume["nfs"]!["server"]!.GetValue<string>().Should().Be("nfs.lab");
            volume["nfs"]!["path"]!.GetValue<string>().Should().Be("/exports/flyte");
        }

        await using var none = Runner(o => o.ArtifactClaimName = null);
        var status = await none.LaunchAsync(Train("e0000000000000000104"));
        status.Phase.Should().Be(AttemptPhase.Failed);
        status.Error.Should().Contain("Flyte:Kubernetes:ArtifactClaimName");
        _api.CreatedBodies.Should().HaveCount(1, "no pod is created without the volume");
    }

    [Fact]
    public async Task A_list_of_files_written_by_one_pod_is_stored_per_element_and_each_map_element_pod_mounts_its_own_file()
    {
        await using var runner = Runner();
        var split = Attempts.Launch(executionId: "e0000000000000000105", nodeId: "split", outputs: ["parts"]) with
        {
            ArtifactOutputs = new Dictionary<string, ParameterType> { ["parts"] = Type("list<file<parquet>>") },
        };
        var splitPod = Attempts.PodName(split);
        await runner.LaunchAsync(split);
        var created = _api.CreatedBodies.Single();
        JsonNode.Parse(created["metadata"]!["annotations"]![PodNames.ArtifactOutputsAnnotation]!.GetValue<string>())!["parts"]!.GetValue<string>()
            .Should().Be("list<file<parquet>>", "an adopted pod is judged by the same declared type");
        Container(created)["volumeMounts"]!.AsArray().Should().Contain(m => m!["mountPath"]!.GetValue<string>() == "/flyte/outputs"
            && m["subPath"]!.GetValue<string>() == $"attempts/{splitPod}");

        // The pod writes parts/0 … parts/10 into its output folder on the volume (10 sorts after 9: element order is numeric).
        var folder = Path.Combine(_volume, "attempts", splitPod, "parts");
        Directory.CreateDirectory(folder);
        var texts = Enumerable.Range(0, 11).Select(i => $"day-{i}").ToList();
        for (var i = 0; i < texts.Count; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), texts[i]);
        }

        _api.Run(Ns, splitPod);
        _api.Finish(Ns, splitPod, 0, "{}");
        var done = await _sink.WaitFor(split.AttemptId, AttemptPhase.Succeeded);
        var parts = JsonNode.Parse(done.OutputsJson!)!["parts"]!.AsArray();
        var hashes = texts.Select(t => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(t)))).ToList();
        parts.Select(p => p!["sha256"]!.GetValue<string>()).Should().Equal(hashes, "one reference per element, in element order, each with its own hash");

        // A map node's element i is a task of its own whose file input is element i: its pod mounts the store and reads that file.
        for (var i = 0; i < parts.Count; i++)
        {
            var element = Evaluate("e0000000000000000105", parts[i]!.DeepClone()) with
            {
                AttemptId = $"lab.development.e0000000000000000105.read[{i}].1",
                NodeId = $"read[{i}]",
            };
            await runner.LaunchAsync(element);
            var pod = _api.CreatedBodies[^1];
            pod["spec"]!["volumes"]!.AsArray().Should().ContainSingle(v => v!["name"]!.GetValue<string>() == PodBuilder.ArtifactVolumeName);
            Container(pod)["volumeMounts"]!.AsArray().Should().ContainSingle(m => m!["mountPath"]!.GetValue<string>() == "/flyte/artifacts" && m["readOnly"]!.GetValue<bool>());
            var path = Env(pod, "FLYTE_INPUT_MODEL");
            path.Should().Be($"/flyte/artifacts/files/{hashes[i]}", $"element {i} reads its own file");
            File.ReadAllText(Path.Combine(_volume, path!["/flyte/artifacts/".Length..])).Should().Be(texts[i]);
        }

        _api.CreatedBodies.Select(b => b["metadata"]!["name"]!.GetValue<string>()).Should().OnlyHaveUniqueItems("each element has its own pod");
    }

    [Fact]
    public async Task A_list_of_files_input_arrives_in_the_pod_as_the_list_of_their_paths()
    {
        await using var runner = Runner();
        var a = await Stored("alpha");
        var b = await Stored("beta");
        var join = Attempts.Launch(executionId: "e0000000000000000106", nodeId: "join",
            inputsJson: new JsonObject { ["parts"] = new JsonArray(a.ToJson(), b.ToJson()) }.ToJsonString(), outputs: ["all"]) with
        {
            ArtifactInputs = new Dictionary<string, ParameterType> { ["parts"] = Type("list<file>") },
        };

        await runner.LaunchAsync(join);

        var pod = _api.CreatedBodies.Single();
        Env(pod, "FLYTE_INPUT_PARTS").Should().Be($"""["/flyte/artifacts/files/{a.Sha256}","/flyte/artifacts/files/{b.Sha256}"]""");
    }

    private async Task<ArtifactReference> Stored(string text)
    {
        var source = Path.Combine(_volume, $"{text}.src");
        await File.WriteAllTextAsync(source, text);
        return await _store.PutFileAsync(source, null);
    }
}
