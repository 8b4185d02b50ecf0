namespace Orleans.Flyte.Abstractions.Registry;

public enum RegistrationOutcome
{
    Created,
    AlreadyRegistered,
    Conflict,
}
