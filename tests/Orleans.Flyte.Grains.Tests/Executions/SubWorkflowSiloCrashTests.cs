using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>
/// A sub-workflow node (issue 17) whose child execution is running when a silo dies without shutting down: the child and
/// its parent carry on elsewhere, the child is the one execution its derived id names (never a second), and no step of it
/// runs twice at once.
/// </summary>
public sealed class SubWorkflowSiloCrashTests() : SiloCrashTestBase("subcrash")
{
    private static readonly string Step = LoggedStep(@"""{\""twice\"": $((FLYTE_INPUT_X * 2))}""");

    [Fact]
    public async Task A_silo_killed_mid_child_the_child_and_its_parent_resume_elsewhere_and_no_step_runs_twice_at_once()
    {
        await using var run = await CrashMidRun(Command(), endedBeforeCrash: 1, "the child's first step to have finished");
        var (id, view) = (run.Id, run.View);

        view.Phase.Should().Be(WorkflowPhase.Succeeded, view.Error);
        view.OutputsJson.Should().Be("""{"result":8}""");
        var childId = ExecutionIds.Child(id, "inner");
        view.Nodes.Single(n => n.NodeId == "inner").ChildExecutionId.Should().Be(childId);
        var child = await View(childId);
        child!.Phase.Should().Be(WorkflowPhase.Succeeded);
        child.Parent.Should().Be(new ExecutionParent(id, "inner"));

        NoOverlapPerNode(run.Runs);
        run.Runs.Select(a => a.Node).Distinct().Should().BeEquivalentTo(
            [$"lab.development.{childId}.s1", $"lab.development.{childId}.s2", $"lab.development.{id}.after"],
            "each step ran for the one child and the parent, none for a second child");
    }

    private CreateExecution Command()
    {
        var task = TaskSpecReader.Read(SpecDocument.Parse($$"""
            name: step
            version: v1
            container: { image: local, command: [sh, -c, {{JsonValue.Create(Step).ToJsonString()}}] }
            inputs: { dir: string, x: int }
            outputs: { twice: int }
            retries: 3
            """).Value!).Value!;
        var inner = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: inner
            version: v1
            inputs: { dir: string, x: int }
            nodes:
              - { id: s1, task: step@v1, inputs: { dir: "{{ inputs.dir }}", x: "{{ inputs.x }}" } }
              - { id: s2, task: step@v1, inputs: { dir: "{{ inputs.dir }}", x: "{{ nodes.s1.outputs.twice }}" } }
            outputs: { twice: "{{ nodes.s2.outputs.twice }}" }
            """).Value!).Value!;
        var outer = WorkflowSpecReader.Read(SpecDocument.Parse("""
            name: outer
            version: v1
            inputs: { dir: string }
            nodes:
              - { id: inner, workflow: inner@v1, inputs: { dir: "{{ inputs.dir }}", x: 1 } }
              - { id: after, task: step@v1, inputs: { dir: "{{ inputs.dir }}", x: "{{ nodes.inner.outputs.twice }}" } }
            outputs: { result: "{{ nodes.after.outputs.twice }}" }
            """).Value!).Value!;
        var spec = CanonicalJson.Serialize(task.ToJson());
        var pins = new Dictionary<string, string> { ["step@v1"] = "step@v1" };
        var innerPlan = ExecutionPlanCompiler.Compile(inner, pins, _ => spec);
        var child = new ChildPlan(ChildPlan.SubWorkflow, "inner@v1", innerPlan, """{"dir":null,"x":null}""");
        var plan = ExecutionPlanCompiler.Compile(outer, pins, _ => spec, _ => child);
        return new CreateExecution("lab", "development", plan, new JsonObject { ["dir"] = Scratch }.ToJsonString(), null, false, null, null,
            new Dictionary<string, string>(), null, null);
    }
}
