using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Registry;

public sealed class ProjectGrain(IEventStreamStore store, TimeProvider clock)
    : EventSourcedGrain<ProjectState, ProjectEvent>(store, clock), IProjectGrain
{
    protected override StreamAddress Stream => StreamAddress.Cluster($"project/{this.GetPrimaryKeyString()}");

    public Task<ProjectView?> Get() => Task.FromResult(View());

    public async Task<ProjectCreation> Create(CreateProject command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var created = await DecideAndRecord(state => state.Exists
            ? Decision<ProjectEvent, bool>.Unchanged(false)
            : Decision<ProjectEvent, bool>.Record(true, new ProjectCreated(this.GetPrimaryKeyString(), command.DisplayName, command.Description)));
        return new ProjectCreation(created, View()!);
    }

    private ProjectView? View() => State.Exists
        ? new ProjectView(State.Name!, State.DisplayName, State.Description, State.CreatedAt, State.CreatedBy ?? CallContext.SystemPrincipal)
        : null;
}
