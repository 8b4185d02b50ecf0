using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

/// <param name="Spec">The normalized launch plan spec (canonical JSON), validated by the caller.</param>
/// <param name="Workflow">The exact workflow version, <c>name@version</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.RegisterLaunchPlan")]
public sealed record RegisterLaunchPlan(
    [property: Id(0)] string Version,
    [property: Id(1)] string Spec,
    [property: Id(2)] string ContentHash,
    [property: Id(3)] string Workflow,
    [property: Id(4)] string WorkflowSpec,
    [property: Id(5)] ExecutionPlan Plan);
