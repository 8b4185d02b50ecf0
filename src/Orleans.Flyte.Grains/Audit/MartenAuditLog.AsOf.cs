using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Abstractions.LaunchPlans;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Grains.Gpus;
using Orleans.Flyte.Grains.LaunchPlans;

namespace Orleans.Flyte.Grains.Audit;

/// <summary>Definitions, launch plans and GPU capacity as they stood at an instant: their streams folded with the grains' own
/// states and views up to it.</summary>
public sealed partial class MartenAuditLog
{
    /// <summary>Versions read per query while folding one stream.</summary>
    private const int FoldPage = 1000;

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

    /// <summary>The allocator's answer to <c>/api/v1/capacity</c> as of an instant: its stream folded up to then (from the
    /// latest snapshot at or before it) and shaped by the same <see cref="GpuCapacityView"/> the live grain answers with, at
    /// that instant. The nodes are the allocator's record of what their grains reported (<see cref="GpuNodeObserved"/>), so the
    /// GPU node streams need no separate fold; quotas set through the API are events, configured default quotas are today's.</summary>
    public Task<GpuCapacity> CapacityAsOfAsync(DateTimeOffset asOf, CancellationToken cancellationToken = default) =>
        CapacityAsOfAsync(asOf, fromSnapshot: true, cancellationToken);

    /// <param name="fromSnapshot">False folds from the first event: what the snapshot tests and the benchmark compare with.</param>
    public async Task<GpuCapacity> CapacityAsOfAsync(DateTimeOffset asOf, bool fromSnapshot, CancellationToken cancellationToken = default)
    {
        var state = await FoldAsync<GpuAllocatorState, GpuAllocatorEvent>(StreamAddress.ClusterTenant, AllocatorStream, asOf, cancellationToken, fromSnapshot);
        return GpuCapacityView.Of(state, gpuOptions.Value.Policy(), asOf, gpuOptions.Value);
    }

    /// <summary>
    /// One stream's state at an instant: the fold of its events up to the first one stamped after it. With
    /// <paramref name="fromSnapshot"/>, the fold starts from the newest <see cref="StreamSnapshot"/> whose events were all
    /// stamped by then; its tail must continue the snapshot's hash, or the snapshot is ignored and the stream folded whole
    /// (a snapshot is a shortcut, never evidence: verify does not read them).
    /// </summary>
    private async Task<TState> FoldAsync<TState, TEvent>(string tenant, string stream, DateTimeOffset asOf, CancellationToken cancellationToken, bool fromSnapshot = false)
        where TState : IEventSourcedState<TEvent>, new()
        where TEvent : DomainEvent
    {
        var state = new TState();
        long after = 0;
        string? continues = null;
        if (fromSnapshot && await snapshots.LatestAsync(new StreamAddress(tenant, stream), asOf, cancellationToken) is { } snapshot)
        {
            state = StreamSnapshots.Deserialize<TState>(snapshot.State);
            after = snapshot.Version;
            continues = snapshot.Hash;
        }

        // In pages of versions: a fold that stops early (an instant early in a long stream) reads one page past its end,
        // not the rest of the stream (a reader left early still receives every row the query selected).
        while (true)
        {
            var last = after;
            await foreach (var row in _rows.ReadAsync(
                "where tenant_id = @tenant and stream_id = @stream and version > @after and version <= @through order by version",
                p =>
                {
                    p.AddWithValue("tenant", tenant);
                    p.AddWithValue("stream", stream);
                    p.AddWithValue("after", after);
                    p.AddWithValue("through", after + FoldPage); // versions have no gaps unless events were deleted: then a page is short
                },
                cancellationToken))
            {
                last = row.Version;
                if (continues is not null && !string.Equals(row.PreviousHash, continues, StringComparison.Ordinal))
                {
                    return await FoldAsync<TState, TEvent>(tenant, stream, asOf, cancellationToken, fromSnapshot: false);
                }

                continues = null;
                if (row.Data.Meta.At > asOf)
                {
                    return state;
                }

                state.Apply((TEvent)row.Data);
            }

            if (last == after)
            {
                return state;
            }

            after = last;
        }
    }
}
