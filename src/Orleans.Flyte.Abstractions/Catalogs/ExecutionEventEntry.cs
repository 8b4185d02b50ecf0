using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>One stored event of an execution's timeline.</summary>
/// <param name="Sequence">The event's position in the whole log: orders events across the execution's streams.</param>
/// <param name="Stream">The execution's stream (<c>execution/{id}</c>) or one of its nodes' (<c>execution/{id}/{node}</c>).</param>
/// <param name="Version">The event's position in its stream.</param>
/// <param name="Type">The event type's name (e.g. <c>ExecutionAccepted</c>).</param>
/// <param name="Data">The event's fields as JSON (camelCase), without its metadata; fields stored as JSON text are objects.</param>
public sealed record ExecutionEventEntry(
    long Sequence,
    string Stream,
    long Version,
    string Type,
    DateTimeOffset At,
    string Principal,
    string? CorrelationId,
    string? Reason,
    JsonObject? Data)
{
    /// <summary>The event's link in its stream's hash chain (SHA-256, hex).</summary>
    public string Hash { get; init; } = string.Empty;

    /// <summary>The hash of the event before it in the stream (64 zeros for the first).</summary>
    public string PreviousHash { get; init; } = string.Empty;
}
