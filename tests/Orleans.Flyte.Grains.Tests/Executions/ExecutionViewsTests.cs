using Orleans.Flyte.Abstractions.Executions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Grains.Tests.Executions;

/// <summary>The view is a pure function of the fold, so an audit replay of stored events gets what the grain returned.</summary>
public sealed class ExecutionViewsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    private static readonly ExecutionPlan Plan = new(
        "train-alpha", "v3", false, null,
        [
            new PlanNode("prepare", "prepare-data@v1", "{}", new Dictionary<string, string>(), []),
            new PlanNode("train", "train-model@v3", "{}", new Dictionary<string, string>(), ["prepare"]),
        ],
        new Dictionary<string, string>());

    private static readonly WorkflowExecutionEvent[] History =
    [
        At(new ExecutionAccepted("e1", "quant", "development", Plan, """{"epochs":10}""", "hash", "key-1", false, null, null, "nightly@v1",
            T0, new Dictionary<string, string>(), 5), 0, "alice"),
        At(new ExecutionStarted(), 1),
        At(new NodeReady("prepare", "{}"), 1),
        At(new NodeSucceeded("prepare", """{"path":"/p"}""", true, null), 2),
        At(new NodeReady("train", """{"dataset":"/p"}"""), 2),
        At(new NodeFailed("train", TaskPhase.Failed, "exit code 1"), 3),
        At(new ExecutionFailed("node 'train' failed: exit code 1"), 3),
    ];

    [Fact]
    public void The_view_of_a_folded_history_shows_phases_times_and_who_submitted_in_plan_order()
    {
        var view = ExecutionViews.Of(Fold(History));

        view.Should().BeEquivalentTo(new
        {
            ExecutionId = "e1",
            Workflow = "train-alpha@v3",
            Phase = WorkflowPhase.Failed,
            Error = "node 'train' failed: exit code 1",
            CreatedAt = T0,
            CreatedBy = "alice",
            StartedAt = T0.AddMinutes(1),
            FinishedAt = T0.AddMinutes(3),
            LaunchPlan = "nightly@v1",
            ScheduledAt = T0,
        });
        view.Nodes.Select(n => (n.NodeId, n.Task, n.Phase, n.CacheHit, n.FinishedAt)).Should().Equal(
            ("prepare", "prepare-data@v1", TaskPhase.Succeeded, true, T0.AddMinutes(2)),
            ("train", "train-model@v3", TaskPhase.Failed, false, T0.AddMinutes(3)));
    }

    [Fact]
    public void A_view_as_of_an_earlier_instant_is_the_view_of_the_events_up_to_it()
    {
        var asOf = ExecutionViews.Of(Fold(History.Where(e => e.Meta.At <= T0.AddMinutes(1))));

        asOf.Phase.Should().Be(WorkflowPhase.Running);
        asOf.FinishedAt.Should().BeNull();
        asOf.Nodes.Select(n => n.Phase).Should().Equal(TaskPhase.Queued, TaskPhase.NotReady);
        ExecutionViews.Of(Fold(History)).Should().BeEquivalentTo(ExecutionViews.Of(Fold(History)), "folding the same events twice gives the same view");
    }

    [Fact]
    public void The_submission_view_carries_what_relaunch_and_recover_need()
    {
        var submission = ExecutionViews.SubmissionOf(Fold(History.Take(1)));

        submission.Should().BeEquivalentTo(new
        {
            ExecutionId = "e1",
            InputsJson = """{"epochs":10}""",
            IdempotencyKey = "key-1",
            Priority = 5,
            LaunchPlan = "nightly@v1",
            SubmittedAt = T0,
            SubmittedBy = "alice",
        });
        submission.Plan.Should().BeSameAs(Plan);
    }

    [Fact]
    public void There_is_no_view_of_an_execution_that_was_never_accepted()
    {
        var act = () => ExecutionViews.Of(new WorkflowExecutionState());

        act.Should().Throw<InvalidOperationException>();
    }

    private static WorkflowExecutionEvent At(WorkflowExecutionEvent @event, int minutes, string principal = "system:engine") =>
        @event with { Meta = new EventMetadata(T0.AddMinutes(minutes), principal, null, null) };

    private static WorkflowExecutionState Fold(IEnumerable<WorkflowExecutionEvent> events)
    {
        var state = new WorkflowExecutionState();
        foreach (var @event in events)
        {
            state.Apply(@event);
        }

        return state;
    }
}
