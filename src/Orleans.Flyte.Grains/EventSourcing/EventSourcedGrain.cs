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
/// </summary>
[LogConsistencyProvider(ProviderName = MartenLogConsistency.ProviderName)]
public abstract class EventSourcedGrain<TState, TEvent>(IEventStreamStore store, TimeProvider clock)
    : JournaledGrain<TState, TEvent>, ICustomStorageInterface<TState, TEvent>
    where TState : class, IEventSourcedState<TEvent>, new()
    where TEvent : DomainEvent
{
    private string _lastHash = EventHashChain.Genesis;

    /// <summary>The stream this activation's events live in (derived from the grain key).</summary>
    protected abstract StreamAddress Stream { get; }

    protected TimeProvider Clock => clock;

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

    /// <summary>Stamps and raises an event only if no other write reached the stream first. Prefer
    /// <see cref="DecideAndRecord{TResult}"/>, which also takes the decision again when this returns false.</summary>
    protected Task<bool> RecordIfUnchanged(TEvent @event, string? reason = null) =>
        RaiseConditionalEvent(Stamp(@event, reason));

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
    protected Task<TResult> DecideAndRecord<TResult>(
        Func<TState, Decision<TEvent, TResult>> decide, string? reason = null, Func<Task>? beforeWrite = null)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return DecideAndRecord(static _ => Task.FromResult(false), (state, _) => decide(state), reason, beforeWrite);
    }

    /// <summary>
    /// <see cref="DecideAndRecord{TResult}"/> for decisions that need facts from outside the state (another grain's
    /// answer): <paramref name="learn"/> asks for them first, and asks again whenever the decision is taken again, since the
    /// fresh state may need other facts.
    /// </summary>
    protected Task<TResult> DecideAndRecord<TFacts, TResult>(
        Func<TState, Task<TFacts>> learn, Func<TState, TFacts, Decision<TEvent, TResult>> decide, string? reason = null, Func<Task>? beforeWrite = null) =>
        ConditionalRecording.DecideAndRecord(
            this.GetGrainId().ToString(),
            Stream.ToString(),
            Current,
            learn,
            decide,
            beforeWrite,
            events => RaiseConditionalEvents(events.Select(e => Stamp(e, reason)).ToList()));

    protected override void TransitionState(TState state, TEvent @event) => state.Apply(@event);

    /// <summary>The state a conditional write is appended to, and its position in the log: the confirmed state unless
    /// this activation has raised events it has not confirmed yet (the tentative state costs a copy, so only then).</summary>
    private (TState State, int Position) Current()
    {
        var unconfirmed = UnconfirmedEvents.Count();
        return unconfirmed == 0 ? (State, Version) : (TentativeState, Version + unconfirmed);
    }

    async Task<KeyValuePair<int, TState>> ICustomStorageInterface<TState, TEvent>.ReadStateFromStorage()
    {
        var slice = await store.ReadAsync(Stream);
        var state = new TState();
        foreach (var recorded in slice.Events)
        {
            state.Apply((TEvent)recorded.Data);
        }

        _lastHash = slice.LastHash;
        return new KeyValuePair<int, TState>(checked((int)slice.Version), state);
    }

    async Task<bool> ICustomStorageInterface<TState, TEvent>.ApplyUpdatesToStorage(IReadOnlyList<TEvent> updates, int expectedVersion)
    {
        var result = await store.AppendAsync(Stream, expectedVersion, _lastHash, updates);
        if (result.Appended)
        {
            _lastHash = result.LastHash;
        }

        return result.Appended;
    }
}

public static class MartenLogConsistency
{
    /// <summary>The CustomStorage log-consistency provider every event-sourced grain uses.</summary>
    public const string ProviderName = "MartenCustomStorage";
}
