using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Executions;
using static Orleans.Flyte.Domain.Tests.Executions.WorkflowRun;

namespace Orleans.Flyte.Domain.Tests.Executions;

/// <summary>Map nodes in the workflow step decider (issue 17), without a silo.</summary>
public sealed class MapStepTests
{
    private const string TaskSpec = """{"outputs":{"score":"float"}}""";

    /// <summary>score each date (a map), then pick the best of the scores (a plain node taking the list).</summary>
    private static WorkflowRun Sweep(int count, int concurrency, int? minSuccess = null, double? ratio = null, bool finishWhatCanFinish = false,
        IReadOnlyDictionary<string, string>? recovered = null)
    {
        var dates = new JsonArray([.. Enumerable.Range(0, count).Select(i => (JsonNode?)JsonValue.Create($"2026-01-{i + 1:00}"))]);
        return WorkflowRun.Of(
            [
                new PlanNode("score", "score@v1", TaskSpec, new Dictionary<string, string> { ["epochs"] = "\"{{ inputs.epochs }}\"" }, [],
                    new MapPlan("\"{{ inputs.dates }}\"", "date", concurrency, minSuccess, ratio)),
                Node("pick", ["score"], ("scores", "{{ nodes.score.outputs.score }}")),
            ],
            inputsJson: new JsonObject { ["dates"] = dates, ["epochs"] = 3 }.ToJsonString(),
            finishWhatCanFinish: finishWhatCanFinish,
            recoveredOutputs: recovered,
            recoverOf: recovered is null ? null : "e0");
    }

    private static string Element(int i) => $"score[{i}]";

    private static WorkflowDecision SucceedElement(WorkflowRun run, int i, double score) => run.Succeed(Element(i), $$"""{"score": {{score}}}""");

    [Fact]
    public void A_ready_map_records_its_list_and_starts_only_as_many_elements_as_its_concurrency_each_with_its_own_inputs()
    {
        var run = Sweep(5, concurrency: 2);

        var decision = run.Drive();

        decision.Events.Select(e => e.GetType().Name).Should().Equal(
            nameof(ExecutionStarted), nameof(NodeReady), nameof(MapNodeExpanded), nameof(MapElementsStarted));
        decision.Events.OfType<MapElementsStarted>().Single().Should().Match<MapElementsStarted>(e => e.First == 0 && e.Count == 2);
        decision.Start.Select(s => (s.TaskNodeId, s.InputsJson)).Should().Equal(
            ("score[0]", """{"epochs":3,"date":"2026-01-01"}"""),
            ("score[1]", """{"epochs":3,"date":"2026-01-02"}"""));
        decision.MoreToStart.Should().BeFalse("the concurrency, not the step's budget, is what limits");
        run.State.Nodes["score"].Map!.InFlight.Should().Be(2);
    }

    [Fact]
    public void Each_element_that_ends_lets_the_next_start_and_the_outputs_are_lists_in_element_order()
    {
        var run = Sweep(4, concurrency: 2);
        run.Drive();

        // Out of order: element 1 first.
        SucceedElement(run, 1, 0.5).Start.Select(s => s.TaskNodeId).Should().Equal("score[2]");
        SucceedElement(run, 0, 0.25).Start.Select(s => s.TaskNodeId).Should().Equal("score[3]");
        SucceedElement(run, 3, 1.5).Start.Should().BeEmpty();
        var done = SucceedElement(run, 2, 0.75);

        done.Events.OfType<NodeSucceeded>().Single().OutputsJson.Should().Be("""{"score":[0.25,0.5,0.75,1.5]}""");
        done.Start.Should().ContainSingle().Which.Should().Match<NodeStart>(s => s.TaskNodeId == "pick" && s.InputsJson == """{"scores":[0.25,0.5,0.75,1.5]}""");
        run.PhaseOf("score").Should().Be(TaskPhase.Succeeded);
    }

