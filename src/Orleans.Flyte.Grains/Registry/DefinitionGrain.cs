using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Registry;

/// <summary>Shared decision logic of task and workflow registries; they differ only in the event they record.</summary>
public abstract class DefinitionGrain(IEventStreamStore store, TimeProvider clock)
    : EventSourcedGrain<DefinitionState, DefinitionEvent>(store, clock), IDefinitionGrain
{
    protected (string Project, string Domain, string Name) Key => DefinitionKey.Parse(this.GetPrimaryKeyString());

    protected abstract string Kind { get; }

    protected override StreamAddress Stream =>
        new(StreamAddress.TenantOf(Key.Project, Key.Domain), $"{Kind}/{this.GetPrimaryKeyString()}");

    protected abstract DefinitionEvent Registered(RegisterDefinition command);

    public async Task<Registration> Register(RegisterDefinition command)
    {
        ArgumentNullException.ThrowIfNull(command);

        // If another activation registered this version first, the decision is taken again on its content.
        var outcome = await DecideAndRecord(state => state.Find(command.Version) is { } existing
            ? Decision<DefinitionEvent, RegistrationOutcome>.Unchanged(string.Equals(existing.ContentHash, command.ContentHash, StringComparison.Ordinal)
                ? RegistrationOutcome.AlreadyRegistered
                : RegistrationOutcome.Conflict)
            : Decision<DefinitionEvent, RegistrationOutcome>.Record(RegistrationOutcome.Created, Registered(command)));
        return new Registration(outcome, View(State.Find(command.Version)!));
    }

    public Task<DefinitionView?> GetVersion(string? version)
    {
        var found = version is null ? State.Latest : State.Find(version);
        return Task.FromResult(found is null ? null : View(found));
    }

    public Task<IReadOnlyList<DefinitionVersionSummary>> ListVersions() =>
        Task.FromResult<IReadOnlyList<DefinitionVersionSummary>>(
            [.. State.Versions.Select(v => new DefinitionVersionSummary(v.Version, v.ContentHash, v.RegisteredAt, v.RegisteredBy))]);

    private DefinitionView View(DefinitionVersion v) =>
        new(Key.Project, Key.Domain, Key.Name, v.Version, v.Spec, v.ContentHash, v.RegisteredAt, v.RegisteredBy, v.PinnedTasks);
}

public sealed class TaskDefinitionGrain(IEventStreamStore store, TimeProvider clock)
    : DefinitionGrain(store, clock), ITaskDefinitionGrain
{
    protected override string Kind => "task";

    protected override DefinitionEvent Registered(RegisterDefinition command) =>
        new TaskVersionRegistered(Key.Project, Key.Domain, Key.Name, command.Version, command.Spec, command.ContentHash);
}

public sealed class WorkflowDefinitionGrain(IEventStreamStore store, TimeProvider clock)
    : DefinitionGrain(store, clock), IWorkflowDefinitionGrain
{
    protected override string Kind => "workflow";

    protected override DefinitionEvent Registered(RegisterDefinition command) =>
        new WorkflowVersionRegistered(Key.Project, Key.Domain, Key.Name, command.Version, command.Spec, command.ContentHash, command.PinnedTasks);
}
