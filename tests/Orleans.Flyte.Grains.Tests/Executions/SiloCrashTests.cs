using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// Real silos (TCP, PostgreSQL membership and reminders) sharing one database and one attempt directory:
/// one silo disappears without shutting down while executions run, a new one starts, and everything finishes.
/// </summary>
public sealed class SiloCrashTests() : SiloCrashTestBase("crash")
{
    private static readonly string Step = LoggedStep("""'{"done": true}'""");

    [Fact]
    public async Task Executions_in_flight_when_a_silo_dies_all_finish_and_no_attempt_runs_twice_at_once()
    {
        using var survivor = await StartSilo();
        var doomed = await StartSilo();
        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var ids = Enumerable.Range(0, 8).Select(_ => ExecutionIds.New()).ToList();
        await Task.WhenAll(ids.Select(id => grains.GetGrain<IWorkflowExecutionGrain>(ExecutionKeys.Workflow("lab", "development", id)).Create(Command())));
        await Eventually.Until(() => LoggedLines("start") >= 4,
            "attempts to be running", TimeSpan.FromSeconds(60));

        var crashedAt = DateTimeOffset.UtcNow;
        doomed.Dispose(); // no graceful shutdown: its grains, timers and processes vanish
        using var replacement = await StartSilo();

        await Eventually.Until(
            async () => (await Task.WhenAll(ids.Select(View))).All(v => v!.Phase.IsTerminal()),
            "every execution to reach a terminal phase",
            TimeSpan.FromSeconds(120));

        var views = (await Task.WhenAll(ids.Select(View))).Select(v => v!).ToList();
        views.Should().OnlyContain(v => v.Phase == WorkflowPhase.Succeeded, string.Join("; ", views.Select(v => $"{v.ExecutionId}: {v.Phase} {v.Error}")));
        NoAttemptOverlaps(crashedAt);
        await survivor.StopAsync();
        await replacement.StopAsync();
    }

    /// <summary>
    /// Per node, an attempt starts only after the previous one ended (or was killed with its silo). A node may run more
    /// than once: an attempt lost with its silo is retried, even if it had got as far as writing its outputs.
    /// </summary>
    private void NoAttemptOverlaps(DateTimeOffset crashedAt)
    {
        var runs = AttemptRuns(crashedAt);
        NoOverlapPerNode(runs);
        foreach (var node in runs.GroupBy(r => r.Node))
        {
            node.Count(r => r.Ended).Should().BeGreaterThanOrEqualTo(1, $"node {node.Key} completed");
        }
    }

    private CreateExecution Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(Step).ToJsonString()}}] }
            inputs: { dir: string }
            outputs: { done: bool }
            retries: 3
            """).Value!).Value!;
        var workflow = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: chain
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: first, task: step@v1, inputs: { dir: "{{ inputs.dir }}" } }
              - { id: second, task: step@v1, inputs: { dir: "{{ inputs.dir }}" }, after: [first] }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var plan = ExecutionPlanCompiler.Compile(workflow, new Dictionary<string, string> { ["step@v1"] = "step@v1" }, _ => spec);
        return new CreateExecution("lab", "development", plan, new JsonObject { ["dir"] = Scratch }.ToJsonString(), null, false, null, null,
            new Dictionary<string, string>(), null, null);
    }
}
