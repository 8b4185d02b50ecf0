using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// The loop behind <see cref="EventSourcedGrain{TState, TEvent}.DecideAndRecord{TFacts, TResult}"/>, kept apart from the
/// grain so its bound can be tested without a silo: learn, decide on the state the write will be conditional on, record
/// the decision only if nothing reached the stream first, and on a lost race do it all again on the re-read state.
/// </summary>
public static class ConditionalRecording
{
    /// <summary>
    /// How many decisions one call may take. A lost race means another activation wrote; the next decision sees what it
    /// wrote and usually records nothing. Losing this often in a row means two activations keep racing, which a retry
    /// later (once Orleans has resolved the duplicate activation) fixes better than spinning here.
    /// </summary>
    public const int MaxAttempts = 5;

    /// <param name="grain">Names the grain in the exception when every attempt lost.</param>
    /// <param name="stream">Names its stream in that exception.</param>
    /// <param name="current">The state the next conditional write would be appended to, and its position in the log.</param>
    /// <param name="learn">Asks what the decision needs from outside the state (other grains): I/O, before deciding.</param>
    /// <param name="decide">Pure: what to record and what to answer.</param>
    /// <param name="beforeWrite">Runs after a decision that records something and before each write of it (e.g. a
    /// reminder that must be durable before the event that needs it); not at all when nothing is recorded.</param>
    /// <param name="recordIfUnchanged">Appends the events only if the log is still at the position decided on; false
    /// when another writer came first, after which <paramref name="current"/> gives the re-read state.</param>
    public static async Task<TResult> DecideAndRecord<TState, TFacts, TEvent, TResult>(
        string grain,
        string stream,
        Func<(TState State, int Position)> current,
        Func<TState, Task<TFacts>> learn,
        Func<TState, TFacts, Decision<TEvent, TResult>> decide,
        Func<Task>? beforeWrite,
        Func<IReadOnlyList<TEvent>, Task<bool>> recordIfUnchanged)
        where TEvent : DomainEvent
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(learn);
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentNullException.ThrowIfNull(recordIfUnchanged);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (state, position) = current();
            var facts = await learn(state);

            // Learning awaited other grains: a reentrant grain may have moved on meanwhile, and a decision must be taken on
            // exactly the state its write is conditional on.
            if (current().Position != position)
            {
                continue;
            }

            var decision = decide(state, facts);
            if (decision.RecordsNothing)
            {
                return decision.Result;
            }

            if (beforeWrite is not null)
            {
                await beforeWrite();
            }

            if (await recordIfUnchanged(decision.Events))
            {
                return decision.Result;
            }
        }

        throw new StreamContentionException(grain, stream, MaxAttempts);
    }
}
