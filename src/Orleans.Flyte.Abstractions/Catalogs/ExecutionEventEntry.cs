using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>One stored event of an execution's timeline.</summary>
/// <param name="Sequence">The event's position in the whole log: orders events across the execution's streams.</param>
/// <param name="Stream">The execution's stream (<c>execution/{id}</c>) or one of its nodes' (<c>execution/{id}/{node}</c>).</param>
/// <param name="Version">The event's position in its stream.</param>
/// <param name="Type">The event type's name (e.g. <c>ExecutionAccepted</c>).</param>
/// <param name="Data">The event's fields as JSON (camelCase), without its metadata.</param>
public sealed record ExecutionEventEntry(
    long Sequence,
    string Stream,
    long Version,
    string Type,
    DateTimeOffset At,
    string Principal,
    string? CorrelationId,
    string? Reason,
    JsonObject? Data);
