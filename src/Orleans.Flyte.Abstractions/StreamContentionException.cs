namespace Orleans.Flyte.Abstractions;

/// <summary>
/// A grain lost the race to write its event stream on every try: another activation of the same grain (a split brain
/// that has not resolved yet) kept writing first. Nothing was recorded for this call, so retrying it later is safe.
/// A contract because it can reach callers of any event-sourced grain.
/// </summary>
[GenerateSerializer, Alias("flyte.StreamContentionException")]
public sealed class StreamContentionException : Exception
{
    public StreamContentionException()
    {
    }

    public StreamContentionException(string message)
        : base(message)
    {
    }

    public StreamContentionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StreamContentionException(string grain, string stream, int attempts)
        : base($"Grain {grain} lost the race to write its stream {stream} {attempts} times in a row: another activation of it keeps writing first. Nothing was recorded; retry the call.")
    {
    }
}
