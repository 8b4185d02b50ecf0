using Orleans.Flyte.Domain.Executions;

namespace Orleans.Flyte.Abstractions.Executions;

/// <param name="Inputs">Workflow inputs as a JSON object (already type-checked and defaulted).</param>
[GenerateSerializer, Immutable, Alias("flyte.CreateExecution")]
public sealed record CreateExecution(
    [property: Id(0)] string Project,
    [property: Id(1)] string Domain,
    [property: Id(2)] ExecutionPlan Plan,
    [property: Id(3)] string InputsJson,
    [property: Id(4)] string? IdempotencyKey,
    [property: Id(5)] bool OverwriteCache,
    [property: Id(6)] string? RelaunchOf,
    [property: Id(7)] string? RecoverOf,
    [property: Id(8)] IReadOnlyDictionary<string, string> RecoveredOutputs,
    [property: Id(9)] string? LaunchPlan,
    [property: Id(10)] DateTimeOffset? ScheduledAt,
    [property: Id(11)] int Priority = 0)
{
    /// <summary>Set when a sub-workflow or launch-plan node creates this execution as its child.</summary>
    [Id(12)] public ExecutionParent? Parent { get; init; }
}
