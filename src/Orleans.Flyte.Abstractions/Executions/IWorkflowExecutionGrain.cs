using Orleans.Concurrency;

namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>One workflow execution: drives its DAG to a terminal phase. Key: <c>project/domain/executionId</c>.</summary>
[Alias("flyte.IWorkflowExecutionGrain")]
public interface IWorkflowExecutionGrain : IGrainWithStringKey
{
    /// <summary>Accepts the submission durably (idempotent for the same submission) and starts driving it
    /// in the background; returns as soon as the submission is stored.</summary>
    [Alias("Create")]
    Task<CreateOutcome> Create(CreateExecution command);

    [Alias("Get")]
    Task<ExecutionView?> Get();

    /// <summary>What was submitted (plan, inputs, options): the basis of relaunch and recover. Null when absent.</summary>
    [Alias("GetSubmission")]
    Task<ExecutionSubmission?> GetSubmission();

    /// <summary>Stops every running node (killing their processes) and ends in Aborted. Idempotent.</summary>
    [Alias("Abort")]
    Task<ExecutionView> Abort(string reason);

    /// <summary>A task node reached a terminal phase. One-way: a task never waits on its workflow, so the two
    /// can never deadlock; a lost notification is recovered by the execution's supervisor (<see cref="IExecutionSupervisorGrain"/>).</summary>
    [OneWay, Alias("OnNodeCompleted")]
    Task OnNodeCompleted(NodeCompletion completion);

    /// <summary>The supervisor's tick: if the execution is active, ask every active node where it stands and carry on
    /// (after a crash this call is what reactivates the execution). Does nothing for an absent or finished execution.</summary>
    [Alias("Supervise")]
    Task Supervise();
}
