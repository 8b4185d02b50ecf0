using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Abstractions.Identity;

/// <summary>The answer to a grant: whether it was new, and the binding (with who granted it first, when and why).</summary>
[GenerateSerializer, Immutable, Alias("flyte.RoleGrant")]
public sealed record RoleGrant([property: Id(0)] bool Created, [property: Id(1)] RoleBinding Binding);
