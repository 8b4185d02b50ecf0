using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>One execution as listings show it.</summary>
/// <param name="LaunchPlan">The launch plan version (<c>name@version</c>) that launched it, if any.</param>
public sealed record ExecutionEntry(
    string Id,
    string Project,
    string Domain,
    string Workflow,
    string WorkflowVersion,
    WorkflowPhase Phase,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string? LaunchPlan,
    DateTimeOffset? ScheduledAt,
    string? RelaunchOf,
    string? RecoverOf,
    string? ParentExecutionId = null,
    string? ParentNode = null);
