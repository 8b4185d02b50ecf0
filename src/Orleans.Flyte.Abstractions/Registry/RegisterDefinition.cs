namespace Orleans.Flyte.Abstractions.Registry;

/// <param name="Spec">Normalized spec as canonical JSON (validated by the caller before it gets here).</param>
/// <param name="PinnedTasks">Workflows only: reference as written → exact <c>name@version</c>.</param>
[GenerateSerializer, Immutable, Alias("flyte.RegisterDefinition")]
public sealed record RegisterDefinition(
    [property: Id(0)] string Version,
    [property: Id(1)] string Spec,
    [property: Id(2)] string ContentHash,
    [property: Id(3)] IReadOnlyDictionary<string, string> PinnedTasks);
