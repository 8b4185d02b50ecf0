namespace Orleans.Flyte.Abstractions.Audit;

/// <param name="Damage">The kind of damage at <paramref name="FirstBrokenVersion"/> (a <c>ChainDamage</c> name); null when intact.</param>
public sealed record StreamChain(string Stream, long Events, bool Intact, long? FirstBrokenVersion, string? Damage);
