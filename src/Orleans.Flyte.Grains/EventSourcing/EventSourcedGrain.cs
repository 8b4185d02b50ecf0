using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.EventSourcing;
using Orleans.EventSourcing.CustomStorage;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Providers;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// A journaled grain whose log is one Marten stream. State is the fold of the stream
/// (<see cref="IEventSourcedState{TEvent}.Apply"/>); appends carry the expected version, so two activations
/// of the same key (a split brain across silos, or two clusters on one database) can never both win:
/// the loser's <see cref="ApplyUpdatesToStorage"/> returns false and Orleans re-reads the stream.
/// Decisions that depend on state go through <see cref="DecideAndRecord{TResult}"/>, so a lost race re-decides on the
/// fresh state instead of appending a fact decided on stale state.
/// <para>
/// Storage failures are classified (<see cref="StorageFailureClassifier"/>). Orleans retries a write that throws until
/// it succeeds, so a write the store refuses as data would wedge the grain (every later call waits behind it); instead
/// such an activation drops its tentative events, fails the calls that raised them with an
/// <see cref="EventRejectedException"/> and deactivates, so the next call finds a fresh activation read from the stream.
/// A transient failure (database down) is retried with back-off until the database is back, because what a grain raised
/// must not be lost; callers' waits are bounded at the API (503), and once the host stops, the retry gives up (nothing
/// unconfirmed was acknowledged to anyone; reminders bring the work back).
/// </para>
/// </summary>
[LogConsistencyProvider(ProviderName = MartenLogConsistency.ProviderName)]
public abstract class EventSourcedGrain<TState, TEvent>(IEventStreamStore store, TimeProvider clock)
    : JournaledGrain<TState, TEvent>, ICustomStorageInterface<TState, TEvent>
    where TState : class, IEventSourcedState<TEvent>, new()
    where TEvent : DomainEvent
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(5);

    private string _lastHash = EventHashChain.Genesis;

    /// <summary>Why this activation stopped writing (its events were refused, or the host stopped while the store was
    /// down); set once, then every call on it fails until it is gone.</summary>
    private Exception? _refused;

    private int _transientFailures;

    /// <summary>The message that activated this grain promised its stream is empty (<see cref="NewStreams"/>): the first
    /// read is skipped. Set only during activation; any later read (after a lost race, say) reads the stream.</summary>
    private bool _streamPromisedEmpty;

    /// <summary>The latest event time among the stream's events so far (stamps need not rise across silos).</summary>
    private DateTimeOffset _latestAt = DateTimeOffset.MinValue;

    /// <summary>What this activation last appended: the version it reached, that event's hash and <see cref="_latestAt"/> then.</summary>
    private (long Version, string Hash, DateTimeOffset LatestAt)? _appended;

    /// <summary>The last multiple of the snapshot interval the stream had reached when a snapshot was taken or the stream read.</summary>
    private long _snapshotMark;

    /// <summary>The stream this activation's events live in (derived from the grain key).</summary>
    protected abstract StreamAddress Stream { get; }

    protected TimeProvider Clock => clock;

    private Observability.EngineMetrics? _metrics;

    /// <summary>The engine's metrics; null in a host that registered none (the event store alone).</summary>
    protected Observability.EngineMetrics? Metrics => _metrics ??= ServiceProvider.GetService<Observability.EngineMetrics>();

    /// <summary>
    /// Called once the store has durably appended <paramref name="events"/> on top of <paramref name="before"/> (the
    /// confirmed state they follow): the one place a grain counts what it recorded, never for events read back on
    /// activation. Must not throw or block; it runs inside Orleans' write.
    /// </summary>
    protected virtual void OnRecorded(TState before, IReadOnlyList<TEvent> events)
    {
    }

    /// <summary>True for grains whose streams grow long (the allocator, GPU nodes): their state is written as a
    /// <see cref="StreamSnapshot"/> every <see cref="StreamSnapshotOptions.Every"/> events, so as-of reads start near the
    /// instant instead of at the first event. The state must round-trip through JSON (<see cref="StreamSnapshots.Json"/>).</summary>
    protected virtual bool TakesSnapshots => false;

    /// <summary>The component name in <c>system:&lt;component&gt;</c>, recorded when the grain acts with no caller (a timer,
    /// a reminder, a runner's callback): <c>WorkflowExecutionGrain</c> is <c>workflow-execution</c>.</summary>
    protected virtual string Component => ComponentName(GetType().Name);

    /// <summary>Whom the grain acts for when no one called it: the run's submitter, the plan's activator. Null: no one.</summary>
    protected virtual string? ActingFor => null;

    /// <summary>Stamps an event with who, when and which request, from the caller's request context; with no caller, as
    /// <c>system:&lt;component&gt;</c> acting for <see cref="ActingFor"/>.</summary>
    protected TEvent Stamp(TEvent @event, string? reason = null)
    {
        var caller = CallContext.Caller;
        var meta = caller is null
            ? new EventMetadata(clock.GetUtcNow(), CallContext.System(Component), CallContext.CorrelationId, reason) { OnBehalfOf = ActingFor }
            : new EventMetadata(clock.GetUtcNow(), caller, CallContext.CorrelationId, reason) { OnBehalfOf = CallContext.OnBehalfOf };
        return (TEvent)((DomainEvent)@event with { Meta = meta });
    }

    /// <summary>
    /// Stamps an event a pure decider raised (<c>WorkflowStep</c>): who and which request as <see cref="Stamp"/> does, and
    /// the time it was decided at and its reason as the decider set them, so a timeout armed from a decided start falls due
    /// exactly when the stored start says. An event with no decided time (<see cref="EventMetadata.Unstamped"/>) is
    /// stamped now.
    /// </summary>
    /// <param name="reason">The reason of an event with no decided time.</param>
    protected TEvent StampDecided(TEvent @event, string? reason = null)
    {
        var decided = @event.Meta;
        if (decided.At == EventMetadata.Unstamped.At)
        {
            return Stamp(@event, reason);
        }

        var stamped = Stamp(@event, decided.Reason);
        return (TEvent)((DomainEvent)stamped with { Meta = stamped.Meta with { At = decided.At } });
    }

    /// <summary>When a grain with no caller goes on to call other grains, they act for the same principal.</summary>
    protected void ActAsComponentIfUncalled()
    {
        if (CallContext.Caller is null)
        {
            CallContext.Set(CallContext.System(Component), CallContext.CorrelationId, ActingFor);
        }
    }

    internal static string ComponentName(string typeName)
    {
        var name = typeName.EndsWith("Grain", StringComparison.Ordinal) ? typeName[..^"Grain".Length] : typeName;
        var text = new System.Text.StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    /// <summary>Stamps and raises an event, then waits until it is durable.</summary>
    protected async Task Record(TEvent @event, string? reason = null)
    {
        RaiseEvent(Stamp(@event, reason));
        await ConfirmEvents();
    }

    /// <summary>
    /// Takes a decision on the current state and records its events (stamped, in one write) only if nothing reached the
    /// stream since that state: the way to record anything that depends on state. When another activation wrote first,
    /// Orleans re-reads the stream and the decision is taken again on what it now holds, at most
    /// <see cref="ConditionalRecording.MaxAttempts"/> times, then a <see cref="StreamContentionException"/> names this grain.
    /// <paramref name="decide"/> must be pure (it may run several times); the answer it gives is returned once its events
    /// are durable, or at once when it records nothing. Side effects belong after this returns.
    /// </summary>
    /// <param name="reason">Stamped on every recorded event.</param>
    /// <param name="beforeWrite">Runs before each write of a decision that records something (not when it records nothing),
    /// for what must be durable before the events, such as a reminder.</param>
    /// <param name="withWrite">Runs alongside each write of a decision that records something, and the call answers only
    /// once both are done: for what must be durable with the events but need not precede them (an execution's reminder,
    /// which removes itself if it finds no stream), at the cost of one write's latency instead of two.</param>
    protected Task<TResult> DecideAndRecord<TResult>(
        Func<TState, Decision<TEvent, TResult>> decide, string? reason = null, Func<Task>? beforeWrite = null, Func<Task>? withWrite = null)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return DecideAndRecord(static _ => Task.FromResult(false), (state, _) => decide(state), reason, beforeWrite, withWrite);
    }

    /// <summary>
    /// <see cref="DecideAndRecord{TResult}"/> for decisions that need facts from outside the state (another grain's
    /// answer): <paramref name="learn"/> asks for them first, and asks again whenever the decision is taken again, since the
    /// fresh state may need other facts.
    /// </summary>
    protected Task<TResult> DecideAndRecord<TFacts, TResult>(
        Func<TState, Task<TFacts>> learn,
        Func<TState, TFacts, Decision<TEvent, TResult>> decide,
        string? reason = null,
        Func<Task>? beforeWrite = null,
        Func<Task>? withWrite = null) =>
        ConditionalRecording.DecideAndRecord(
            this.GetGrainId().ToString(),
            Stream.ToString(),
            Current,
            learn,
            decide,
            beforeWrite,
            events => RecordIfUnchanged(events, reason, withWrite));

    protected override void TransitionState(TState state, TEvent @event) => state.Apply(@event);

    private async Task<bool> RecordIfUnchanged(IReadOnlyList<TEvent> events, string? reason, Func<Task>? withWrite)
    {
        // An event decided with its time (a workflow's first step, written with its acceptance) keeps it and its reason.
        var write = RaiseConditionalEvents([.. events.Select(e => StampDecided(e, reason))]);
        if (withWrite is not null)
        {
            await Task.WhenAll(write, withWrite());
        }

        return await write;
    }

    /// <summary>Waits until the raised events are durable; throws when the store refused them (they are then dropped).</summary>
    protected new async Task ConfirmEvents()
    {
        ThrowIfRefused();
        await base.ConfirmEvents();
        ThrowIfRefused();
    }

    protected override void RaiseEvent<TEventType>(TEventType @event)
    {
        ThrowIfRefused();
        base.RaiseEvent(@event);
    }

    protected override void RaiseEvents<TEventType>(IEnumerable<TEventType> events)
    {
        ThrowIfRefused();
        base.RaiseEvents(events);
    }

    protected override async Task<bool> RaiseConditionalEvent<TEventType>(TEventType @event)
    {
        ThrowIfRefused();
        var written = await base.RaiseConditionalEvent(@event);
        ThrowIfRefused();
        return written;
    }

    protected override async Task<bool> RaiseConditionalEvents<TEventType>(IEnumerable<TEventType> events)
    {
        ThrowIfRefused();
        var written = await base.RaiseConditionalEvents(events);
        ThrowIfRefused();
        return written;
    }

    private void ThrowIfRefused()
    {
        switch (_refused)
        {
            case null:
                return;
            case StoreUnavailableException unavailable:
                throw new StoreUnavailableException(unavailable.Message);
            default:
                throw new EventRejectedException(_refused.Message);
        }
    }

    private CancellationToken HostStopping =>
        ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;

    /// <summary>The state a conditional write is appended to, and its position in the log: the confirmed state unless
    /// this activation has raised events it has not confirmed yet (the tentative state costs a copy, so only then).</summary>
    private (TState State, int Position) Current()
    {
        var unconfirmed = UnconfirmedEvents.Count();
        return unconfirmed == 0 ? (State, Version) : (TentativeState, Version + unconfirmed);
    }

    /// <summary>Activation reads the stream (Orleans' <c>JournaledGrain</c> waits for it), unless the activating call promised
    /// there is none to read.</summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _streamPromisedEmpty = NewStreams.Promised(this.GetGrainId());
        return base.OnActivateAsync(cancellationToken);
    }

    async Task<KeyValuePair<int, TState>> ICustomStorageInterface<TState, TEvent>.ReadStateFromStorage()
    {
        if (_streamPromisedEmpty)
        {
            // Version 0 and the genesis hash: exactly what reading a stream that does not exist gives. If it does exist, the
            // first (conditional) append expects version 0 and fails, and Orleans comes back here for a real read.
            _streamPromisedEmpty = false;
            return new KeyValuePair<int, TState>(0, new TState());
        }

        StreamSlice slice;
        try
        {
            slice = await store.ReadAsync(Stream);
        }
        catch (Exception ex) when (_refused is not null || HostStopping.IsCancellationRequested)
        {
            // Orleans re-reads until it succeeds after a failed write; a refused activation (or one whose host is stopping
            // while the store is down) is on its way out, so what it already holds ends that loop: it serves no further call.
            Refuse(_refused ?? new StoreUnavailableException(
                $"{this.GetGrainId()} could not read its stream {Stream} before the host stopped: {ex.GetBaseException().Message}."));
            return new KeyValuePair<int, TState>(Version, State);
        }

        var state = new TState();
        var latest = DateTimeOffset.MinValue;
        foreach (var recorded in slice.Events)
        {
            state.Apply((TEvent)recorded.Data);
            latest = Later(latest, recorded.Data.Meta.At);
        }

        _lastHash = slice.LastHash;
        _latestAt = latest;
        _appended = null;
        _snapshotMark = SnapshotEvery is > 0 and var every ? slice.Version / every : 0;
        return new KeyValuePair<int, TState>(checked((int)slice.Version), state);
    }

    async Task<bool> ICustomStorageInterface<TState, TEvent>.ApplyUpdatesToStorage(IReadOnlyList<TEvent> updates, int expectedVersion)
    {
        if (_refused is not null)
        {
            return true; // dropped: see Refuse
        }

        try
        {
            var before = State;
            var result = await store.AppendAsync(Stream, expectedVersion, _lastHash, updates);
            _transientFailures = 0;
            if (result.Appended)
            {
                _lastHash = result.LastHash;
                _latestAt = updates.Aggregate(_latestAt, (latest, e) => Later(latest, e.Meta.At));
                _appended = (expectedVersion + updates.Count, result.LastHash, _latestAt);
                Observe(before, updates);
            }

            return result.Appended;
        }
        catch (Exception ex) when (StorageFailureClassifier.Of(ex) == StorageFailureKind.Transient)
        {
            var stopping = HostStopping;
            if (!stopping.IsCancellationRequested)
            {
                _transientFailures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(s_maxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(_transientFailures, 10))));
                await Task.Delay(delay, stopping).ContinueWith(static _ => { }, TaskScheduler.Default);
            }

            if (!stopping.IsCancellationRequested)
            {
                throw; // Orleans re-reads the stream and tries again
            }

            return Refuse(new StoreUnavailableException(
                $"{this.GetGrainId()} could not write its stream {Stream} before the host stopped: {ex.GetBaseException().Message}. Nothing of the call was recorded."));
        }
        catch (Exception ex) when (StorageFailureClassifier.Of(ex) == StorageFailureKind.Permanent)
        {
            return Refuse(ex as EventRejectedException ?? new EventRejectedException(
                $"The event store refused the events of {this.GetGrainId()}: {ex.GetBaseException().Message}. Nothing was recorded."));
        }
    }

    private int SnapshotEvery =>
        TakesSnapshots ? ServiceProvider.GetService<IOptions<StreamSnapshotOptions>>()?.Value.Every ?? 0 : 0;

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    /// <summary>
    /// Once the confirmed state has passed a multiple of the snapshot interval through this activation's own write, its
    /// JSON is taken here (on the grain's turn, so the state cannot move meanwhile) and stored in the background: a snapshot
    /// is an optimisation of reads, so a failed one costs a longer fold later, never the write.
    /// </summary>
    protected override void OnStateChanged()
    {
        base.OnStateChanged();
        if (SnapshotEvery is not (> 0 and var every) || _appended is not { } appended || appended.Version != Version || Version / every <= _snapshotMark)
        {
            return;
        }

        _snapshotMark = Version / every;
        if (ServiceProvider.GetService<StreamSnapshots>() is not { } snapshots)
        {
            return;
        }

        var json = StreamSnapshots.Serialize(State);
        var stream = Stream;
        var log = ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(GetType());
        _ = Task.Run(async () =>
        {
            try
            {
                await snapshots.SaveAsync(stream, appended.Version, appended.LatestAt, appended.Hash, json);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                log?.LogWarning(ex, "The snapshot of {Stream} at version {Version} was not stored; as-of reads fold from an earlier one", stream, appended.Version);
            }
        });
    }

    private void Observe(TState before, IReadOnlyList<TEvent> events)
    {
        try
        {
            OnRecorded(before, events);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Metrics never fail a write that has succeeded.
            ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(GetType())
                .LogWarning(ex, "Counting the events of {Grain} failed", this.GetGrainId());
        }
    }

    /// <summary>
    /// Drops the tentative events: Orleans offers no way to take back raised events, and retries a failing write for
    /// ever, so the write is reported done, every call waiting on it (or raising after it) fails with
    /// <paramref name="why"/>, and the activation deactivates. Its in-memory state is then ahead of the stream, which no
    /// call sees; were it to write again, the expected version would not match and the store would refuse it.
    /// </summary>
    private bool Refuse(Exception why)
    {
        _refused ??= why;
        DeactivateOnIdle();
        return true;
    }
}

public static class MartenLogConsistency
{
    /// <summary>The CustomStorage log-consistency provider every event-sourced grain uses.</summary>
    public const string ProviderName = "MartenCustomStorage";
}
