using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Domain.Identity;

/// <summary>Role bindings of the whole cluster, in one stream: who granted what to whom, when and why (the metadata).</summary>
[GenerateSerializer, Immutable, Alias("flyte.AccessEvent")]
public abstract record AccessEvent : DomainEvent;

[GenerateSerializer, Immutable, Alias("flyte.RoleGranted")]
public sealed record RoleGranted(
    [property: Id(0)] string Principal,
    [property: Id(1)] string Role,
    [property: Id(2)] string? Project,
    [property: Id(3)] string? Domain) : AccessEvent;

[GenerateSerializer, Immutable, Alias("flyte.RoleRevoked")]
public sealed record RoleRevoked(
    [property: Id(0)] string Principal,
    [property: Id(1)] string Role,
    [property: Id(2)] string? Project,
    [property: Id(3)] string? Domain) : AccessEvent;

[GenerateSerializer, Alias("flyte.AccessState")]
public sealed class AccessState : IEventSourcedState<AccessEvent>
{
    [Id(0)] private readonly List<RoleBinding> _bindings = [];

    public IReadOnlyList<RoleBinding> Bindings => _bindings;

    public RoleBinding? Find(string principal, string role, AccessScope scope) => _bindings.Find(b => b.Binds(principal, role, scope));

    public void Apply(AccessEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        switch (@event)
        {
            case RoleGranted e:
                var scope = AccessScope.Of(e.Project, e.Domain);
                if (Find(e.Principal, e.Role, scope) is null)
                {
                    _bindings.Add(new RoleBinding(e.Principal, e.Role, scope, e.Meta.Principal, e.Meta.At, e.Meta.Reason));
                }

                break;
            case RoleRevoked e:
                _bindings.RemoveAll(b => b.Binds(e.Principal, e.Role, AccessScope.Of(e.Project, e.Domain)));
                break;
        }
    }
}
