using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Api.Tests.Gpus;

namespace Orleans.Flyte.Api.Tests.Audit;

/// <summary>The run report: the whole account of one run from its stored events.</summary>
public sealed class RunReportTests : ExecutionTestBase
{
    protected override IReadOnlyDictionary<string, string> Settings => TestInventory.Settings("gpu-report-01", "mig:3g.20gb");

    [Fact]
    public async Task A_report_names_the_submitter_pinned_versions_with_spec_hashes_inputs_outputs_and_every_attempt_with_its_gpu_and_failure()
    {
        await RegisterTask("train", $"if [ ! -f {Scratch}/tried ]; then touch {Scratch}/tried; echo boom >&2; exit 3; fi; echo \"{{\\\"loss\\\": $FLYTE_INPUT_X}}\" > \"$FLYTE_OUTPUTS\"",
            "{ x: int }", "{ loss: int }", "retries: 1\nresources: { cpu: \"1\", memory: 1Gi, gpu: { profile: mig-3g.20gb } }");
        await RegisterWorkflow("name: train\nversion: v1\ninputs: { x: int }\nnodes: [ { id: fit, task: train@v1, inputs: { x: \"{{ inputs.x }}\" } } ]\noutputs: { loss: \"{{ nodes.fit.outputs.loss }}\" }\n");
        var id = await Submit("train@v1", new { x = 7 });
        (await WaitForEnd(id))["phase"]!.GetValue<string>().Should().Be("Succeeded");

        var report = await Json(await Get($"{Scope}/executions/{id}/audit"));

        report["phase"]!.GetValue<string>().Should().Be("Succeeded");
        report["origin"]!["submittedBy"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        report["origin"]!["correlationId"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        var taskVersion = await Json(await Get($"{Scope}/tasks/train/versions/v1"));
        var pinned = report["tasks"]!.AsArray().Should().ContainSingle().Subject!;
        pinned["name"]!.GetValue<string>().Should().Be("train");
        pinned["version"]!.GetValue<string>().Should().Be("v1");
        pinned["specHash"]!.GetValue<string>().Should().Be(taskVersion["contentHash"]!.GetValue<string>());
        report["workflow"]!["specHash"]!.GetValue<string>().Should().HaveLength(64);
        report["inputs"]!["x"]!.GetValue<int>().Should().Be(7);
        report["outputs"]!["loss"]!.GetValue<int>().Should().Be(7);

        var attempts = report["attempts"]!.AsArray();
        attempts.Should().HaveCount(2);
        var failed = attempts[0]!;
        failed["outcome"]!.GetValue<string>().Should().Be("Failed");
        failed["exitCode"]!.GetValue<int>().Should().Be(3);
        failed["error"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        var succeeded = attempts[1]!;
        succeeded["outcome"]!.GetValue<string>().Should().Be("Succeeded");
        succeeded["gpuNode"]!.GetValue<string>().Should().Be("gpu-report-01");
        succeeded["gpuResource"]!.GetValue<string>().Should().Be("nvidia.com/mig-3g.20gb");
        succeeded["gpuUnits"]!.AsArray().Should().ContainSingle();
        succeeded["resources"]!["gpu"].Should().NotBeNull();
        succeeded["startedAt"].Should().NotBeNull();
        succeeded["finishedAt"].Should().NotBeNull();

        report["chainsIntact"]!.GetValue<bool>().Should().BeTrue();
        report["chains"]!.AsArray().Select(c => c!["stream"]!.GetValue<string>()).Should()
            .Contain([$"execution/{id}", $"execution/{id}/fit", "workflow/lab/development/train", "task/lab/development/train"]);
    }

    [Fact]
    public async Task A_report_names_who_aborted_and_why_the_run_a_cache_hit_came_from_and_a_stream_edited_since()
    {
        await RegisterTask("cached", "echo '{\"y\": 1}' > \"$FLYTE_OUTPUTS\"", outputs: "{ y: int }", extra: "cache: { enabled: true, version: \"1\" }");
        await RegisterWorkflow("name: cached\nversion: v1\nnodes: [ { id: c, task: cached@v1 } ]\n");
        var source = await Submit("cached@v1");
        await WaitForEnd(source);
        var hit = await Submit("cached@v1");
        await WaitForEnd(hit);

        await RegisterTask("forever", $"echo $$ > {Scratch}/forever.pid; while true; do sleep 0.05; done");
        await RegisterWorkflow("name: forever\nversion: v1\nnodes: [ { id: loop, task: forever@v1 } ]\n");
        var aborted = await Submit("forever@v1");
        await WaitForPidFile($"{Scratch}/forever.pid", TimeSpan.FromSeconds(30));
        (await Http.PostAsJsonAsync(new Uri($"{Scope}/executions/{aborted}/abort", UriKind.Relative), new { reason = "wrong dataset" })).EnsureSuccessStatusCode();
        await WaitForEnd(aborted);

        var cacheReport = await Json(await Get($"{Scope}/executions/{hit}/audit"));
        var cacheHit = cacheReport["cacheHits"]!.AsArray().Should().ContainSingle().Subject!;
        cacheHit["node"]!.GetValue<string>().Should().Be("c");
        cacheHit["sourceExecutionId"]!.GetValue<string>().Should().Be(source);

        var abortReport = await Json(await Get($"{Scope}/executions/{aborted}/audit"));
        abortReport["phase"]!.GetValue<string>().Should().Be("Aborted");
        var abort = abortReport["aborts"]!.AsArray().First(a => a!["node"] is null)!;
        abort["reason"]!.GetValue<string>().Should().Be("wrong dataset");
        abort["by"]!.GetValue<string>().Should().Be(abortReport["origin"]!["submittedBy"]!.GetValue<string>());

        await using (var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "update flyte.mt_events set data = jsonb_set(data, '{Reason}', '\"routine stop\"') where stream_id = @s and type = 'execution_aborting'", connection);
            command.Parameters.AddWithValue("s", $"execution/{aborted}");
            (await command.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var edited = await Json(await Get($"{Scope}/executions/{aborted}/audit"));
        edited["chainsIntact"]!.GetValue<bool>().Should().BeFalse();
        var chain = edited["chains"]!.AsArray().Single(c => c!["stream"]!.GetValue<string>() == $"execution/{aborted}")!;
        chain["intact"]!.GetValue<bool>().Should().BeFalse();
        chain["damage"]!.GetValue<string>().Should().Be("EditedBody");
        (await Get($"{Scope}/executions/nosuchexecution00000/audit")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
