using JasperFx.Events;
using JasperFx.Events.Grouping;
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
/// A multi-stream projection with an explicit identity rather than a <c>SingleStreamProjection</c>: under conjoined
/// event tenancy Marten requires a single-stream aggregate to be conjoined-tenanted and keyed by the stream key
/// (<c>execution/{id}</c>), which would change the document's id and hide it from the cross-tenant queries that read
/// it today. Grouping across tenants by the execution id keeps the document single-tenanted and keyed by the bare id.
/// Only <see cref="WorkflowExecutionEvent"/>s are grouped, so the task streams <c>execution/{id}/{node}</c> in the
/// same tenant (which hold <see cref="TaskExecutionEvent"/>s) never become executions.
/// </remarks>
public sealed class ExecutionCatalogProjection : MultiStreamProjection<ExecutionSummaryDocument, string>
{
    private const string StreamPrefix = "execution/";

    public ExecutionCatalogProjection()
    {
        TenancyGrouping = TenancyGrouping.AcrossTenants;

        // Only the events that change the summary (the ones Evolve handles). Grouping every workflow event made Marten load
        // and upsert the document (six indexes) in every transaction that held a node's NodeReady or NodeSucceeded, which
        // is most of them, for a document those events leave as it was.
        Identities<IEvent<ExecutionAccepted>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionStarted>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionFailing>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionAborting>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionSucceeded>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionFailed>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionAborted>>(e => ExecutionOf(e.StreamKey));
        Identities<IEvent<ExecutionTimedOut>>(e => ExecutionOf(e.StreamKey));
    }

    /// <summary>The execution a workflow execution stream (<c>execution/{id}</c>) belongs to; none for any other key.</summary>
    private static IReadOnlyList<string> ExecutionOf(string? streamKey) =>
        streamKey is not null && streamKey.StartsWith(StreamPrefix, StringComparison.Ordinal) && streamKey.IndexOf('/', StreamPrefix.Length) < 0
            ? [streamKey[StreamPrefix.Length..]]
            : [];

    public override ExecutionSummaryDocument? Evolve(ExecutionSummaryDocument? snapshot, string id, IEvent e)
    {
        if (e.Data is ExecutionAccepted accepted)
        {
            return new ExecutionSummaryDocument
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
            };
        }

        // An event for an execution whose acceptance was never projected creates nothing (null stores nothing).
        if (snapshot is null)
        {
            return null;
        }

        switch (e.Data)
        {
            case ExecutionStarted started:
                snapshot.Phase = WorkflowPhase.Running;
                snapshot.StartedAt = started.Meta.At;
                break;
            case ExecutionFailing f:
                snapshot.Phase = WorkflowPhase.Failing;
                snapshot.Error = f.Error;
                break;
            case ExecutionAborting a:
                snapshot.Phase = WorkflowPhase.Aborting;
                snapshot.Error = a.Reason;
                break;
            case ExecutionSucceeded s:
                Finish(snapshot, WorkflowPhase.Succeeded, null, s);
                break;
            case ExecutionFailed f:
                Finish(snapshot, WorkflowPhase.Failed, f.Error, f);
                break;
            case ExecutionAborted a:
                Finish(snapshot, WorkflowPhase.Aborted, a.Reason, a);
                break;
            case ExecutionTimedOut t:
                Finish(snapshot, WorkflowPhase.TimedOut, $"timed out after {t.Timeout}", t);
                break;
        }

        return snapshot;
    }

    private static void Finish(ExecutionSummaryDocument document, WorkflowPhase phase, string? error, WorkflowExecutionEvent e)
    {
        document.Phase = phase;
        document.Error = error ?? document.Error;
        document.FinishedAt = e.Meta.At;
    }
}
