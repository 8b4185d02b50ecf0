using Orleans.Concurrency;
using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Abstractions.Identity;

/// <summary>Every role binding of the cluster, event-sourced in one stream (<see cref="Key"/>): grants and revocations
/// are history, with who, when and why in each event's metadata.</summary>
[Alias("flyte.IRoleBindingsGrain")]
public interface IRoleBindingsGrain : IGrainWithStringKey
{
    const string Key = "cluster";

    /// <summary>The bindings that name <paramref name="subject"/> or one of <paramref name="groups"/> (as <c>group:NAME</c>).</summary>
    [ReadOnly, Alias("For")]
    Task<IReadOnlyList<RoleBinding>> For(string subject, IReadOnlyList<string> groups);

    /// <summary>The bindings whose scope lies within <paramref name="scope"/> (all of them for the cluster).</summary>
    [ReadOnly, Alias("List")]
    Task<IReadOnlyList<RoleBinding>> List(AccessScope scope);

    /// <summary>Binds the role; binding one that exists changes nothing. <paramref name="reason"/> is recorded with the grant.</summary>
    [Alias("Grant")]
    Task<RoleGrant> Grant(string principal, string role, AccessScope scope, string? reason);

    /// <summary>Removes the binding; false when there was none.</summary>
    [Alias("Revoke")]
    Task<bool> Revoke(string principal, string role, AccessScope scope, string? reason);
}
