using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Submissions;

/// <summary>A registered workflow version with its plan compiled from the exact task versions it pinned.</summary>
/// <param name="Spec">The workflow version's normalized spec (canonical JSON), as the registry stored it.</param>
/// <param name="Workflow">The same spec, read.</param>
/// <param name="Plan">What an execution of this version runs: the workflow and every pinned task spec.</param>
/// <param name="Interface">What a sub-workflow node running this version sees of it: inputs, output types, the workflow
/// names it contains and its nesting depth.</param>
public sealed record ResolvedWorkflow(string Name, string Version, string Spec, WorkflowSpec Workflow, ExecutionPlan Plan, WorkflowInterface Interface)
{
    /// <summary><c>name@version</c>: the exact version, never floating.</summary>
    public string Pinned => $"{Name}@{Version}";
}
