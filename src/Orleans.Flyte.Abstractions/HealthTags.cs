namespace Orleans.Flyte.Abstractions;

/// <summary>Tags of health checks, shared by the side that registers a check and the API that serves it.</summary>
public static class HealthTags
{
    /// <summary>Checks that must pass before the platform takes traffic (<c>/readyz</c>): the engine registers those
    /// of the event store, the API those of the silo.</summary>
    public const string Ready = "ready";
}
