using Orleans.Flyte.Domain.Audit;

namespace Orleans.Flyte.Abstractions.Audit;

/// <summary>A stream whose chain does not recompute: the first version that is not as written, and what happened to it.</summary>
public sealed record StreamDamage(string Stream, long FirstBrokenVersion, ChainDamage Damage, string Detail);
