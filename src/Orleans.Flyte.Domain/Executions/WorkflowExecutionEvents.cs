using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Executions;

[GenerateSerializer, Immutable, Alias("flyte.WorkflowExecutionEvent")]
public abstract record WorkflowExecutionEvent : DomainEvent;

/// <summary>The submission is durable: from here on the platform owes it a terminal phase.</summary>
/// <param name="InputsJson">The workflow inputs after defaults were applied (a JSON object).</param>
/// <param name="SubmissionHash">Hash of (workflow version, inputs, options): a retried submission with the same
/// idempotency key must match it.</param>
/// <param name="RelaunchOf">Set when this execution relaunches another with the same inputs and versions.</param>
/// <param name="RecoverOf">Set when this execution recovers another, reusing its succeeded nodes' outputs.</param>
/// <param name="RecoveredOutputs">For a recover: node id → the outputs it produced in <paramref name="RecoverOf"/>;
/// those nodes are not run again.</param>
/// <param name="Parent">Set on a child execution (issue 17): the execution and the sub-workflow or launch-plan node that
/// started it, and to which it reports its end. Left out of the JSON when null, so acceptances stored before child
/// executions existed hash as they did.</param>
[GenerateSerializer, Immutable, Alias("flyte.ExecutionAccepted")]
public sealed record ExecutionAccepted(
    [property: Id(0)] string ExecutionId,
    [property: Id(1)] string Project,
    [property: Id(2)] string Domain,
    [property: Id(3)] ExecutionPlan Plan,
    [property: Id(4)] string InputsJson,
    [property: Id(5)] string SubmissionHash,
    [property: Id(6)] string? IdempotencyKey,
    [property: Id(7)] bool OverwriteCache,
    [property: Id(8)] string? RelaunchOf,
    [property: Id(9)] string? RecoverOf,
    [property: Id(10)] string? LaunchPlan,
    [property: Id(11)] DateTimeOffset? ScheduledAt,
    [property: Id(12)] IReadOnlyDictionary<string, string> RecoveredOutputs,
    [property: Id(13)] int Priority = 0,
    [property: Id(14), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    ExecutionParent? Parent = null) : WorkflowExecutionEvent;

/// <summary>The execution and node a child execution belongs to.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ExecutionParent")]
public sealed record ExecutionParent([property: Id(0)] string ExecutionId, [property: Id(1)] string NodeId);

[GenerateSerializer, Immutable, Alias("flyte.ExecutionStarted")]
public sealed record ExecutionStarted : WorkflowExecutionEvent;

/// <summary>A node's upstream nodes succeeded; its inputs are resolved and its task is queued.</summary>
[GenerateSerializer, Immutable, Alias("flyte.NodeReady")]
public sealed record NodeReady([property: Id(0)] string NodeId, [property: Id(1)] string InputsJson) : WorkflowExecutionEvent;

/// <param name="CacheHit">The outputs were reused from an earlier run with the same task version and inputs.</param>
/// <param name="RecoveredFrom">The outputs were reused from this earlier execution (recover).</param>
[GenerateSerializer, Immutable, Alias("flyte.NodeSucceeded")]
public sealed record NodeSucceeded(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string OutputsJson,
    [property: Id(2)] bool CacheHit,
    [property: Id(3)] string? RecoveredFrom) : WorkflowExecutionEvent;

/// <param name="Phase">Failed, TimedOut or Aborted.</param>
[GenerateSerializer, Immutable, Alias("flyte.NodeFailed")]
public sealed record NodeFailed(
    [property: Id(0)] string NodeId,
    [property: Id(1)] TaskPhase Phase,
    [property: Id(2)] string Error) : WorkflowExecutionEvent;

/// <param name="NotTakenBy">Set when the node was skipped because a branch took another case (or it depends only on such
/// a node): that is the workflow working as written, so it does not fail the execution. Left out of the JSON when null,
/// so skips stored before branches existed hash as they did.</param>
[GenerateSerializer, Immutable, Alias("flyte.NodeSkipped")]
public sealed record NodeSkipped(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Reason,
    [property: Id(2), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? NotTakenBy = null)
    : WorkflowExecutionEvent;

/// <summary>A node failed: under fail-fast the running nodes are being stopped; the execution will fail.</summary>
[GenerateSerializer, Immutable, Alias("flyte.ExecutionFailing")]
public sealed record ExecutionFailing([property: Id(0)] string Error) : WorkflowExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionAborting")]
public sealed record ExecutionAborting([property: Id(0)] string Reason) : WorkflowExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionSucceeded")]
public sealed record ExecutionSucceeded([property: Id(0)] string OutputsJson) : WorkflowExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionFailed")]
public sealed record ExecutionFailed([property: Id(0)] string Error) : WorkflowExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionAborted")]
public sealed record ExecutionAborted([property: Id(0)] string Reason) : WorkflowExecutionEvent;

[GenerateSerializer, Immutable, Alias("flyte.ExecutionTimedOut")]
public sealed record ExecutionTimedOut([property: Id(0)] TimeSpan Timeout) : WorkflowExecutionEvent;

/// <summary>A map node became ready over a list of <paramref name="Count"/> elements (its <see cref="NodeReady"/> holds
/// the list under the mapped input). Element <c>i</c> runs as task <c>{node}[i]</c>.</summary>
[GenerateSerializer, Immutable, Alias("flyte.MapNodeExpanded")]
public sealed record MapNodeExpanded([property: Id(0)] string NodeId, [property: Id(1)] int Count) : WorkflowExecutionEvent;

/// <summary>Elements <paramref name="First"/> .. First + Count - 1 of a map node are handed to their task grains.
/// Elements start in index order, paced: see <see cref="MapNodes"/>.</summary>
[GenerateSerializer, Immutable, Alias("flyte.MapElementsStarted")]
public sealed record MapElementsStarted([property: Id(0)] string NodeId, [property: Id(1)] int First, [property: Id(2)] int Count) : WorkflowExecutionEvent;

/// <summary>One element of a map node ended: Succeeded (with its outputs), Failed, TimedOut or Aborted.</summary>
[GenerateSerializer, Immutable, Alias("flyte.MapElementEnded")]
public sealed record MapElementEnded(
    [property: Id(0)] string NodeId,
    [property: Id(1)] int Index,
    [property: Id(2)] TaskPhase Phase,
    [property: Id(3)] string? OutputsJson,
    [property: Id(4)] string? Error,
    [property: Id(5)] bool CacheHit) : WorkflowExecutionEvent;
