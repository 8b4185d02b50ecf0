namespace Orleans.Flyte.Domain.Gpus;

/// <summary>One decision: these units on this node go to this request.</summary>
public sealed record GpuPlacement(string RequestId, string Node, IReadOnlyList<string> UnitIds, string ResourceName);