    [Fact]
    public void When_too_many_elements_fail_no_more_start_and_the_node_fails_once_the_running_ones_ended()
    {
        var run = Sweep(6, concurrency: 2, minSuccess: 5);
        run.Drive();

        run.Fail(Element(0), "exit 1").Start.Should().ContainSingle("one failure leaves 5 possible successes").Which.TaskNodeId.Should().Be("score[2]");
        var second = run.Fail(Element(2), "exit 1");
        second.Start.Should().BeEmpty("5 successes are no longer possible");
        run.PhaseOf("score").Should().Be(TaskPhase.Queued, "element 1 is still running");

        var ended = SucceedElement(run, 1, 1);
        ended.Events.OfType<NodeFailed>().Single().Error.Should().Be("1 of 6 elements succeeded, 5 required (2 failed); first failure: score[0]: exit 1");
        ended.Stop!.Abort.Should().BeEmpty("fail-fast, and nothing else is running");
        run.Stopped(ended.Stop);
        run.State.Phase.Should().Be(WorkflowPhase.Failed);
        run.PhaseOf("pick").Should().Be(TaskPhase.Skipped);
    }

    [Fact]
    public void A_map_that_meets_its_ratio_succeeds_with_null_where_an_element_failed()
    {
        var run = Sweep(4, concurrency: 4, ratio: 0.75);
        run.Drive();
        SucceedElement(run, 0, 1);
        run.Fail(Element(1), "exit 1", TaskPhase.TimedOut);
        SucceedElement(run, 2, 3);

        var done = SucceedElement(run, 3, 4);

        done.Events.OfType<NodeSucceeded>().Single().OutputsJson.Should().Be("""{"score":[1,null,3,4]}""");
        run.State.Nodes["score"].Map!.Element(1).Should().Be(new MapElementState(TaskPhase.TimedOut, null, "exit 1", false));
    }

    [Fact]
    public void An_empty_list_succeeds_at_once_with_empty_lists()
    {
        var run = Sweep(0, concurrency: 3);

        var decision = run.Drive();

        decision.Events.OfType<NodeSucceeded>().Single().OutputsJson.Should().Be("""{"score":[]}""");
        decision.Start.Should().ContainSingle().Which.TaskNodeId.Should().Be("pick");
    }

    [Fact]
    public void A_map_over_a_value_that_turns_out_not_to_be_a_list_fails_the_node()
    {
        var run = WorkflowRun.Of(
            [new PlanNode("score", "score@v1", TaskSpec, new Dictionary<string, string>(), [], new MapPlan("\"{{ inputs.dates }}\"", "date", 2, null, null))],
            inputsJson: """{"dates": "2026-01-01"}""");

        var decision = run.Drive();

        decision.Events.OfType<NodeFailed>().Single().Error.Should().Contain("maps over a list").And.Contain("string \"2026-01-01\"");
        decision.Start.Should().BeEmpty();
        run.Stopped(decision.Stop!);
        run.State.Phase.Should().Be(WorkflowPhase.Failed);
    }

    [Fact]
    public void Launches_are_paced_by_a_budget_per_step_and_the_rest_follow_in_later_steps()
    {
        var run = Sweep(250, concurrency: 1000);

        var first = run.Drive();
        first.Start.Should().HaveCount(MapNodes.MaxStartsPerStep);
        first.MoreToStart.Should().BeTrue();

        var second = run.Drive();
        second.Start.Select(s => s.Element).Should().Equal(Enumerable.Range(100, 100).Select(i => (int?)i));
        second.MoreToStart.Should().BeTrue();

        var third = run.Drive();
        third.Start.Should().HaveCount(50);
        third.MoreToStart.Should().BeFalse();
        run.Drive().DoesNothing.Should().BeTrue();
    }

    [Fact]
    public void However_elements_end_no_more_than_the_concurrency_are_ever_in_flight()
    {
        var random = new Random(17);
        var run = Sweep(300, concurrency: 7, ratio: 0.5, finishWhatCanFinish: true);
        var inFlight = new List<int>();
        var peak = 0;
        void Track(WorkflowDecision d)
        {
            inFlight.AddRange(d.Start.Where(s => s.Element is not null).Select(s => s.Element!.Value));
            peak = Math.Max(peak, inFlight.Count);
        }

        Track(run.Drive());
        while (inFlight.Count > 0)
        {
            var i = inFlight[random.Next(inFlight.Count)];
            inFlight.Remove(i);
            Track(random.Next(4) == 0 ? run.Fail(Element(i), "boom") : SucceedElement(run, i, i));
            if (random.Next(5) == 0)
            {
                Track(run.Drive()); // a spurious drive starts nothing beyond the limit either
            }
        }

        peak.Should().Be(7);
        run.State.Nodes["score"].Map!.Ended.Should().Be(300);
        run.PhaseOf("score").Should().Be(TaskPhase.Succeeded);
    }

