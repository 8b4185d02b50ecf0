namespace Orleans.Flyte.Abstractions.Registry;

/// <param name="Definition">The stored version: the new one, the identical existing one, or the conflicting one.</param>
[GenerateSerializer, Immutable, Alias("flyte.Registration")]
public sealed record Registration(
    [property: Id(0)] RegistrationOutcome Outcome,
    [property: Id(1)] DefinitionView Definition);
