namespace Orleans.Flyte.Abstractions;

/// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the engine records on, which the API exports.</summary>
public static class PlatformMeter
{
    public const string Name = "Orleans.Flyte";
}
