namespace Orleans.Flyte.Abstractions;

/// <summary>
/// Who is calling and under which request, carried from the API into grains by Orleans'
/// <see cref="RequestContext"/> (it flows with every grain call, including calls grains make to each other).
/// A contract because both sides must agree on the keys: the API writes them, every grain stamps its events with them.
/// </summary>
public static class CallContext
{
    private const string PrincipalKey = "flyte.principal";
    private const string CorrelationKey = "flyte.correlation";

    /// <summary>The principal recorded when a platform component acts on its own (timers, reconciliation).</summary>
    public const string SystemPrincipal = "system";

    public static void Set(string principal, string? correlationId)
    {
        RequestContext.Set(PrincipalKey, principal);
        if (correlationId is not null)
        {
            RequestContext.Set(CorrelationKey, correlationId);
        }
    }

    public static string Principal => RequestContext.Get(PrincipalKey) as string ?? SystemPrincipal;

    public static string? CorrelationId => RequestContext.Get(CorrelationKey) as string;
}
