using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Executions;
using static Orleans.Flyte.Domain.Tests.Executions.WorkflowRun;

namespace Orleans.Flyte.Domain.Tests.Executions;

public sealed class WorkflowStepTests
{
    // prepare → (train, report) → publish, with data flowing along the edges.
    private static WorkflowRun Diamond(bool finishWhatCanFinish = false, TimeSpan? timeout = null) => WorkflowRun.Of(
        [
            Node("prepare", null, ("date", "{{ inputs.start_date }}")),
            Node("train", ["prepare"], ("dataset", "{{ nodes.prepare.outputs.path }}"), ("epochs", "{{ inputs.epochs }}")),
            Node("report", ["prepare"], ("title", "report for {{ inputs.start_date }}")),
            Node("publish", ["train", "report"], ("model", "{{ nodes.train.outputs.model }}")),
        ],
        inputsJson: """{"start_date": "2026-11-28", "epochs": 10}""",
        outputs: new Dictionary<string, string> { ["model"] = "\"{{ nodes.publish.outputs.uri }}\"" },
        finishWhatCanFinish: finishWhatCanFinish,
        timeout: timeout);

    [Fact]
    public void The_first_drive_starts_the_execution_and_readies_only_the_nodes_without_upstream()
    {
        var run = Diamond();

        var decision = run.Drive();

        decision.Events.Select(e => e.GetType().Name).Should().Equal(nameof(ExecutionStarted), nameof(NodeReady));
        decision.Events.Should().AllSatisfy(e => e.Meta.At.Should().Be(WorkflowRun.Start));
        decision.Start.Should().ContainSingle().Which.Should().Be(new NodeStart(run.State.Plan.Node("prepare"), """{"date":"2026-11-28"}"""));
        decision.Stop.Should().BeNull();
        decision.StopReminder.Should().BeFalse();
        decision.TimeoutAt.Should().BeNull("the workflow has no timeout");
        run.State.Phase.Should().Be(WorkflowPhase.Running);
        run.PhaseOf("train").Should().Be(TaskPhase.NotReady);
    }

    [Fact]
    public void A_node_becomes_ready_only_when_all_its_upstream_nodes_succeeded_with_inputs_resolved_from_their_outputs()
    {
        var run = Diamond();
        run.Drive();

        var afterPrepare = run.Succeed("prepare", """{"path": "/data/2026-11-28"}""");
        afterPrepare.Start.Select(s => s.Node.Id).Should().Equal("train", "report");
        afterPrepare.Start[0].InputsJson.Should().Be("""{"dataset":"/data/2026-11-28","epochs":10}""");
        afterPrepare.Start[1].InputsJson.Should().Be("""{"title":"report for 2026-11-28"}""");

        var afterTrain = run.Succeed("train", """{"model": "s3://models/alpha"}""");
        afterTrain.Events.Should().ContainSingle().Which.Should().BeOfType<NodeSucceeded>();
        afterTrain.Start.Should().BeEmpty("publish still waits for report");
        run.PhaseOf("publish").Should().Be(TaskPhase.NotReady);

        var afterReport = run.Succeed("report");
        afterReport.Start.Should().ContainSingle().Which.InputsJson.Should().Be("""{"model":"s3://models/alpha"}""");
        run.PhaseOf("publish").Should().Be(TaskPhase.Queued);
    }

