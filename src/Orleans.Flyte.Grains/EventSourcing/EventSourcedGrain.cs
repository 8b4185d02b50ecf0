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
/// Decisions that depend on state must use <see cref="RaiseConditionalEvent(TEvent)"/> so a lost race
/// re-decides on the fresh state instead of appending a fact decided on stale state.
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

    /// <summary>Stamps and raises an event only if no other write reached the stream first.</summary>
    protected Task<bool> RecordIfUnchanged(TEvent @event, string? reason = null) =>
        RaiseConditionalEvent(Stamp(@event, reason));

    protected override void TransitionState(TState state, TEvent @event) => state.Apply(@event);

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