    [Fact]
    public void Late_duplicate_and_unknown_element_completions_change_nothing()
    {
        var run = Sweep(3, concurrency: 1);
        run.Drive();
        SucceedElement(run, 0, 1);

        SucceedElement(run, 0, 9).Should().Be(WorkflowDecision.Nothing, "element 0 already ended");
        SucceedElement(run, 2, 9).Should().Be(WorkflowDecision.Nothing, "element 2 has not started");
        run.Succeed("score[x]").Should().Be(WorkflowDecision.Nothing);
        run.Succeed("score").Should().Be(WorkflowDecision.Nothing, "the map node itself runs no task");
        run.Succeed("other[0]").Should().Be(WorkflowDecision.Nothing);
    }

    [Fact]
    public void Abort_aborts_the_elements_in_flight_and_the_map_ends_Aborted()
    {
        var run = Sweep(5, concurrency: 2);
        run.Drive();
        SucceedElement(run, 0, 1);

        var decision = run.Step(new WorkflowTrigger.Abort("stop"));

        decision.Stop!.Abort.Should().Equal("score[1]", "score[2]");
        var ended = run.Stopped(decision.Stop);
        ended.Events.Select(e => e.GetType().Name).Should().Equal(
            nameof(MapElementEnded), nameof(MapElementEnded), nameof(NodeFailed), nameof(ExecutionAborted));
        ended.Events.OfType<NodeFailed>().Single().Phase.Should().Be(TaskPhase.Aborted);
        ended.Start.Should().BeEmpty();
        run.State.Phase.Should().Be(WorkflowPhase.Aborted);
    }

    [Fact]
    public void A_recover_pass_asks_the_elements_in_flight_restarts_one_never_started_and_settles_one_that_ended()
    {
        var run = Sweep(4, concurrency: 2);
        run.Drive();

        WorkflowStep.NodesToResume(run.State).Should().Equal("score[0]", "score[1]");
        var decision = run.Step(new WorkflowTrigger.Recover(
        [
            new NodeOutcome("score[0]", TaskPhase.NotReady),
            new NodeOutcome("score[1]", TaskPhase.Succeeded, """{"score": 2}"""),
        ]));

        decision.Start.Select(s => (s.TaskNodeId, s.InputsJson)).Should().Equal(
            ("score[0]", """{"epochs":3,"date":"2026-01-01"}"""),
            ("score[2]", """{"epochs":3,"date":"2026-01-03"}"""));
        run.State.Nodes["score"].Map!.Element(1).Phase.Should().Be(TaskPhase.Succeeded);
        WorkflowStep.NodesToResume(run.State).Should().Equal("score[0]", "score[2]");
    }

    [Fact]
    public void A_recovered_execution_of_a_failed_map_runs_only_the_elements_that_did_not_succeed()
    {
        var run = Sweep(3, concurrency: 3, recovered: new Dictionary<string, string> { ["score[0]"] = """{"score": 1}""", ["score[2]"] = """{"score": 3}""" });

        var decision = run.Drive();

        decision.Start.Select(s => s.TaskNodeId).Should().Equal("score[1]");
        var done = SucceedElement(run, 1, 2);
        done.Events.OfType<NodeSucceeded>().Single().OutputsJson.Should().Be("""{"score":[1,2,3]}""");
    }

    [Fact]
    public void A_recovered_execution_reuses_a_succeeded_maps_outputs_without_running_an_element()
    {
        var run = Sweep(3, concurrency: 2, recovered: new Dictionary<string, string> { ["score"] = """{"score":[1,2,3]}""" });

        var decision = run.Drive();

        decision.Start.Should().ContainSingle().Which.Should().Match<NodeStart>(s => s.TaskNodeId == "pick" && s.InputsJson == """{"scores":[1,2,3]}""");
        run.State.Nodes["score"].RecoveredFrom.Should().Be("e0");
    }
}
