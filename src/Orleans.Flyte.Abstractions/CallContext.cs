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
    private const string OnBehalfOfKey = "flyte.on-behalf-of";

    /// <summary>The principal recorded when a platform component acts on its own (timers, reconciliation).</summary>
    public const string SystemPrincipal = "system";

    /// <summary>The principal of a platform component acting on its own: <c>system:scheduler</c>, <c>system:gpu-allocator</c>.</summary>
    public static string System(string component) => $"{SystemPrincipal}:{component}";

    /// <param name="onBehalfOf">When a component acts: the principal it acts for (who activated the plan, submitted the run).</param>
    public static void Set(string principal, string? correlationId, string? onBehalfOf = null)
    {
        RequestContext.Set(PrincipalKey, principal);
        if (onBehalfOf is null)
        {
            RequestContext.Remove(OnBehalfOfKey);
        }
        else
        {
            RequestContext.Set(OnBehalfOfKey, onBehalfOf);
        }

        if (correlationId is not null)
        {
            RequestContext.Set(CorrelationKey, correlationId);
        }
    }

    public static string Principal => Caller ?? SystemPrincipal;

    /// <summary>The principal the request context names, or null when no one called (a timer, a reminder, a runner's callback).</summary>
    public static string? Caller => RequestContext.Get(PrincipalKey) as string;

    public static string? OnBehalfOf => RequestContext.Get(OnBehalfOfKey) as string;

    public static string? CorrelationId => RequestContext.Get(CorrelationKey) as string;
}
