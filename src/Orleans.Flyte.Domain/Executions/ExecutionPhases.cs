namespace Orleans.Flyte.Domain.Executions;

/// <summary>Workflow execution phases, as in Flyte.</summary>
[GenerateSerializer, Alias("flyte.WorkflowPhase")]
public enum WorkflowPhase
{
    Queued,
    Running,
    Succeeding,
    Succeeded,
    Failing,
    Failed,
    Aborting,
    Aborted,
    TimedOut,
}

/// <summary>Task (node) execution phases, as in Flyte.</summary>
[GenerateSerializer, Alias("flyte.TaskPhase")]
public enum TaskPhase
{
    /// <summary>Not started: upstream nodes have not finished.</summary>
    NotReady,
    Queued,
    WaitingForResources,
    Initializing,
    Running,
    Succeeded,
    RetryableFailed,
    Failed,
    Aborted,
    TimedOut,

    /// <summary>Never ran because an upstream node failed or the execution stopped first.</summary>
    Skipped,
}

public static class Phases
{
    public static bool IsTerminal(this WorkflowPhase phase) =>
        phase is WorkflowPhase.Succeeded or WorkflowPhase.Failed or WorkflowPhase.Aborted or WorkflowPhase.TimedOut;

    public static bool IsTerminal(this TaskPhase phase) =>
        phase is TaskPhase.Succeeded or TaskPhase.Failed or TaskPhase.Aborted or TaskPhase.TimedOut or TaskPhase.Skipped;
}
