using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>Which executions of one project/domain to list; every filter that is set must hold.</summary>
/// <param name="LaunchPlan"><c>name@version</c> matches that version; a bare name matches every version of the plan.</param>
/// <param name="CreatedAfter">Inclusive.</param>
/// <param name="CreatedBefore">Exclusive.</param>
/// <param name="After">Continue after this position (from <see cref="ExecutionPage.Next"/>).</param>
/// <param name="Parent">The children (of sub-workflow and launch-plan nodes) of this execution; <see cref="TopLevel"/> for
/// the executions that are no execution's child.</param>
public sealed record ExecutionQuery(
    string Project,
    string Domain,
    int Limit,
    string? Workflow = null,
    WorkflowPhase? Phase = null,
    string? LaunchPlan = null,
    DateTimeOffset? ScheduledAt = null,
    DateTimeOffset? CreatedAfter = null,
    DateTimeOffset? CreatedBefore = null,
    ExecutionCursor? After = null,
    string? Parent = null)
{
    /// <summary>The <see cref="Parent"/> that lists only executions with no parent.</summary>
    public const string TopLevel = "none";
}
