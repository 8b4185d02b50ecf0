using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Api.Tests.Gpus;

/// <summary>
/// Tasks asking for GPUs, end to end over HTTP with real processes, against a small configured inventory: one
/// node with two whole A100s and one GPU split into 3g.20gb + 2g.10gb + 2 × 1g.5gb (so exactly one mig-3g.20gb).
/// </summary>
public sealed class GpuApiTests : ExecutionTestBase
{
    private const string GpuNode = "gpu-test-01";

    protected override IReadOnlyDictionary<string, string> Settings => TestInventory.Settings(GpuNode,
        "whole", "whole", "mig:3g.20gb,2g.10gb,1g.5gb,1g.5gb");

    /// <summary>Writes CUDA_VISIBLE_DEVICES to {name}.gpu, then waits for {name}.go before it ends.</summary>
    private async Task RegisterHoldingTask(string name, string gpu, string extra = "")
    {
        await RegisterTask(name,
            $"echo \"$CUDA_VISIBLE_DEVICES\" > {Scratch}/$FLYTE_INPUT_NAME.gpu; while [ ! -f {Scratch}/$FLYTE_INPUT_NAME.go ]; do sleep 0.05; done",
            inputs: "{ name: string }",
            extra: $"resources: {{ gpu: {gpu} }}\n{extra}");
        await RegisterWorkflow($$$"""
            name: {{{name}}}-wf
            version: v1
            inputs: { name: string }
            nodes:
              - id: hold
                task: {{{name}}}@v1
                inputs: { name: "{{ inputs.name }}" }
            """);
    }

    [Fact]
    public async Task The_second_workflow_waits_for_the_only_mig_3g_slice_with_a_reason_then_runs_when_the_first_ends()
    {
        await RegisterHoldingTask("mig3", "{ profile: mig-3g.20gb }");

        var first = await Submit("mig3-wf", new { name = "first" });
        var gpuOfFirst = await WaitForFile($"{Scratch}/first.gpu");
        var second = await Submit("mig3-wf", new { name = "second" });

        // The second waits, saying why with figures, while the first holds the slice.
        var waiting = await WaitForNode(second, "hold", n => n["phase"]!.GetValue<string>() == "WaitingForResources" && n["waiting"] is not null);
        waiting["waiting"]!["code"]!.GetValue<string>().Should().Be("capacity");
        waiting["waiting"]!["reason"]!.GetValue<string>().Should().Be("no free mig-3g.20gb: 0 of 1 free, first in queue");
        waiting["attempts"]!.AsArray().Should().BeEmpty("nothing is launched while waiting");

        // Capacity says who holds the slice, and who waits.
        var capacity = await Json(await Get("/api/v1/capacity"));
        var slice = capacity["nodes"]!.AsArray().Single()!["devices"]!.AsArray()
            .SelectMany(d => d!["slices"]!.AsArray()).Single(s => s!["profile"]!.GetValue<string>() == "mig-3g.20gb")!;
        slice["id"]!.GetValue<string>().Should().Be(gpuOfFirst, "the task saw its MIG instance in CUDA_VISIBLE_DEVICES");
        slice["heldBy"]!["execution"]!.GetValue<string>().Should().Be(first);
        slice["heldBy"]!["node"]!.GetValue<string>().Should().Be("hold");
        slice["heldBy"]!["attempt"]!.GetValue<int>().Should().Be(1);
        var queued = capacity["queue"]!.AsArray().Single()!;
        queued["execution"]!.GetValue<string>().Should().Be(second);
        queued["reason"]!["message"]!.GetValue<string>().Should().Contain("0 of 1 free");
        File.Exists($"{Scratch}/second.gpu").Should().BeFalse();

        // The same figures for Prometheus.
        var metrics = await (await Get("/metrics")).Content.ReadAsStringAsync();
        metrics.Should().Contain("flyte_gpu_units{resource=\"mig-3g.20gb\",state=\"held\"} 1\n")
            .And.Contain("flyte_gpu_units{resource=\"mig-3g.20gb\",state=\"free\"} 0\n")
            .And.Contain("flyte_gpu_waiting_units{resource=\"mig-3g.20gb\"} 1\n")
            .And.Contain("flyte_gpu_queue_length 1\n")
            .And.Contain("flyte_gpu_held_units{project=\"lab\",domain=\"development\",resource=\"mig-3g.20gb\"} 1\n");

        // The moment the first ends, the second gets the slice.
        var released = Stopwatch.StartNew();
        await File.WriteAllTextAsync($"{Scratch}/first.go", "");
        (await WaitForEnd(first))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        (await WaitForFile($"{Scratch}/second.gpu")).Should().Be(gpuOfFirst);
        released.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "the grant follows the release at once, not on a polling period");

