namespace Orleans.Flyte.Abstractions.Catalogs;

/// <param name="Next">Where the next page starts; null on the last page.</param>
public sealed record ExecutionPage(IReadOnlyList<ExecutionEntry> Items, ExecutionCursor? Next);
