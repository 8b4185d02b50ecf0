namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>What one collection pass over the artifact store removed.</summary>
/// <param name="Objects">Artifacts removed.</param>
/// <param name="Bytes">Their size together.</param>
/// <param name="Kept">Artifacts looked at and kept (referenced, or within the grace period).</param>
/// <param name="Complete">False when the pass stopped at its bound before it had looked at every artifact.</param>
public sealed record ArtifactRemoval(int Objects, long Bytes, int Kept, bool Complete);
