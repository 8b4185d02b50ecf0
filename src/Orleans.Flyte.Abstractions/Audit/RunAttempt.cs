using System.Text.Json.Nodes;

namespace Orleans.Flyte.Abstractions.Audit;

/// <param name="Resources">The task's resource request (CPU, memory, GPU) as its pinned spec states it.</param>
public sealed record RunAttempt(
    string Node,
    string Task,
    int Attempt,
    string AttemptId,
    string Outcome,
    JsonNode? Resources,
    string? GpuNode,
    IReadOnlyList<string> GpuUnits,
    string? GpuResource,
    DateTimeOffset LaunchedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Error);