    [Fact]
    public void When_every_node_succeeded_the_execution_succeeds_with_its_outputs_resolved_and_drops_its_reminder()
    {
        var run = Diamond();
        run.Drive();
        run.Succeed("prepare", """{"path": "/p"}""");
        run.Succeed("train", """{"model": "m"}""");
        run.Succeed("report");

        var decision = run.Succeed("publish", """{"uri": "s3://models/alpha/v1"}""");

        decision.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeSucceeded), nameof(ExecutionSucceeded));
        decision.Events.OfType<ExecutionSucceeded>().Single().OutputsJson.Should().Be("""{"model":"s3://models/alpha/v1"}""");
        decision.StopReminder.Should().BeTrue();
        decision.Start.Should().BeEmpty();
        run.State.Phase.Should().Be(WorkflowPhase.Succeeded);
    }

    [Fact]
    public void Under_fail_fast_the_first_failure_skips_what_has_not_started_and_aborts_the_running_siblings()
    {
        var run = Diamond();
        run.Drive();
        run.Succeed("prepare", """{"path": "/p"}""");

        var decision = run.Fail("train", "CUDA out of memory");

        decision.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeFailed), nameof(ExecutionFailing), nameof(NodeSkipped));
        var reason = "node 'train' failed: CUDA out of memory";
        decision.Events.OfType<NodeSkipped>().Single().Should().Match<NodeSkipped>(s => s.NodeId == "publish" && s.Reason == reason);
        decision.Stop.Should().BeEquivalentTo(new WorkflowStop(reason, WorkflowPhase.Failed, ["report"]));
        decision.StopReminder.Should().BeFalse("the execution ends only after its running nodes are stopped");

        var ended = run.Stopped(decision.Stop!);

        ended.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeFailed), nameof(ExecutionFailed));
        ended.Events.OfType<NodeFailed>().Single().Should().Be(new NodeFailed("report", TaskPhase.Aborted, reason) { Meta = ended.Events[0].Meta });
        ended.Events[^1].Meta.Reason.Should().Be(reason);
        ended.StopReminder.Should().BeTrue();
        run.State.Phase.Should().Be(WorkflowPhase.Failed);
        run.State.Error.Should().Be(reason);
    }

    [Fact]
    public void Finish_what_can_finish_skips_only_the_nodes_downstream_of_a_failure_and_fails_when_the_rest_is_done()
    {
        var run = Diamond(finishWhatCanFinish: true);
        run.Drive();
        run.Succeed("prepare", """{"path": "/p"}""");

        var decision = run.Fail("train", "boom");

        decision.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeFailed), nameof(NodeSkipped));
        decision.Events.OfType<NodeSkipped>().Single().Reason.Should().Be("upstream node 'train' did not succeed (Failed)");
        decision.Stop.Should().BeNull("report keeps running");
        run.State.Phase.Should().Be(WorkflowPhase.Running);

        var last = run.Succeed("report");

        last.Events.OfType<ExecutionFailed>().Single().Error.Should().Be("node 'train' failed: boom");
        last.StopReminder.Should().BeTrue();
        run.PhaseOf("report").Should().Be(TaskPhase.Succeeded);
    }

    [Fact]
    public void A_skip_propagates_down_a_chain_in_one_step()
    {
        var run = WorkflowRun.Of([Node("a"), Node("b", ["a"]), Node("c", ["b"]), Node("d", ["c"])], finishWhatCanFinish: true);
        run.Drive();

        var decision = run.Fail("a", "exit code 1");

        decision.Events.OfType<NodeSkipped>().Select(s => (s.NodeId, s.Reason)).Should().Equal(
            ("b", "upstream node 'a' did not succeed (Failed)"),
            ("c", "upstream node 'b' did not succeed (Skipped)"),
            ("d", "upstream node 'c' did not succeed (Skipped)"));
        decision.Events.OfType<ExecutionFailed>().Single().Error.Should().Be("node 'a' failed: exit code 1");
    }

    [Fact]
    public void A_recover_reuses_the_outputs_of_nodes_that_succeeded_before_and_runs_only_the_rest()
    {
        var run = WorkflowRun.Of(
            [Node("prepare"), Node("train", ["prepare"], ("dataset", "{{ nodes.prepare.outputs.path }}"))],
            recoveredOutputs: new Dictionary<string, string> { ["prepare"] = """{"path": "/data/old"}""" },
            recoverOf: "e0");

        var decision = run.Drive();

        decision.Events.Select(e => e.GetType().Name).Should().Equal(
            nameof(ExecutionStarted), nameof(NodeReady), nameof(NodeSucceeded), nameof(NodeReady));
        decision.Events.OfType<NodeSucceeded>().Single().Should().Match<NodeSucceeded>(s =>
            s.NodeId == "prepare" && s.RecoveredFrom == "e0" && s.OutputsJson == """{"path": "/data/old"}""");
        decision.Start.Should().ContainSingle().Which.Should().Be(new NodeStart(run.State.Plan.Node("train"), """{"dataset":"/data/old"}"""));
    }

    [Fact]
    public void Abort_skips_what_has_not_started_then_ends_Aborted_once_the_running_nodes_answered()
    {
        var run = Diamond();
        run.Drive();

        var decision = run.Step(new WorkflowTrigger.Abort("wrong dataset"));

        decision.Events[0].Should().BeOfType<ExecutionAborting>().Which.Meta.Reason.Should().Be("wrong dataset");
        decision.Events.OfType<NodeSkipped>().Select(s => s.NodeId).Should().Equal("train", "report", "publish");
        decision.Stop.Should().BeEquivalentTo(new WorkflowStop("wrong dataset", WorkflowPhase.Aborted, ["prepare"]));

        var ended = run.Stopped(decision.Stop!);

        ended.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeFailed), nameof(ExecutionAborted));
        ended.StopReminder.Should().BeTrue();
        run.State.Phase.Should().Be(WorkflowPhase.Aborted);
        run.State.Error.Should().Be("wrong dataset");
        run.Step(new WorkflowTrigger.Abort("again")).DoesNothing.Should().BeTrue("an ended execution stays as it ended");
    }

    [Fact]
    public void A_node_that_finished_while_being_aborted_keeps_its_success()
    {
        var run = Diamond();
        run.Drive();
        var stop = run.Step(new WorkflowTrigger.Abort("enough")).Stop!;

        var ended = run.Step(new WorkflowTrigger.NodesStopped(stop, [new NodeOutcome("prepare", TaskPhase.Succeeded, """{"path": "/p"}""")]));

        ended.Events.Select(e => e.GetType().Name).Should().Equal(nameof(NodeSucceeded), nameof(ExecutionAborted));
        run.PhaseOf("prepare").Should().Be(TaskPhase.Succeeded);
    }

    [Fact]
    public void Aborting_an_execution_that_never_started_skips_every_node_and_aborts_nothing()
    {
        var run = Diamond();

        var decision = run.Step(new WorkflowTrigger.Abort("not needed"));

        decision.Events.OfType<NodeSkipped>().Should().HaveCount(4);
        decision.Stop!.Abort.Should().BeEmpty();
        run.Stopped(decision.Stop).Events.Should().ContainSingle().Which.Should().BeOfType<ExecutionAborted>();
    }

    [Fact]
    public void The_timeout_is_armed_from_the_start_and_when_it_is_due_the_execution_stops_and_ends_TimedOut()
    {
        var run = Diamond(timeout: TimeSpan.FromHours(1));
        run.Drive().TimeoutAt.Should().Be(WorkflowRun.Start.AddHours(1));

        run.Now = WorkflowRun.Start.AddMinutes(59);
        var early = run.Drive();
        early.Events.Should().BeEmpty();
        early.Stop.Should().BeNull();
        early.TimeoutAt.Should().Be(WorkflowRun.Start.AddHours(1), "a reactivated grain arms its timer again from the stored start");

        run.Now = WorkflowRun.Start.AddHours(1);
        var due = run.Drive();

        var reason = "the workflow did not finish within its timeout of 01:00:00";
        due.Events.OfType<NodeSkipped>().Should().HaveCount(3).And.OnlyContain(s => s.Reason == reason);
        due.Stop.Should().BeEquivalentTo(new WorkflowStop(reason, WorkflowPhase.TimedOut, ["prepare"]));
        due.TimeoutAt.Should().BeNull();
        var ended = run.Stopped(due.Stop!);
        ended.Events[^1].Should().BeOfType<ExecutionTimedOut>().Which.Timeout.Should().Be(TimeSpan.FromHours(1));
        run.State.Phase.Should().Be(WorkflowPhase.TimedOut);
    }

    [Fact]
    public void Duplicate_late_and_unknown_completions_change_nothing()
    {
        var run = Diamond(finishWhatCanFinish: true);
        run.Drive();
        run.Succeed("prepare", """{"path": "/p"}""");

        run.Succeed("prepare", """{"path": "/other"}""").DoesNothing.Should().BeTrue("prepare already succeeded");
        run.Fail("publish", "never started").DoesNothing.Should().BeTrue("publish was never handed to a task");
        run.Succeed("no-such-node").DoesNothing.Should().BeTrue();
        run.State.Nodes["prepare"].OutputsJson.Should().Be("""{"path": "/p"}""");

        var abort = run.Step(new WorkflowTrigger.Abort("stop"));
        run.Stopped(abort.Stop!);
        run.Succeed("train").DoesNothing.Should().BeTrue("a completion that arrives after the abort settled the node is late");
        run.Drive().DoesNothing.Should().BeTrue();
    }

    [Fact]
    public void A_drive_with_nothing_new_raises_nothing()
    {
        var run = Diamond();
        run.Drive();

        var again = run.Drive();

        again.Events.Should().BeEmpty();
        again.Start.Should().BeEmpty("prepare was already handed to its task");
        again.DoesNothing.Should().BeTrue();
    }

    [Fact]
    public void A_recover_restarts_nodes_their_task_never_heard_of_and_settles_completions_that_were_lost()
    {
        var run = Diamond();
        run.Drive();
        run.Succeed("prepare", """{"path": "/p"}""");
        WorkflowStep.NodesToResume(run.State).Should().Equal("train", "report");

        var decision = run.Step(new WorkflowTrigger.Recover(
        [
            new NodeOutcome("train", TaskPhase.NotReady),
            new NodeOutcome("report", TaskPhase.Succeeded, "{}"),
        ]));

        decision.Start.Should().ContainSingle().Which.Should().Be(new NodeStart(run.State.Plan.Node("train"), run.State.Nodes["train"].InputsJson!));
        decision.Events.Should().ContainSingle().Which.Should().BeOfType<NodeSucceeded>().Which.NodeId.Should().Be("report");
        run.PhaseOf("train").Should().Be(TaskPhase.Queued, "restarting a node is a side effect, not a new fact");
    }

    [Fact]
    public void A_recover_of_an_accepted_execution_that_was_never_driven_starts_it()
    {
        var run = Diamond();

        var decision = run.Step(new WorkflowTrigger.Recover([]));

        decision.Events.Select(e => e.GetType().Name).Should().Equal(nameof(ExecutionStarted), nameof(NodeReady));
        decision.Start.Select(s => s.Node.Id).Should().Equal("prepare");
    }

    [Fact]
    public void A_recover_of_an_ended_or_unknown_execution_only_drops_the_reminder()
    {
        WorkflowStep.Decide(new WorkflowExecutionState(), new WorkflowTrigger.Recover([]), WorkflowRun.Start)
            .Should().Be(WorkflowDecision.Ended);

        var run = WorkflowRun.Of([Node("a")]);
        run.Drive();
        run.Succeed("a");
        WorkflowStep.NodesToResume(run.State).Should().BeEmpty();
        run.Step(new WorkflowTrigger.Recover([])).Should().Be(WorkflowDecision.Ended);
    }

    [Fact]
    public void Deciding_leaves_the_state_it_was_given_untouched()
    {
        var run = Diamond();
        run.Drive();
        var before = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(run.State))!.ToJsonString();

        var decision = WorkflowStep.Decide(run.State, new WorkflowTrigger.NodeCompleted(new NodeOutcome("prepare", TaskPhase.Failed, Error: "x")), run.Now);

        decision.Events.Should().NotBeEmpty();
        JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(run.State))!.ToJsonString().Should().Be(before);
        run.PhaseOf("prepare").Should().Be(TaskPhase.Queued);
    }
}
