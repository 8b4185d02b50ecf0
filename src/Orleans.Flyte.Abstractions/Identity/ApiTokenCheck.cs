namespace Orleans.Flyte.Abstractions.Identity;

[GenerateSerializer, Immutable, Alias("flyte.ApiTokenCheck")]
public sealed record ApiTokenCheck([property: Id(0)] ApiTokenStatus Status, [property: Id(1)] ApiTokenView? Token);
