using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>One stored event as the history shows it.</summary>
/// <param name="Sequence">Its place in the whole log (commit order); the paging cursor.</param>
/// <param name="At">When the platform decided the fact (the event's metadata), not when the row was written.</param>
/// <param name="Data">The event's fields (without the metadata shown beside them), JSON text fields parsed.</param>
/// <param name="Hash">Its stored link in the stream's hash chain.</param>
public sealed record HistoryEntry(
    long Sequence,
    string Stream,
    long Version,
    string Type,
    DateTimeOffset At,
    string Principal,
    string? OnBehalfOf,
    string? CorrelationId,
    string? Reason,
    JsonObject? Data,
    string Hash);
