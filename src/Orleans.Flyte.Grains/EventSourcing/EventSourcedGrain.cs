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

    /// <summary>Stamps an event with who, when and which request, from the caller's request context.</summary>
    protected TEvent Stamp(TEvent @event, string? reason = null) =>
        (TEvent)((DomainEvent)@event with { Meta = new EventMetadata(clock.GetUtcNow(), CallContext.Principal, CallContext.CorrelationId, reason) });

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
        var write = RaiseConditionalEvents([.. events.Select(e => Stamp(e, reason))]);
        if (withWrite is not null)
        {
            await Task.WhenAll(write, withWrite());
        }

        return await write;
    }

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
