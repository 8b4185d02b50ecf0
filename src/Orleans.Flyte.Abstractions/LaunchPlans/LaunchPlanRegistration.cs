using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

[GenerateSerializer, Immutable, Alias("flyte.LaunchPlanRegistration")]
public sealed record LaunchPlanRegistration(
    [property: Id(0)] RegistrationOutcome Outcome,
    [property: Id(1)] LaunchPlanView LaunchPlan,
    [property: Id(2)] string ExistingSpec);