        await File.WriteAllTextAsync($"{Scratch}/second.go", "");
        var done = await WaitForEnd(second);
        done["phase"]!.GetValue<string>().Should().Be("Succeeded");
        var attempt = Node(done, "hold")["attempts"]!.AsArray().Single()!;
        attempt["gpu"]!["node"]!.GetValue<string>().Should().Be(GpuNode);
        attempt["gpu"]!["resource"]!.GetValue<string>().Should().Be("nvidia.com/mig-3g.20gb");
        attempt["gpu"]!["devices"]!.AsArray().Select(d => d!.GetValue<string>()).Should().Equal(gpuOfFirst);

        await ExpectAllFree();
    }

    [Fact]
    public async Task A_request_no_node_can_satisfy_is_refused_at_submission_with_the_inventory_and_nothing_is_stored()
    {
        await RegisterHoldingTask("three", "{ class: a100-40gb, count: 3 }");
        var before = await StoredEventCount();

        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "three-wf", inputs = new { name = "x" } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await Json(response);
        var message = problem["errors"]!["/workflow/nodes/hold/resources/gpu"]![0]!.GetValue<string>();
        message.Should().Be($"node 'hold' (task three@v1): 3 × a100-40gb can never be granted: no node has 3 (at most 2 on {GpuNode}). "
            + $"The inventory has {GpuNode}: 2 × a100-40gb, 1 × mig-3g.20gb, 1 × mig-2g.10gb, 2 × mig-1g.5gb");
        (await StoredEventCount()).Should().Be(before);
    }

    [Fact]
    public async Task A_quota_holds_a_task_back_with_the_quota_in_the_reason_and_lifting_it_grants_at_once()
    {
        await RegisterHoldingTask("one", "1");
        var set = await Http.PutAsJsonAsync(new Uri($"{Scope}/quotas/gpu", UriKind.Relative), new { limit = 1, reason = "share the A100s" });
        set.StatusCode.Should().Be(HttpStatusCode.OK, await set.Content.ReadAsStringAsync());
        (await Json(set))["limit"]!.GetValue<int>().Should().Be(1);

        var first = await Submit("one-wf", new { name = "q1" });
        await WaitForFile($"{Scratch}/q1.gpu");
        var second = await Submit("one-wf", new { name = "q2" });
        var waiting = await WaitForNode(second, "hold", n => n["waiting"] is not null);
        waiting["waiting"]!["reason"]!.GetValue<string>().Should().Be("quota development/lab: 1 of 1 gpu in use, this task needs 1");

        (await Http.DeleteAsync(new Uri($"{Scope}/quotas/gpu", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await WaitForFile($"{Scratch}/q2.gpu")).Should().NotBe(await File.ReadAllTextAsync($"{Scratch}/q1.gpu"), "two different whole GPUs");

        await File.WriteAllTextAsync($"{Scratch}/q1.go", "");
        await File.WriteAllTextAsync($"{Scratch}/q2.go", "");
        (await WaitForEnd(first))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        (await WaitForEnd(second))["phase"]!.GetValue<string>().Should().Be("Succeeded");
        await ExpectAllFree();
    }

    [Fact]
    public async Task A_cordoned_node_gets_no_new_work_until_uncordoned()
    {
        await RegisterHoldingTask("small", "{ profile: mig-1g.5gb }");
        var cordon = await Http.PostAsJsonAsync(new Uri($"/api/v1/gpu-nodes/{GpuNode}/cordon", UriKind.Relative), new { reason = "driver upgrade" });
        cordon.StatusCode.Should().Be(HttpStatusCode.OK);

        var id = await Submit("small-wf", new { name = "c1" });
        var waiting = await WaitForNode(id, "hold", n => n["waiting"] is not null);
        waiting["waiting"]!["reason"]!.GetValue<string>().Should().Be($"every node with 1 × mig-1g.5gb is unavailable: node {GpuNode} cordoned (driver upgrade)");

        (await Http.PostAsJsonAsync(new Uri($"/api/v1/gpu-nodes/{GpuNode}/uncordon", UriKind.Relative), new { reason = "done" })).StatusCode.Should().Be(HttpStatusCode.OK);
        await WaitForFile($"{Scratch}/c1.gpu");
        await File.WriteAllTextAsync($"{Scratch}/c1.go", "");
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");

        // Taken out of the inventory: shown as gone, and a new submission needing it is refused.
        (await Http.DeleteAsync(new Uri($"/api/v1/gpu-nodes/{GpuNode}", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Json(await Get("/api/v1/capacity")))["nodes"]!.AsArray().Single()!["condition"]!.GetValue<string>().Should().Be("Gone");
        var refused = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "small-wf", inputs = new { name = "c2" } });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("the cluster has no GPU nodes");
        (await Http.DeleteAsync(new Uri("/api/v1/gpu-nodes/no-such-node", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Leases_go_back_on_failure_retry_timeout_and_abort_and_a_waiting_request_is_withdrawn_on_abort()
    {
        // Fails on its first attempt, succeeds on the second: each attempt has its own lease.
        await RegisterTask("flaky", $"n=$(cat {Scratch}/flaky 2>/dev/null || echo 0); echo $((n+1)) > {Scratch}/flaky; [ $n -ge 1 ]",
            extra: "resources: { gpu: { profile: mig-2g.10gb } }\nretries: 1");
        await RegisterTask("slow", "sleep 30", extra: "resources: { gpu: { profile: mig-2g.10gb } }\ntimeout: 1s");
        await RegisterTask("stuck", "sleep 30", extra: "resources: { gpu: { profile: mig-2g.10gb } }");
        foreach (var name in new[] { "flaky", "slow", "stuck" })
        {
            await RegisterWorkflow($"name: {name}-wf\nversion: v1\nnodes:\n  - id: run\n    task: {name}@v1\n");
        }

        var flaky = Node(await WaitForEnd(await Submit("flaky-wf")), "run");
        flaky["phase"]!.GetValue<string>().Should().Be("Succeeded");
        flaky["attempts"]!.AsArray().Should().HaveCount(2).And.OnlyContain(a => a!["gpu"] != null);
        await ExpectAllFree();

        (await WaitForEnd(await Submit("slow-wf")))["phase"]!.GetValue<string>().Should().BeOneOf("Failed", "TimedOut");
        await ExpectAllFree();

        var running = await Submit("stuck-wf");
        await WaitForNode(running, "run", n => n["phase"]!.GetValue<string>() == "Running");
        var queued = await Submit("stuck-wf");
        await WaitForNode(queued, "run", n => n["waiting"] is not null);
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{queued}/abort", UriKind.Relative), new { reason = "not needed" })).EnsureSuccessStatusCode();
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{running}/abort", UriKind.Relative), new { reason = "not needed" })).EnsureSuccessStatusCode();
        await WaitForEnd(queued);
        await WaitForEnd(running);
        await ExpectAllFree();
    }

    [Fact]
    public async Task Bad_quota_and_priority_input_gets_problem_details()
    {
        var badResource = await Http.PutAsJsonAsync(new Uri($"{Scope}/quotas/tpu", UriKind.Relative), new { limit = 1 });
        badResource.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(badResource))["errors"]!["/resource"]![0]!.GetValue<string>().Should().Contain("use 'gpu' for whole GPUs or a MIG profile");

        var badLimit = await Http.PutAsJsonAsync(new Uri($"{Scope}/quotas/mig-3g.20gb", UriKind.Relative), new { limit = -1 });
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(badLimit))["errors"]!["/limit"].Should().NotBeNull();

        var unknownScope = await Http.PutAsJsonAsync(new Uri("/api/v1/projects/nope/domains/development/quotas/gpu", UriKind.Relative), new { limit = 1 });
        unknownScope.StatusCode.Should().Be(HttpStatusCode.NotFound);

        (await Http.PostAsJsonAsync(new Uri("/api/v1/gpu-nodes/no-such-node/cordon", UriKind.Relative), new { reason = "x" }))
            .StatusCode.Should().Be(HttpStatusCode.NotFound);

        await RegisterHoldingTask("p", "1");
        var badPriority = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new { workflow = "p-wf", inputs = new { name = "x" }, priority = 500 });
        badPriority.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(badPriority))["errors"]!["/priority"]![0]!.GetValue<string>().Should().Be("priority must be between -100 and 100, not 500");
    }

    [Fact]
    public async Task The_grafana_dashboard_queries_only_metrics_the_platform_exports()
    {
        var exported = (await (await Get("/metrics")).Content.ReadAsStringAsync())
            .Split('\n').Where(l => l.StartsWith("# HELP ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Checkout.Root, "dashboards", "gpu-capacity.json")))!;
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()).ToList();
        expressions.Should().NotBeEmpty();
        var used = expressions.SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, "flyte_[a-z_]+").Select(m => m.Value)).ToHashSet();
        used.Should().NotBeEmpty().And.BeSubsetOf(exported);
        dashboard["uid"]!.GetValue<string>().Should().Be("orleans-flyte-gpu");
    }

    private Task<JsonObject> ExpectAllFree() => Eventually.Until(
        async () => await Json(await Get("/api/v1/capacity")),
        capacity => capacity["resources"]!.AsArray().All(r => r!["held"]!.GetValue<int>() == 0) && capacity["queue"]!.AsArray().Count == 0,
        "every GPU to be free and the queue empty",
        TimeSpan.FromSeconds(20),
        describe: capacity => capacity.ToJsonString());

    private Task<JsonObject> WaitForNode(string execution, string node, Func<JsonObject, bool> condition) => Eventually.Until(
        async () => Node(await Execution(execution), node),
        condition,
        $"node {node} of {execution} to match",
        TimeSpan.FromSeconds(30),
        describe: last => last.ToJsonString());

    private static Task<string> WaitForFile(string path) => WaitForFile(path, TimeSpan.FromSeconds(30));
}

/// <summary>Settings that replace the silo's sample GPU inventory (node 0 of appsettings.json, disabled) with one test node.</summary>
internal static class TestInventory
{
    public static IReadOnlyDictionary<string, string> Settings(string node, params string[] gpus)
    {
        var settings = new Dictionary<string, string>
        {
            ["Flyte:Gpus:Nodes:0:Enabled"] = "false",
            ["Flyte:Gpus:Nodes:1:Name"] = node,
            ["Flyte:Gpus:Nodes:1:Model"] = "NVIDIA A100-SXM4-40GB",
            ["Flyte:Gpus:Nodes:1:MemoryGb"] = "40",
            ["Flyte:Gpus:ReconcileInterval"] = "00:00:02",
        };
        for (var i = 0; i < gpus.Length; i++)
        {
            settings[$"Flyte:Gpus:Nodes:1:Gpus:{i}"] = gpus[i];
        }

        return settings;
    }
}
