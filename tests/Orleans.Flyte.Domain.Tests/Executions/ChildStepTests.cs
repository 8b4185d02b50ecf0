using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Domain.Tests.Executions;

/// <summary>The step decider with a sub-workflow node (issue 17): to it the node is started, resumed, aborted and settled
/// like a task node; only the grain knows its work is a child execution.</summary>
public sealed class ChildStepTests
{
    private static readonly ChildPlan _child = new(ChildPlan.SubWorkflow, "prep@v1",
        new ExecutionPlan("prep", "v1", false, null, [WorkflowRun.Node("a")], new Dictionary<string, string>()), """{"date":null}""");

    private static WorkflowRun Run(IReadOnlyDictionary<string, string>? recovered = null) => WorkflowRun.Of(
        [WorkflowRun.Node("prep", inputs: ("date", "{{ inputs.date }}")) with { Child = _child }, WorkflowRun.Node("train", after: ["prep"], inputs: ("path", "{{ nodes.prep.outputs.path }}"))],
        """{"date":"2026-12-01"}""",
        recoveredOutputs: recovered,
        recoverOf: recovered is null ? null : "e0");

    [Fact]
    public void The_child_node_starts_with_its_resolved_inputs_and_its_outputs_feed_the_next_node()
    {
        var run = Run();

        var first = run.Drive();
        first.Start.Should().ContainSingle().Which.Should().Match<NodeStart>(s => s.Node.Child == _child && s.InputsJson == """{"date":"2026-12-01"}""");

        var second = run.Succeed("prep", """{"path":"/data/x"}""");
        second.Start.Should().ContainSingle().Which.InputsJson.Should().Be("""{"path":"/data/x"}""");
    }

    [Fact]
    public void A_failed_child_fails_its_node_and_under_fail_fast_the_execution()
    {
        var run = Run();
        run.Drive();

        var decision = run.Fail("prep", "sub-workflow execution c1 failed: boom");

        run.PhaseOf("prep").Should().Be(TaskPhase.Failed);
        run.PhaseOf("train").Should().Be(TaskPhase.Skipped);
        decision.Events.OfType<ExecutionFailing>().Should().ContainSingle().Which.Error.Should().Contain("boom");
    }

    [Fact]
    public void An_abort_names_the_running_child_node_to_stop()
    {
        var run = Run();
        run.Drive();

        var decision = run.Step(new WorkflowTrigger.Abort("enough"));

        decision.Stop!.Abort.Should().Equal("prep");
        WorkflowStep.NodesToResume(run.State).Should().Equal("prep");
    }

    [Fact]
    public void A_recover_hands_the_child_what_succeeded_inside_the_sources_child()
    {
        var parent = Run(new Dictionary<string, string> { ["prep/a"] = "{}", ["prep/a/x"] = """{"y":1}""", ["train"] = "{}" }).State.Submission!;

        ChildNodes.RecoveredFor(parent, "prep").Should().BeEquivalentTo(new Dictionary<string, string> { ["a"] = "{}", ["a/x"] = """{"y":1}""" });
        ChildNodes.RecoveredFor(parent, "train").Should().BeEmpty();
    }
}
