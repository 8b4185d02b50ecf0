using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Grains.Executions;

/// <summary>Read model of one workflow execution, for listing and filtering.</summary>
public sealed class ExecutionSummaryDocument
{
    /// <summary>The execution id.</summary>
    public required string Id { get; set; }

    public required string Project { get; set; }
    public required string Domain { get; set; }
    public required string Workflow { get; set; }
    public required string WorkflowVersion { get; set; }
    public WorkflowPhase Phase { get; set; }
    public string? LaunchPlan { get; set; }
    public DateTimeOffset? ScheduledAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public string? RelaunchOf { get; set; }
    public string? RecoverOf { get; set; }
}

/// <summary>
/// Inline projection of workflow execution streams into <see cref="ExecutionSummaryDocument"/>: committed with the
/// events, so a listing shows an execution as soon as its submission was acknowledged.
/// </summary>
public sealed class ExecutionCatalogProjection : IProjection
{
    private const string StreamPrefix = "execution/";

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var touched = new Dictionary<string, ExecutionSummaryDocument>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Data is not WorkflowExecutionEvent data || e.StreamKey is not { } key || !key.StartsWith(StreamPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var id = key[StreamPrefix.Length..];
            if (data is ExecutionAccepted accepted)
            {
                touched[id] = new ExecutionSummaryDocument
                {
                    Id = id,
                    Project = accepted.Project,
                    Domain = accepted.Domain,
                    Workflow = accepted.Plan.WorkflowName,
                    WorkflowVersion = accepted.Plan.WorkflowVersion,
                    Phase = WorkflowPhase.Queued,
                    LaunchPlan = accepted.LaunchPlan,
                    ScheduledAt = accepted.ScheduledAt,
                    CreatedAt = accepted.Meta.At,
                    CreatedBy = accepted.Meta.Principal,
                    RelaunchOf = accepted.RelaunchOf,
                    RecoverOf = accepted.RecoverOf,
                };
                continue;
            }

            if (!touched.TryGetValue(id, out var document))
            {
                document = await operations.LoadAsync<ExecutionSummaryDocument>(id, cancellation);
                if (document is null)
                {
                    continue;
                }

                touched[id] = document;
            }

            Apply(document, data);
        }

        foreach (var document in touched.Values)
        {
            operations.Store(document);
        }
    }

    private static void Apply(ExecutionSummaryDocument document, WorkflowExecutionEvent e)
    {
        switch (e)
        {
            case ExecutionStarted:
                document.Phase = WorkflowPhase.Running;
                document.StartedAt = e.Meta.At;
                break;
            case ExecutionFailing f:
                document.Phase = WorkflowPhase.Failing;
                document.Error = f.Error;
                break;
            case ExecutionAborting a:
                document.Phase = WorkflowPhase.Aborting;
                document.Error = a.Reason;
                break;
            case ExecutionSucceeded:
                Finish(document, WorkflowPhase.Succeeded, null, e);
                break;
            case ExecutionFailed f:
                Finish(document, WorkflowPhase.Failed, f.Error, e);
                break;
            case ExecutionAborted a:
                Finish(document, WorkflowPhase.Aborted, a.Reason, e);
                break;
            case ExecutionTimedOut t:
                Finish(document, WorkflowPhase.TimedOut, $"timed out after {t.Timeout}", e);
                break;
        }
    }

    private static void Finish(ExecutionSummaryDocument document, WorkflowPhase phase, string? error, WorkflowExecutionEvent e)
    {
        document.Phase = phase;
        document.Error = error ?? document.Error;
        document.FinishedAt = e.Meta.At;
    }
}
