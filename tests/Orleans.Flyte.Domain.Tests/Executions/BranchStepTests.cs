using Orleans.Flyte.Domain.Executions;
using static Orleans.Flyte.Domain.Tests.Executions.WorkflowRun;

namespace Orleans.Flyte.Domain.Tests.Executions;

/// <summary>Branch nodes in the workflow step decider (issue 17), without a silo.</summary>
public sealed class BranchStepTests
{
    /// <summary>evaluate → gate → register | review | discard, and publish after register.</summary>
    private static WorkflowRun Release(bool withElse = true, IReadOnlyDictionary<string, string>? recovered = null)
    {
        var cases = new List<BranchPlanCase>
        {
            new("{{ nodes.evaluate.outputs.accuracy }} >= {{ inputs.threshold }}", "register"),
            new("{{ nodes.evaluate.outputs.accuracy }} >= 0.5", "review"),
        };
        if (withElse)
        {
            cases.Add(new(null, "discard"));
        }

        return WorkflowRun.Of(
            [
                Node("evaluate"),
                new PlanNode("gate", string.Empty, "{}", new Dictionary<string, string>(), ["evaluate"], Branch: new BranchPlan(cases)),
                Node("register", ["gate"]),
                Node("review", ["gate"]),
                Node("discard", ["gate"]),
                Node("publish", ["register"], ("model", "{{ nodes.register.outputs.uri }}")),
            ],
            inputsJson: """{"threshold": 0.9}""",
            outputs: new Dictionary<string, string> { ["uri"] = "\"{{ nodes.publish.outputs.uri }}\"" },
            recoveredOutputs: recovered,
            recoverOf: recovered is null ? null : "e0");
    }

    [Fact]
    public void The_first_case_that_holds_is_taken_the_others_are_skipped_as_not_taken_and_the_execution_can_still_succeed()
    {
        var run = Release();
        run.Drive();

        var decided = run.Succeed("evaluate", """{"accuracy": 0.7}""");

        decided.Events.OfType<NodeSucceeded>().Single(e => e.NodeId == "gate").OutputsJson.Should().Be("""{"taken":"review"}""");
        decided.Events.OfType<NodeSkipped>().Select(e => (e.NodeId, e.NotTakenBy)).Should().BeEquivalentTo(
            [("register", "gate"), ("discard", "gate"), ("publish", "gate")]);
        decided.Start.Should().ContainSingle().Which.Node.Id.Should().Be("review");

        var done = run.Succeed("review");
        done.Events.OfType<ExecutionSucceeded>().Should().ContainSingle("skipping what a branch did not take is the workflow working as written");
    }

    [Fact]
    public void The_else_is_taken_when_no_condition_holds_and_without_an_else_nothing_is()
    {
        var run = Release();
        run.Drive();
        run.Succeed("evaluate", """{"accuracy": 0.1}""").Start.Should().ContainSingle().Which.Node.Id.Should().Be("discard");

        var none = Release(withElse: false);
        none.Drive();
        var decision = none.Succeed("evaluate", """{"accuracy": 0.1}""");
        decision.Events.OfType<NodeSucceeded>().Single(e => e.NodeId == "gate").OutputsJson.Should().Be("""{"taken":null}""");
        none.PhaseOf("register").Should().Be(TaskPhase.Skipped);
        none.PhaseOf("review").Should().Be(TaskPhase.Skipped);
        decision.Start.Should().ContainSingle("a node after the branch that no case names simply runs after it").Which.Node.Id.Should().Be("discard");
    }

    [Fact]
    public void A_failure_still_fails_the_execution_when_a_branch_skipped_other_nodes()
    {
        var run = Release();
        run.Drive();
        run.Succeed("evaluate", """{"accuracy": 0.95}""");

        var failed = run.Fail("register", "exit 1");
        run.Stopped(failed.Stop!);

        run.State.Phase.Should().Be(WorkflowPhase.Failed);
        run.State.Nodes["publish"].NotTakenBy.Should().BeNull("it was skipped because register failed, not by the branch");
    }

    [Fact]
    public void A_recover_reuses_the_branch_decision_and_skips_again_what_it_did_not_take()
    {
        var run = Release(recovered: new Dictionary<string, string>
        {
            ["evaluate"] = """{"accuracy": 0.95}""",
            ["gate"] = """{"taken":"register"}""",
        });

        var decision = run.Drive();

        decision.Start.Should().ContainSingle().Which.Node.Id.Should().Be("register");
        run.PhaseOf("review").Should().Be(TaskPhase.Skipped);
        run.PhaseOf("discard").Should().Be(TaskPhase.Skipped);
    }
}
