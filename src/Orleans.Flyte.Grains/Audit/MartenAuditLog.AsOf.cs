using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.LaunchPlans;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>Definitions and launch plans as they stood at an instant: their streams folded with the grains' own states
/// and views up to it.</summary>
public sealed partial class MartenAuditLog
{
    public async Task<IReadOnlyList<DefinitionVersionSummary>> DefinitionVersionsAsOfAsync(
        string kind, string project, string domain, string name, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var state = await FoldAsync<DefinitionState, DefinitionEvent>(
            StreamAddress.TenantOf(project, domain), $"{kind}/{DefinitionKey.Of(project, domain, name)}", asOf, cancellationToken);
        return [.. state.Versions.Select(v => new DefinitionVersionSummary(v.Version, v.ContentHash, v.RegisteredAt, v.RegisteredBy))];
    }

    public async Task<LaunchPlanView?> LaunchPlanAsOfAsync(string project, string domain, string name, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var state = await FoldAsync<LaunchPlanState, LaunchPlanEvent>(
            StreamAddress.TenantOf(project, domain), $"launchplan/{DefinitionKey.Of(project, domain, name)}", asOf, cancellationToken);
        return state.Exists ? LaunchPlanViews.Of(project, domain, name, state, v => StoredSpec.LaunchPlan(v.Spec).Schedule, asOf) : null;
    }

    /// <summary>One stream's state at an instant: the fold of its events up to the first one stamped after it.</summary>
    private async Task<TState> FoldAsync<TState, TEvent>(string tenant, string stream, DateTimeOffset asOf, CancellationToken cancellationToken)
        where TState : IEventSourcedState<TEvent>, new()
        where TEvent : DomainEvent
    {
        var state = new TState();
        var rows = _rows.ReadAsync(
            "where tenant_id = @tenant and stream_id = @stream order by version",
            p =>
            {
                p.AddWithValue("tenant", tenant);
                p.AddWithValue("stream", stream);
            },
            cancellationToken);
        await foreach (var row in rows)
        {
            if (row.Data.Meta.At > asOf)
            {
                break;
            }

            state.Apply((TEvent)row.Data);
        }

        return state;
    }
}
