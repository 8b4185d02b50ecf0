using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>Where an execution's plan and inputs come from: the three ways an execution comes into being.</summary>
public abstract record SubmissionSource
{
    private SubmissionSource()
    {
    }

    /// <summary>A registered workflow version, resolved and compiled now, with inputs bound to its interface (defaults
    /// filled in). Checked: the workflow is registered, the priority in range, the inputs well typed, the GPUs servable.</summary>
    /// <param name="Workflow"><c>name@version</c>, or <c>name</c> for the latest version.</param>
    /// <param name="Priority">-100..100: added to the domain's priority while this execution's tasks wait for GPUs.</param>
    public sealed record FromWorkflow(string? Workflow, JsonObject? Inputs, bool OverwriteCache = false, int? Priority = null) : SubmissionSource;

    /// <summary>Another run of an execution's stored plan and inputs (relaunch), or, with <paramref name="Recover"/>, one
    /// that reuses the outputs of the nodes that succeeded (the source must have ended). The GPUs are checked again:
    /// the inventory may have changed since the source ran.</summary>
    public sealed record FromExecution(string ExecutionId, bool Recover) : SubmissionSource;

    /// <summary>
    /// A run of a launch plan version: the plan it pinned at registration and inputs it composed (already bound to the
    /// workflow's interface). The GPUs are not checked here: a launch plan checks its plan before it records a trigger
    /// or backfill (the plan is the same for every run), and a scheduled fire is decided before it is created, so its
    /// run is created whatever the inventory says now and waits, saying why, if no node serves it any more.
    /// </summary>
    /// <param name="LaunchPlan">The launch plan version, <c>name@version</c>.</param>
    /// <param name="ScheduledAt">The instant a scheduled fire or backfill runs for; null for a manual trigger.</param>
    public sealed record FromLaunchPlan(string LaunchPlan, ExecutionPlan Plan, string InputsJson, DateTimeOffset? ScheduledAt) : SubmissionSource;
}
