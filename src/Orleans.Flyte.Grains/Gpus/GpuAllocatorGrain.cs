using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Flyte.Abstractions;
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
/// <para>
/// Every event is a decision on state (queue this request, grant these units, release that lease), so every event is
/// conditional: it is written only if nothing else reached the stream since the state it was decided on. A second
/// activation of the allocator (a split brain, or two clusters on one database) therefore cannot make this one grant a
/// unit it already granted: the lost write is dropped, the stream re-read and the decision taken again.
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

    /// <summary>The allocator's stream grows with every request, grant and release: as-of reads start from snapshots.</summary>
    protected override bool TakesSnapshots => true;

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

        await DecideAndGrant(
            state => state.Waiting.ContainsKey(request.RequestId) || state.Leases.ContainsKey(request.RequestId) || state.Ended.ContainsKey(request.RequestId)
                ? []
                : [new GpuRequestQueued(request)],
            except: request.RequestId);
        return Status(Now, request.RequestId);
    }

    public Task Release(string requestId, string reason) =>
        DecideAndGrant(state => state.Leases.ContainsKey(requestId) ? [new GpuLeaseReleased(requestId, reason)]
            : state.Waiting.ContainsKey(requestId) ? [new GpuRequestCancelled(requestId, reason)]
            : []);

    public Task<GpuLeaseStatus> GetStatus(string requestId) => Task.FromResult(Status(State, requestId));

    public async Task NodeChanged(GpuNodeSnapshot node)
    {
        await DecideAndGrant(state => state.Nodes.TryGetValue(node.Node, out var known)
            && known.Condition == node.Condition && known.Reason == node.Reason && known.Inventory.Equivalent(node.Inventory)
                ? []
                : [new GpuNodeObserved(node)]);
    }

    public async Task SetQuota(string project, string domain, string resource, int? limit, string? reason)
    {
        await DecideAndGrant(state => state.Quota(project, domain, resource) == limit ? [] : [new GpuQuotaChanged(project, domain, resource, limit)], reason: reason);
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
        await DecideAndGrant(state =>
        {
            var events = new List<GpuAllocatorEvent>();
            foreach (var (request, why) in gone)
            {
                var reason = $"reconciled: {why}";
                if (state.Leases.ContainsKey(request.RequestId))
                {
                    events.Add(new GpuLeaseReleased(request.RequestId, reason));
                }
                else if (state.Waiting.ContainsKey(request.RequestId))
                {
                    events.Add(new GpuRequestCancelled(request.RequestId, reason));
                }
            }

            ended = events.Count;
            return events;
        });

        if (ended > 0)
        {
            log.LogWarning("GPU reconciliation ended {Count} leases or requests whose attempts were over or gone", ended);
        }

        // A plain pass (DecideAndGrant above also granted): ageing may have changed the order, a reservation may have become due.
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

    /// <summary>Counts the allocator's recorded decisions, grants and releases by resource, and how long each grant waited.</summary>
    protected override void OnRecorded(GpuAllocatorState before, IReadOnlyList<GpuAllocatorEvent> events)
    {
        if (Metrics is not { } metrics)
        {
            return;
        }

        foreach (var @event in events)
        {
            switch (@event)
            {
                case GpuRequestQueued:
                    metrics.GpuDecision("queued");
                    break;
                case GpuLeaseGranted granted:
                    metrics.GpuDecision("granted");
                    if (before.Waiting.TryGetValue(granted.RequestId, out var waiting))
                    {
                        metrics.GpuGranted(Resource(waiting.Request), granted.Meta.At - waiting.Since);
                    }
                    else if (events.OfType<GpuRequestQueued>().FirstOrDefault(q => q.Request.RequestId == granted.RequestId) is { } queued)
                    {
                        metrics.GpuGranted(Resource(queued.Request), granted.Meta.At - queued.Meta.At);
                    }

                    break;
                case GpuLeaseReleased released:
                    metrics.GpuDecision("released");
                    if (before.Leases.TryGetValue(released.RequestId, out var lease))
                    {
                        metrics.GpuReleased(Resource(lease.Request));
                    }

                    break;
                case GpuRequestCancelled:
                    metrics.GpuDecision("cancelled");
                    break;
            }
        }

        static string Resource(GpuLeaseRequest request) => request.Profile ?? request.DeviceClass ?? "gpu";
    }

    /// <summary>
    /// Records what <paramref name="decide"/> says on the tentative state, then grants what fits now, all conditionally in
    /// one write with whatever other calls raised meanwhile, then tells the grantees. When another writer reached the
    /// stream first, Orleans drops the conditional events and re-reads; the whole decision is taken again on what the
    /// stream now holds, at most <see cref="ConditionalRecording.MaxAttempts"/> times.
    /// </summary>
    private async Task DecideAndGrant(Func<GpuAllocatorState, IReadOnlyList<GpuAllocatorEvent>> decide, string? except = null, string? reason = null)
    {
        for (var attempt = 0; attempt < ConditionalRecording.MaxAttempts; attempt++)
        {
            var writes = new List<Task<bool>>();
            if (decide(Now) is { Count: > 0 } events)
            {
                writes.Add(RaiseConditionalEvents([.. events.Select(e => Stamp(e, reason))]));
            }

            // Until nothing more fits: a pass decides reservations from the state it starts with, and a grant can change
            // which request is the one to reserve for, so one more pass may place what the last one held back.
            var granted = new List<GpuLeaseRequest>();
            var now = Clock.GetUtcNow();
            while (GpuScheduler.Schedule(Now, _policy, now) is { Count: > 0 } placements)
            {
                granted.AddRange(placements.Select(p => Now.Waiting[p.RequestId].Request));
                writes.Add(RaiseConditionalEvents([.. placements.Select(p => Stamp(new GpuLeaseGranted(p.RequestId, p.Node, p.UnitIds, p.ResourceName)))]));
            }

            if ((await Task.WhenAll(writes)).All(written => written))
            {
                foreach (var request in granted.Where(r => r.RequestId != except))
                {
                    grants.Granted(GrainFactory, request);
                }

                return;
            }
        }

        throw new StreamContentionException(this.GetGrainId().ToString(), Stream.ToString(), ConditionalRecording.MaxAttempts);
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
