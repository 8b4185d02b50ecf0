using Orleans.Runtime;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// A caller that has just made up a grain's key (a fresh execution id, a node its workflow has only now made ready) knows
/// that grain's stream is empty, and says so with the call that activates it: the activation then starts from the empty
/// state instead of reading a stream that is not there, one database round trip less per execution and per task.
/// <para>
/// The hint travels in Orleans' request context, which the runtime hands to the activation of the grain the first message
/// is for (<see cref="EventSourcedGrain{TState, TEvent}"/> reads it there); it names that grain, so grains further down
/// the call chain ignore it, and a grain already active ignores it too. It is only ever a hint: the grain's first write
/// must be conditional (<c>RaiseConditionalEvents</c>, <c>DecideAndRecord</c>), so if the stream exists after all (a
/// retried or duplicated call, two activations in a split brain) the append's expected version 0 fails, Orleans reads
/// the stream, and the decision is taken again on what it holds. Nothing is written on a wrong hint.
/// </para>
/// </summary>
public static class NewStreams
{
    private const string Key = "flyte.new-stream";

    /// <summary>Calls <paramref name="call"/> on <paramref name="grain"/>, telling it that its stream does not exist yet.</summary>
    public static Task<TResult> Call<TGrain, TResult>(TGrain grain, Func<TGrain, Task<TResult>> call)
        where TGrain : IAddressable
    {
        ArgumentNullException.ThrowIfNull(call);
        var previous = RequestContext.Get(Key);
        RequestContext.Set(Key, grain.GetGrainId().ToString());
        try
        {
            // The request context is copied into the message when the call is made, so the hint goes with this call only.
            return call(grain);
        }
        finally
        {
            if (previous is null)
            {
                RequestContext.Remove(Key);
            }
            else
            {
                RequestContext.Set(Key, previous);
            }
        }
    }

    /// <inheritdoc cref="Call{TGrain, TResult}"/>
    public static Task Call<TGrain>(TGrain grain, Func<TGrain, Task> call)
        where TGrain : IAddressable =>
        Call(grain, async g =>
        {
            await call(g);
            return true;
        });

    /// <summary>Whether the message that is activating <paramref name="grain"/> said its stream does not exist yet.</summary>
    internal static bool Promised(GrainId grain) =>
        RequestContext.Get(Key) is string named && string.Equals(named, grain.ToString(), StringComparison.Ordinal);
}
