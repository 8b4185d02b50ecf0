namespace Orleans.Flyte.Abstractions.Audit;

public sealed record RunCacheHit(string Node, string SourceExecutionId, string SourceNodeId);
