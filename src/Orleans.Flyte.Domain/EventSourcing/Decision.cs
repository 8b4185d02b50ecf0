namespace Orleans.Flyte.Domain.EventSourcing;

/// <summary>
/// What a pure decider concluded from one state: the events to record (none when nothing changes) and the answer to
/// give once they are stored. A decider never records anything itself, so a grain whose conditional write lost a race
/// can take the same decision again on the fresh state, and the decision can be tested without a silo.
/// </summary>
/// <param name="Events">Recorded together, in order, in one conditional write; empty when nothing changes.</param>
/// <param name="Result">The answer, valid once <paramref name="Events"/> are stored (or at once when there are none).</param>
public sealed record Decision<TEvent, TResult>(IReadOnlyList<TEvent> Events, TResult Result)
    where TEvent : DomainEvent
{
    public bool RecordsNothing => Events.Count == 0;

    public static Decision<TEvent, TResult> Unchanged(TResult result) => new([], result);

    public static Decision<TEvent, TResult> Record(TResult result, params IReadOnlyList<TEvent> events) => new(events, result);
}
