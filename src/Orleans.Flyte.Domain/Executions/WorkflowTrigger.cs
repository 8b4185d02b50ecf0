namespace Orleans.Flyte.Domain.Executions;

/// <summary>What made a workflow execution take a step. The grain turns each of its entry points into one of these.</summary>
public abstract record WorkflowTrigger
{
    private WorkflowTrigger()
    {
    }

    /// <summary>A drive tick: right after acceptance, or when the workflow's timeout is due.</summary>
    public sealed record Drive : WorkflowTrigger
    {
        public static readonly Drive Tick = new();
    }

    /// <summary>A task node reported a terminal phase (possibly late, or twice).</summary>
    public sealed record NodeCompleted(NodeOutcome Outcome) : WorkflowTrigger;

    /// <summary>Someone asked to stop the execution.</summary>
    public sealed record Abort(string Reason) : WorkflowTrigger;

    /// <summary>
    /// A recover pass (after a crash, on the reminder, on reactivation): where each of
    /// <see cref="WorkflowStep.NodesToResume"/> stands according to its task grain.
    /// </summary>
    public sealed record Recover(IReadOnlyList<NodeOutcome> Answers) : WorkflowTrigger;

    /// <summary>The nodes a <see cref="WorkflowStop"/> named were aborted; these are their final answers.</summary>
    public sealed record NodesStopped(WorkflowStop Stop, IReadOnlyList<NodeOutcome> Answers) : WorkflowTrigger;
}

/// <summary>Where a node's task stands, as its task grain answered: a completion, a resume, or an abort.</summary>
/// <param name="Phase">A terminal phase, a phase still in progress, or <see cref="TaskPhase.NotReady"/> when the task
/// grain never heard of the node.</param>
public sealed record NodeOutcome(string NodeId, TaskPhase Phase, string? OutputsJson = null, string? Error = null, bool CacheHit = false);
