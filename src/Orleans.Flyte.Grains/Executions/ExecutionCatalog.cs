using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Marten.Patching;
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

    /// <summary>For the child execution of a sub-workflow or launch-plan node: the execution it belongs to.</summary>
    public string? ParentExecutionId { get; set; }

    /// <summary>For a child execution: the node of <see cref="ParentExecutionId"/> that runs it.</summary>
    public string? ParentNode { get; set; }
}

/// <summary>
/// One <see cref="ExecutionSummaryDocument"/> per workflow execution stream (<c>execution/{id}</c>), registered
/// inline (<see cref="Hosting.ReadModels"/>): committed with the events, so a listing shows an execution as soon as
/// its submission was acknowledged.
/// </summary>
/// <remarks>
/// An event projection, not an aggregation: <see cref="ExecutionAccepted"/> stores the whole document and every later
/// event patches the fields it changes, in the same batch as the events. An aggregation (Marten's multi-stream
/// projection, used before) must load the current document before it can write the next one, which cost every group
/// commit that held a phase change a query inside its transaction, about a tenth of the engine's CPU at full load.
/// Each event writes only what it decides, so the order of the patches is the order of the events and a rebuild
/// (teardown deletes the documents, then the events replay) produces the same documents.
/// The documents stay single-tenanted and keyed by the bare execution id, so one query lists across tenants. Only
/// <see cref="WorkflowExecutionEvent"/>s of the stream <c>execution/{id}</c> count: the task streams
/// <c>execution/{id}/{node}</c> in the same tenant never become executions.
/// </remarks>
public sealed partial class ExecutionCatalogProjection : EventProjection
{
    private const string StreamPrefix = "execution/";

    public ExecutionCatalogProjection()
    {
        // Only the events that change the summary. Every other workflow event (NodeReady, NodeSucceeded, ...) leaves it
        // as it was and costs the transaction nothing.
        IncludeType<ExecutionAccepted>();
        IncludeType<ExecutionStarted>();
        IncludeType<ExecutionFailing>();
        IncludeType<ExecutionAborting>();
        IncludeType<ExecutionSucceeded>();
        IncludeType<ExecutionFailed>();
        IncludeType<ExecutionAborted>();
        IncludeType<ExecutionTimedOut>();
        Options.DeleteViewTypeOnTeardown<ExecutionSummaryDocument>();
    }

    /// <summary>The execution a workflow execution stream (<c>execution/{id}</c>) belongs to; null for any other key.</summary>
    private static string? ExecutionOf(string? streamKey) =>
        streamKey is not null && streamKey.StartsWith(StreamPrefix, StringComparison.Ordinal) && streamKey.IndexOf('/', StreamPrefix.Length) < 0
            ? streamKey[StreamPrefix.Length..]
            : null;

    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(e);
        if (ExecutionOf(e.StreamKey) is not { } id)
        {
            return ValueTask.CompletedTask;
        }

        // A patch of a document that does not exist (an acceptance never projected) matches no row: it creates nothing.
        switch (e.Data)
        {
            case ExecutionAccepted accepted:
                operations.Store(new ExecutionSummaryDocument
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
                    ParentExecutionId = accepted.Parent?.ExecutionId,
                    ParentNode = accepted.Parent?.NodeId,
                });
                break;
            case ExecutionStarted started:
                operations.Patch<ExecutionSummaryDocument>(id).Set(d => d.Phase, WorkflowPhase.Running).Set(d => d.StartedAt, started.Meta.At);
                break;
            case ExecutionFailing f:
                operations.Patch<ExecutionSummaryDocument>(id).Set(d => d.Phase, WorkflowPhase.Failing).Set(d => d.Error, f.Error);
                break;
            case ExecutionAborting a:
                operations.Patch<ExecutionSummaryDocument>(id).Set(d => d.Phase, WorkflowPhase.Aborting).Set(d => d.Error, a.Reason);
                break;
            case ExecutionSucceeded s:
                Finish(operations, id, WorkflowPhase.Succeeded, null, s);
                break;
            case ExecutionFailed f:
                Finish(operations, id, WorkflowPhase.Failed, f.Error, f);
                break;
            case ExecutionAborted a:
                Finish(operations, id, WorkflowPhase.Aborted, a.Reason, a);
                break;
            case ExecutionTimedOut t:
                Finish(operations, id, WorkflowPhase.TimedOut, $"timed out after {t.Timeout}", t);
                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A terminal phase; an end without an error of its own keeps the one it had (a failing run's first error).</summary>
    private static void Finish(IDocumentOperations operations, string id, WorkflowPhase phase, string? error, WorkflowExecutionEvent e)
    {
        var patch = operations.Patch<ExecutionSummaryDocument>(id).Set(d => d.Phase, phase).Set(d => d.FinishedAt, e.Meta.At);
        if (error is not null)
        {
            patch.Set(d => d.Error, error);
        }
    }
}
