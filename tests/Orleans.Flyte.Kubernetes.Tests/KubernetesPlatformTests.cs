using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>The whole platform (the real silo host with Flyte:Runner = kubernetes) against the stand-in API server.</summary>
public sealed class KubernetesPlatformTests : IAsyncLifetime
{
    private const string Scope = "/api/v1/projects/lab/domains/development";
    private const string Ns = "lab-development";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private readonly string _serviceId = "k8s-" + Guid.NewGuid().ToString("N")[..8];
    private FakeKubernetesApi _api = null!;
    private TestDatabase _database = null!;
    private FlyteApiFactory Platform { get; set; } = null!;
    private HttpClient Http { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _database = await TestDatabase.CreateAsync("k8s");
        await StartPlatform();
        (await Http.PostAsJsonAsync(new Uri("/api/v1/projects", UriKind.Relative), new { name = "lab" })).EnsureSuccessStatusCode();
        await Post($"{Scope}/tasks", """
            name: prepare
            version: v1
            container: { image: registry.local/ml/prepare:1, command: [python, prepare.py] }
            inputs: { date: string }
            outputs: { path: string }
            resources: { cpu: "1", memory: 2Gi }
            """);
        await Post($"{Scope}/tasks", """
            name: train
            version: v1
            container: { image: registry.local/ml/train:1, command: [python, train.py] }
            inputs: { dataset: string }
            outputs: { model_uri: string }
            resources: { cpu: "4", memory: 16Gi }
            timeout: 2h
            """);
        await Post($"{Scope}/workflows", """
            name: train-alpha
            version: v1
            inputs: { date: string }
            nodes:
              - { id: prepare, task: prepare@v1, inputs: { date: "{{ inputs.date }}" } }
              - { id: train, task: train@v1, inputs: { dataset: "{{ nodes.prepare.outputs.path }}" } }
            outputs: { model: "{{ nodes.train.outputs.model_uri }}" }
            """);
    }

