using Orleans.Flyte.Abstractions.Identity;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Identity;

public sealed class RoleBindingsGrain(IEventStreamStore store, TimeProvider clock)
    : EventSourcedGrain<AccessState, AccessEvent>(store, clock), IRoleBindingsGrain
{
    protected override StreamAddress Stream => StreamAddress.Cluster($"access/{this.GetPrimaryKeyString()}");

    public Task<IReadOnlyList<RoleBinding>> For(string subject, IReadOnlyList<string> groups) =>
        Task.FromResult<IReadOnlyList<RoleBinding>>([.. AccessRules.Of(State.Bindings, subject, groups)]);

    public Task<IReadOnlyList<RoleBinding>> List(AccessScope scope) =>
        Task.FromResult<IReadOnlyList<RoleBinding>>([.. State.Bindings.Where(b => scope.Covers(b.Scope))]);

    public async Task<RoleGrant> Grant(string principal, string role, AccessScope scope, string? reason)
    {
        var created = await DecideAndRecord(
            state => state.Find(principal, role, scope) is null
                ? Decision<AccessEvent, bool>.Record(true, new RoleGranted(principal, role, scope.Project, scope.Domain))
                : Decision<AccessEvent, bool>.Unchanged(false),
            reason);
        return new RoleGrant(created, State.Find(principal, role, scope)
            ?? throw new InvalidOperationException($"The binding of {role} to {principal} on {scope} was recorded but is not in the state."));
    }

    public Task<bool> Revoke(string principal, string role, AccessScope scope, string? reason) =>
        DecideAndRecord(
            state => state.Find(principal, role, scope) is null
                ? Decision<AccessEvent, bool>.Unchanged(false)
                : Decision<AccessEvent, bool>.Record(true, new RoleRevoked(principal, role, scope.Project, scope.Domain)),
            reason);
}
