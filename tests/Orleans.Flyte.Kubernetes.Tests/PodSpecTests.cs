using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>The exact pod the runner sends, captured at the stand-in API server.</summary>
public sealed class PodSpecTests : IAsyncLifetime
{
    private FakeKubernetesApi _api = null!;
    private readonly RecordingStatusSink _sink = new();

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Cpu_task_pod_has_labels_resources_deadline_inputs_and_no_gpu()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var launch = Attempts.Launch(timeout: TimeSpan.FromMinutes(90));
        var status = await runner.LaunchAsync(launch);

        status.Phase.Should().Be(AttemptPhase.Pending);
        var pod = _api.CreatedBodies.Should().ContainSingle().Subject;
        var name = Attempts.PodName(launch);
        name.Should().MatchRegex("^e0000000000000000001-train-1-[0-9a-f]{8}$");
        var expected = JsonNode.Parse($$"""
            {
              "apiVersion": "v1",
              "kind": "Pod",
              "metadata": {
                "annotations": {
                  "flyte.orleans.dev/attempt-id": "lab.development.e0000000000000000001.train.1",
                  "flyte.orleans.dev/inputs": "{\"epochs\":3,\"dataset\":\"s3://bucket/d\"}",
                  "flyte.orleans.dev/outputs": "[\"model_uri\"]"
                },
                "labels": {
                  "app.kubernetes.io/managed-by": "orleans-flyte",
                  "flyte.orleans.dev/attempt": "1",
                  "flyte.orleans.dev/domain": "development",
                  "flyte.orleans.dev/execution": "e0000000000000000001",
                  "flyte.orleans.dev/node": "train",
                  "flyte.orleans.dev/project": "lab"
                },
                "name": "{{name}}",
                "namespace": "lab-development"
              },
              "spec": {
                "activeDeadlineSeconds": 5400,
                "automountServiceAccountToken": false,
                "containers": [
                  {
                    "args": ["--fast"],
                    "command": ["python", "train.py"],
                    "env": [
                      { "name": "FLYTE_ATTEMPT", "value": "1" },
                      { "name": "FLYTE_ATTEMPT_ID", "value": "lab.development.e0000000000000000001.train.1" },
                      { "name": "FLYTE_EXECUTION_ID", "value": "e0000000000000000001" },
                      { "name": "FLYTE_INPUTS", "value": "/etc/flyte/inputs.json" },
                      { "name": "FLYTE_INPUT_DATASET", "value": "s3://bucket/d" },
                      { "name": "FLYTE_INPUT_EPOCHS", "value": "3" },
                      { "name": "FLYTE_NODE_ID", "value": "train" },
                      { "name": "FLYTE_OUTPUTS", "value": "/dev/termination-log" },
                      { "name": "NVIDIA_VISIBLE_DEVICES", "value": "void" },
                      { "name": "SEED", "value": "7" }
                    ],
                    "image": "registry.local/ml/train:1.4",
                    "name": "task",
                    "resources": {
                      "limits": { "cpu": "2", "memory": "4Gi" },
                      "requests": { "cpu": "2", "memory": "4Gi" }
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "FallbackToLogsOnError",
                    "volumeMounts": [ { "mountPath": "/etc/flyte", "name": "flyte-inputs", "readOnly": true } ]
                  }
                ],
                "enableServiceLinks": false,
                "restartPolicy": "Never",
                "volumes": [
                  {
                    "downwardAPI": { "items": [ { "fieldRef": { "fieldPath": "metadata.annotations['flyte.orleans.dev/inputs']" }, "path": "inputs.json" } ] },
                    "name": "flyte-inputs"
                  }
                ]
              }
            }
            """);
        JsonNode.DeepEquals(pod, expected).Should().BeTrue("the pod sent was {0}", pod.ToJsonString());
    }

    [Fact]
    public async Task Whole_gpu_task_asks_for_nvidia_gpu_pinned_to_the_granted_node_and_tolerates_gpu_taints()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var grant = new GpuGrant("dgx-01", ["dgx-01/gpu-2", "dgx-01/gpu-3"], "nvidia.com/gpu");
        await runner.LaunchAsync(Attempts.Launch(cpu: "8", memory: "64Gi", gpu: grant));

        var spec = _api.CreatedBodies.Single()["spec"]!;
        var container = spec["containers"]![0]!;
        JsonNode.DeepEquals(container["resources"], JsonNode.Parse("""{"limits":{"cpu":"8","memory":"64Gi","nvidia.com/gpu":"2"},"requests":{"cpu":"8","memory":"64Gi"}}""")).Should().BeTrue(container["resources"]!.ToJsonString());
        JsonNode.DeepEquals(spec["affinity"], JsonNode.Parse("""{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["dgx-01"]}]}]}}}""")).Should().BeTrue(spec["affinity"]!.ToJsonString());
        JsonNode.DeepEquals(spec["tolerations"], JsonNode.Parse("""[{"effect":"NoSchedule","key":"nvidia.com/gpu","operator":"Exists"}]""")).Should().BeTrue(spec["tolerations"]!.ToJsonString());
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        env.Should().Contain("FLYTE_GPU_GRANT", "dgx-01/gpu-2,dgx-01/gpu-3");
        env.Should().NotContainKeys("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES");
        spec["activeDeadlineSeconds"].Should().BeNull();
    }

    [Fact]
    public async Task Mig_task_asks_for_its_profile_in_mixed_strategy()
    {
        await using var runner = Attempts.Runner(_api, _sink);
        var grant = new GpuGrant("dgx-02", ["dgx-02/mig-3g.20gb-1"], "nvidia.com/mig-3g.20gb");
        await runner.LaunchAsync(Attempts.Launch(gpu: grant, timeout: TimeSpan.FromSeconds(90.5)));

        var spec = _api.CreatedBodies.Single()["spec"]!;
        JsonNode.DeepEquals(spec["containers"]![0]!["resources"]!["limits"], JsonNode.Parse("""{"cpu":"2","memory":"4Gi","nvidia.com/mig-3g.20gb":"1"}""")).Should().BeTrue();
        spec["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchFields"]![0]!["values"]![0]!.GetValue<string>().Should().Be("dgx-02");
        spec["tolerations"]![0]!["key"]!.GetValue<string>().Should().Be("nvidia.com/gpu");
        spec["activeDeadlineSeconds"]!.GetValue<long>().Should().Be(91);
    }

    [Fact]
    public async Task Mig_task_asks_for_nvidia_gpu_in_single_strategy()
    {
        await using var runner = Attempts.Runner(_api, _sink, o => o.MigStrategy = MigStrategy.Single);
        var grant = new GpuGrant("dgx-03", ["dgx-03/mig-1g.5gb-0"], "nvidia.com/mig-1g.5gb");
        await runner.LaunchAsync(Attempts.Launch(cpu: null, memory: null, gpu: grant));

        var resources = _api.CreatedBodies.Single()["spec"]!["containers"]![0]!["resources"]!;
        JsonNode.DeepEquals(resources, JsonNode.Parse("""{"limits":{"nvidia.com/gpu":"1"}}""")).Should().BeTrue(resources.ToJsonString());
    }

    [Fact]
    public void Pod_names_are_deterministic_dns_labels_and_long_ones_are_cut_with_a_hash()
    {
        var longNode = new string('n', 80);
        var a = PodNames.Pod($"lab.development.e1.{longNode}.1", "e1", longNode, 1);
        var b = PodNames.Pod($"other.development.e1.{longNode}.1", "e1", longNode, 1);
        a.Length.Should().BeLessThanOrEqualTo(63);
        a.Should().MatchRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
        a.Should().NotBe(b, "the hash is of the whole attempt id");
        PodNames.Pod($"lab.development.e1.{longNode}.1", "e1", longNode, 1).Should().Be(a);
        PodNames.Namespace("{project}-{domain}", "Lab_X", "development").Should().Be("lab-x-development");
        PodNames.LabelValue(new string('x', 100)).Length.Should().BeLessThanOrEqualTo(63);
    }

    [Fact]
    public void A_map_element_node_id_makes_a_valid_pod_name_and_label_distinct_per_element()
    {
        var third = PodNames.Pod("lab.development.e1.score[3].1", "e1", "score[3]", 1);
        var thirtieth = PodNames.Pod("lab.development.e1.score[30].1", "e1", "score[30]", 1);

        third.Should().MatchRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").And.StartWith("e1-score-3");
        thirtieth.Should().NotBe(third);
        PodNames.LabelValue("score[3]").Should().MatchRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$");
    }
}
