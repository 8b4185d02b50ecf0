namespace Orleans.Flyte.Abstractions.Audit;

/// <param name="Node">Null for the execution's own abort.</param>
public sealed record RunAbort(string? Node, string By, string? OnBehalfOf, DateTimeOffset At, string Reason);
