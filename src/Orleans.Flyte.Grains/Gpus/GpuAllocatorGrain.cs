using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Gpus;

/// <summary>
/// The one place GPU units are handed out. Every decision is an event in one stream: a request queued, a lease
/// granted (which units on which node), a lease released, a request withdrawn, a quota changed, a node observed.
/// After a crash the state is the fold of those events, so nothing granted is forgotten and nothing is granted twice.
/// Grants of one turn go out in one write; waiting attempts are told one-way and also re-ask on their own.
/// <para>
/// Reentrant, so concurrent calls share writes: every decision is made synchronously on the tentative state (what
/// is durable plus what other calls have raised but not yet written) and only the wait for durability interleaves.
/// Events raised while a write is in flight go out together in the next one, instead of one write per call.
/// </para>
/// </summary>
[Reentrant]
public sealed class GpuAllocatorGrain(
    IEventStreamStore store,
    TimeProvider clock,
    IOptions<GpuOptions> options,
    IGpuLeaseLiveness liveness,
    IGpuGrantNotifier grants,
    ILogger<GpuAllocatorGrain> log)
    : EventSourcedGrain<GpuAllocatorState, GpuAllocatorEvent>(store, clock), IGpuAllocatorGrain, IRemindable
{
    private const string ReconcileReminder = "reconcile";
    private const int ReconcileParallelism = 32;
    private static readonly TimeSpan s_minimumReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly GpuAllocatorPolicy _policy = options.Value.Policy();

    protected override StreamAddress Stream => StreamAddress.Cluster("gpu/allocator");

    /// <summary>Decisions read the tentative state: what is durable plus what this turn has raised.</summary>
    private GpuAllocatorState Now => TentativeState;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var every = options.Value.ReconcileInterval;

        // The reminder brings the allocator back after a whole-cluster restart; the timer reconciles promptly, including
        // right after activation (leases whose attempts ended while the allocator was down are freed).
        await this.RegisterOrUpdateReminder(ReconcileReminder, every, every < s_minimumReminderPeriod ? s_minimumReminderPeriod : every, cancellationToken);
        this.RegisterGrainTimer(
            static (grain, _) => grain.ReconcileQuietly(),
            this,
            new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(1), Period = every, KeepAlive = true });
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => ReconcileQuietly();

    public async Task<GpuLeaseStatus> Request(GpuLeaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count < 1)
        {
            throw new ArgumentException($"A GPU request needs at least one unit, not {request.Count}.", nameof(request));
        }

        if (!Now.Waiting.ContainsKey(request.RequestId) && !Now.Leases.ContainsKey(request.RequestId) && !Now.Ended.ContainsKey(request.RequestId))
        {
            RaiseEvent(Stamp(new GpuRequestQueued(request)));
            await Decide(except: request.RequestId);
        }

        return Status(Now, request.RequestId);
    }

    public async Task Release(string requestId, string reason)
    {
        if (Now.Leases.ContainsKey(requestId))
        {
            RaiseEvent(Stamp(new GpuLeaseReleased(requestId, reason)));
        }
        else if (Now.Waiting.ContainsKey(requestId))
        {
            RaiseEvent(Stamp(new GpuRequestCancelled(requestId, reason)));
        }
        else
        {
            return;
        }

        await Decide();
    }

    public Task<GpuLeaseStatus> GetStatus(string requestId) => Task.FromResult(Status(State, requestId));

    public async Task NodeChanged(GpuNodeSnapshot node)
    {
        if (Now.Nodes.TryGetValue(node.Node, out var known)
            && known.Condition == node.Condition && known.Reason == node.Reason && known.Inventory.Equivalent(node.Inventory))
        {
            return;
        }

        RaiseEvent(Stamp(new GpuNodeObserved(node)));
        await Decide();
    }

    public async Task SetQuota(string project, string domain, string resource, int? limit, string? reason)
    {
        if (Now.Quota(project, domain, resource) == limit)
        {
            return;
        }

        RaiseEvent(Stamp(new GpuQuotaChanged(project, domain, resource, limit), reason));
        await Decide();
    }

    public Task<IReadOnlyList<string?>> Check(IReadOnlyList<GpuShape> shapes) =>
        Task.FromResult<IReadOnlyList<string?>>([.. shapes.Select(s => GpuScheduler.Unsatisfiable(State, s))]);

    public Task<GpuCapacity> GetCapacity() => Task.FromResult(GpuCapacityView.Of(State, _policy, Clock.GetUtcNow(), options.Value));

    public async Task<int> Reconcile()
    {
        var candidates = Now.Leases.Values.Select(l => l.Request)
            .Concat(Now.Waiting.Values.Select(w => w.Request))
            .ToList();
        var gone = new List<(GpuLeaseRequest Request, string Why)>();
        foreach (var chunk in candidates.Chunk(ReconcileParallelism))
        {
            var verdicts = await Task.WhenAll(chunk.Select(r => liveness.CheckAsync(GrainFactory, r)));
            gone.AddRange(chunk.Zip(verdicts).Where(v => v.Second is not null).Select(v => (v.First, v.Second!)));
        }

        var ended = 0;
        foreach (var (request, why) in gone)
        {
            var reason = $"reconciled: {why}";
            if (Now.Leases.ContainsKey(request.RequestId))
            {
                RaiseEvent(Stamp(new GpuLeaseReleased(request.RequestId, reason)));
                ended++;
            }
            else if (Now.Waiting.ContainsKey(request.RequestId))
            {
                RaiseEvent(Stamp(new GpuRequestCancelled(request.RequestId, reason)));
                ended++;
            }
        }

        if (ended > 0)
        {
            log.LogWarning("GPU reconciliation ended {Count} leases or requests whose attempts were over or gone", ended);
        }

        // Also a plain pass: ageing may have changed the order, a reservation may have become due.
        await Decide();
        return ended;
    }

    private async Task ReconcileQuietly()
    {
        try
        {
            await Reconcile();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "GPU reconciliation failed; it runs again in {Interval}", options.Value.ReconcileInterval);
        }
    }

    /// <summary>Grants what fits now, in one write with whatever this turn already raised, then tells the grantees.</summary>
    private async Task Decide(string? except = null)
    {
        // Until nothing more fits: a pass decides reservations from the state it starts with, and a grant can change
        // which request is the one to reserve for, so one more pass may place what the last one held back.
        var granted = new List<GpuLeaseRequest>();
        var now = Clock.GetUtcNow();
        while (GpuScheduler.Schedule(Now, _policy, now) is { Count: > 0 } placements)
        {
            foreach (var placement in placements)
            {
                granted.Add(Now.Waiting[placement.RequestId].Request);
                RaiseEvent(Stamp(new GpuLeaseGranted(placement.RequestId, placement.Node, placement.UnitIds, placement.ResourceName)));
            }
        }

        await ConfirmEvents();
        foreach (var request in granted.Where(r => r.RequestId != except))
        {
            grants.Granted(GrainFactory, request);
        }
    }

    private GpuLeaseStatus Status(GpuAllocatorState state, string requestId)
    {
        if (state.Leases.TryGetValue(requestId, out var lease))
        {
            return new GpuLeaseStatus(requestId, GpuLeaseState.Granted, lease.Node, lease.UnitIds, lease.ResourceName, lease.Since);
        }

        if (state.Waiting.TryGetValue(requestId, out var waiting))
        {
            return new GpuLeaseStatus(requestId, GpuLeaseState.Waiting, Since: waiting.Since,
                Waiting: GpuScheduler.Explain(state, _policy, requestId, Clock.GetUtcNow()));
        }

        return state.Ended.TryGetValue(requestId, out var how)
            ? new GpuLeaseStatus(requestId, GpuLeaseState.Ended, Ended: how)
            : new GpuLeaseStatus(requestId, GpuLeaseState.Unknown);
    }
}