    public async Task DisposeAsync()
    {
        await StopPlatform();
        await _database.DisposeAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task A_workflow_runs_as_pods_watched_to_completion_with_outputs_passed_along_and_pods_deleted()
    {
        var id = await Submit();

        var prepare = await WaitForPod("prepare");
        Env(prepare)["FLYTE_INPUT_DATE"].Should().Be("2026-01-02");
        _api.Run(Ns, prepare.Metadata.Name);
        _api.Finish(Ns, prepare.Metadata.Name, 0, """{"path":"s3://data/2026-01-02"}""");

        var train = await WaitForPod("train");
        Env(train)["FLYTE_INPUT_DATASET"].Should().Be("s3://data/2026-01-02");
        train.Spec.ActiveDeadlineSeconds.Should().Be(7200);
        train.Spec.Containers[0].Resources.Limits["memory"].ToString().Should().Be("16Gi");
        _api.Run(Ns, train.Metadata.Name);
        _api.Finish(Ns, train.Metadata.Name, 0, """{"model_uri":"s3://models/alpha"}""");

        var done = await WaitForEnd(id);
        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!["model"]!.GetValue<string>().Should().Be("s3://models/alpha");
        await Eventually.Until(() => _api.Pods().Count == 0, "finished pods to be deleted", s_wait);
        _api.CreatedBodies.Should().HaveCount(2);
    }

    [Fact]
    public async Task Abort_deletes_the_running_pod()
    {
        var id = await Submit();
        var prepare = await WaitForPod("prepare");
        _api.Run(Ns, prepare.Metadata.Name);
        await WaitFor(id, e => Node(e, "prepare")["attempts"]!.AsArray().FirstOrDefault()?["startedAt"] is not null, "prepare to run");

        (await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{id}/abort", UriKind.Relative), new { reason = "wrong dataset" })).EnsureSuccessStatusCode();

        await Eventually.Until(() => _api.Pod(Ns, prepare.Metadata.Name) is null, "the aborted pod to be deleted", s_wait);
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Aborted");
    }

    [Fact]
    public async Task A_restarted_silo_adopts_the_running_pod_instead_of_creating_a_twin()
    {
        var id = await Submit();
        var prepare = await WaitForPod("prepare");
        _api.Run(Ns, prepare.Metadata.Name);
        await WaitFor(id, e => Node(e, "prepare")["attempts"]!.AsArray().FirstOrDefault()?["startedAt"] is not null, "prepare to run");

        await StopPlatform();
        await StartPlatform();
        await Eventually.Until(() => _api.CreateCalls >= 2, "the restarted engine to launch the attempt again", s_wait);
        _api.Pods().Should().ContainSingle("the second create was answered 409 and the pod adopted");
        _api.CreatedBodies.Select(b => b["metadata"]!["name"]!.GetValue<string>()).Distinct().Should().ContainSingle();

        _api.Finish(Ns, prepare.Metadata.Name, 0, """{"path":"s3://data/x"}""");
        var train = await WaitForPod("train");
        _api.Finish(Ns, train.Metadata.Name, 0, """{"model_uri":"s3://models/x"}""");
        var done = await WaitForEnd(id);
        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        Node(done, "prepare")["attempts"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public async Task Discovered_nodes_are_the_inventory_and_a_mig_task_becomes_a_pod_with_its_slice_pinned_to_the_granted_node()
    {
        // Node discovery on: the nodes the API server lists are the GPU inventory (the sample from appsettings is not).
        await StopPlatform();
        _api.PutNode(Nodes.Gpu("dgx-b", "NVIDIA-A100-SXM4-40GB", 40960, 2, new() { ["nvidia.com/gpu"] = "1", ["nvidia.com/mig-3g.20gb"] = "2" }));
        _api.PutNode(Nodes.Gpu("dgx-c", "NVIDIA-A100-SXM4-40GB", 40960, 1, new() { ["nvidia.com/gpu"] = "1" }));
        await StartPlatform(("Flyte:Gpus:Inventory", "kubernetes"));
        await Post($"{Scope}/tasks", """
            name: finetune
            version: v1
            container: { image: registry.local/ml/finetune:1, command: [python, finetune.py] }
            outputs: { model_uri: string }
            resources: { cpu: "8", memory: 64Gi, gpu: { profile: mig-3g.20gb } }
            """);
        await Post($"{Scope}/workflows", """
            name: finetune
            version: v1
            nodes:
              - { id: tune, task: finetune@v1 }
            outputs: { model: "{{ nodes.tune.outputs.model_uri }}" }
            """);

        JsonObject? capacity = null;
        await Eventually.Until(async () => (capacity = (await Http.GetFromJsonAsync<JsonObject>(new Uri("/api/v1/capacity", UriKind.Relative)))!)["nodes"]!.AsArray().Count == 2,
            "both discovered nodes to reach the allocator", s_wait);
        capacity!["nodes"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).Should().Equal("dgx-b", "dgx-c");
        capacity["resources"]!.AsArray().Select(r => $"{r!["resource"]!.GetValue<string>()}:{r["total"]!.GetValue<int>()}")
            .Should().BeEquivalentTo("a100-40gb:2", "mig-3g.20gb:2");

        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "finetune@v1" });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        var pod = await WaitForPod("tune");
        var limits = pod.Spec.Containers[0].Resources.Limits;
        limits["nvidia.com/mig-3g.20gb"].ToString().Should().Be("1");
        limits.Should().NotContainKey("nvidia.com/gpu");
        pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
            .SelectMany(t => t.MatchFields ?? []).Single().Values.Should().Equal("dgx-b");
        pod.Spec.Tolerations.Should().Contain(t => t.Key == "nvidia.com/gpu");

        capacity = (await Http.GetFromJsonAsync<JsonObject>(new Uri("/api/v1/capacity?resource=mig-3g.20gb", UriKind.Relative)))!;
        capacity["resources"]!.AsArray().Single()!["held"]!.GetValue<int>().Should().Be(1);

        _api.Run(Ns, pod.Metadata.Name);
        _api.Finish(Ns, pod.Metadata.Name, 0, """{"model_uri":"s3://models/tuned"}""");
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        await Eventually.Until(async () => (await Http.GetFromJsonAsync<JsonObject>(new Uri("/api/v1/capacity", UriKind.Relative)))!["resources"]!.AsArray()
            .All(r => r!["held"]!.GetValue<int>() == 0), "the slice to go back when the pod ended", s_wait);
    }

    [Fact]
    public async Task A_map_over_a_list_of_files_runs_one_pod_per_element_each_mounting_its_own_file()
    {
        await StopPlatform();
        await StartPlatform(("Flyte:Kubernetes:ArtifactClaimName", "flyte-artifacts"));
        await Post($"{Scope}/tasks", """
            name: split
            version: v1
            container: { image: registry.local/ml/split:1, command: [python, split.py] }
            outputs: { parts: list<file<csv>> }
            """);
        await Post($"{Scope}/tasks", """
            name: score
            version: v1
            container: { image: registry.local/ml/score:1, command: [python, score.py] }
            inputs: { part: file<csv> }
            outputs: { rows: int }
            """);
        await Post($"{Scope}/workflows", """
            name: score-parts
            version: v1
            nodes:
              - { id: split, task: split@v1 }
              - { id: score, task: score@v1, map: { over: "{{ nodes.split.outputs.parts }}", input: part, concurrency: 3 } }
            outputs: { rows: "{{ nodes.score.outputs.rows }}" }
            """);
        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "score-parts@v1" });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        // The split pod writes parts/0..2 into its folder of the shared volume (the silo's Flyte:Artifacts:Root).
        var split = await WaitForPod("split");
        var folder = Path.Combine(Platform.ArtifactRoot, "attempts", split.Metadata.Name, "parts");
        Directory.CreateDirectory(folder);
        var texts = new[] { "a,1\n", "b,2\nc,3\n", "d,4\ne,5\nf,6\n" };
        for (var i = 0; i < texts.Length; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture)), texts[i]);
        }

        _api.Run(Ns, split.Metadata.Name);
        _api.Finish(Ns, split.Metadata.Name, 0, "{}");
        var hashes = texts.Select(t => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(t)))).ToList();

        for (var i = 0; i < texts.Length; i++)
        {
            var element = await WaitForAttemptPod($".score[{i}].1");
            element.Spec.Volumes.Should().ContainSingle(v => v.Name == PodBuilder.ArtifactVolumeName)
                .Which.PersistentVolumeClaim.ClaimName.Should().Be("flyte-artifacts");
            element.Spec.Containers[0].VolumeMounts.Should().Contain(m => m.Name == PodBuilder.ArtifactVolumeName && m.MountPath == "/flyte/artifacts" && m.ReadOnlyProperty == true);
            var path = Env(element)["FLYTE_INPUT_PART"];
            path.Should().Be($"/flyte/artifacts/files/{hashes[i]}", $"element {i} reads part {i}");
            File.ReadAllText(Path.Combine(Platform.ArtifactRoot, path["/flyte/artifacts/".Length..])).Should().Be(texts[i]);
            _api.Run(Ns, element.Metadata.Name);
            _api.Finish(Ns, element.Metadata.Name, 0, $$"""{"rows":{{i + 1}}}""");
        }

        var done = await WaitForEnd(id);
        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!["rows"]!.ToJsonString().Should().Be("[1,2,3]", "outputs in element order");
        Node(done, "split")["outputs"]!["parts"]!.AsArray().Select(p => p!["sha256"]!.GetValue<string>()).Should().Equal(hashes);
    }

    private async Task<V1Pod> WaitForAttemptPod(string attemptSuffix)
    {
        V1Pod? pod = null;
        await Eventually.Until(
            () => (pod = _api.Pods().FirstOrDefault(p => p.Metadata.Annotations[PodNames.AttemptIdAnnotation].EndsWith(attemptSuffix, StringComparison.Ordinal))) is not null,
            $"a pod for the attempt *{attemptSuffix}", s_wait);
        return pod!;
    }

    private async Task StartPlatform(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>
        {
            ["Orleans:ClusterId"] = _serviceId,
            ["Orleans:ServiceId"] = _serviceId,
            ["Flyte:Runner"] = "kubernetes",
            ["Flyte:Kubernetes:Host"] = _api.Host,
            ["Flyte:Kubernetes:PodRetention"] = "00:00:00",
            ["Flyte:Kubernetes:WatchRetryDelay"] = "00:00:00.100",
            ["Flyte:Gpus:Nodes:0:Enabled"] = "false", // not the sample inventory of appsettings.json
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        Platform = new FlyteApiFactory(_database.ConnectionString, all);
        Http = Platform.CreateClient();
        (await Http.GetAsync(new Uri("/readyz", UriKind.Relative))).EnsureSuccessStatusCode();
    }

    private async Task StopPlatform()
    {
        Http.Dispose();
        await Platform.DisposeAsync();
    }

    private async Task Post(string path, string yaml)
    {
        var response = await Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(yaml, Encoding.UTF8, new MediaTypeHeaderValue("application/yaml")));
        response.StatusCode.Should().BeOneOf([HttpStatusCode.Created, HttpStatusCode.OK], await response.Content.ReadAsStringAsync());
    }

    private async Task<string> Submit()
    {
        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "train-alpha@v1", inputs = new { date = "2026-01-02" } });
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private async Task<V1Pod> WaitForPod(string node)
    {
        V1Pod? pod = null;
        await Eventually.Until(() => (pod = _api.Pods().FirstOrDefault(p => p.Metadata.Labels["flyte.orleans.dev/node"] == node)) is not null, $"a pod for {node}", s_wait);
        return pod!;
    }

    private static Dictionary<string, string> Env(V1Pod pod) => pod.Spec.Containers[0].Env.ToDictionary(e => e.Name, e => e.Value);

    private static JsonObject Node(JsonObject execution, string id) =>
        execution["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<string>() == id)!.AsObject();

    private Task<JsonObject> WaitFor(string id, Func<JsonObject, bool> condition, string what) => Eventually.Until(
        async () => (await Http.GetFromJsonAsync<JsonObject>(new Uri($"{Scope}/executions/{id}", UriKind.Relative)))!,
        condition,
        what,
        s_wait,
        describe: last => last.ToJsonString());

    private Task<JsonObject> WaitForEnd(string id) =>
        WaitFor(id, e => e["phase"]!.GetValue<string>() is "Succeeded" or "Failed" or "Aborted" or "TimedOut", "the execution to end");
}
