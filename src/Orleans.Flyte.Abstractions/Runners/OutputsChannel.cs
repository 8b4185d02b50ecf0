namespace Orleans.Flyte.Abstractions.Runners;

/// <summary>Where a runner reads a task's outputs from, as <see cref="TaskContract.ExitedZero"/>'s error messages name it,
/// and how much it accepts there.</summary>
/// <param name="Noun">The place with its article, as in "wrote <c>an outputs.json</c> that is not valid JSON".</param>
/// <param name="NothingWritten">What a task that wrote nothing there did, as in "task exited 0 but <c>did not write
/// outputs.json</c>".</param>
/// <param name="MaxBytes">The most the outputs may take, in UTF-8 bytes: they are stored in the attempt's events and
/// passed on as the inputs of the nodes downstream.</param>
public sealed record OutputsChannel(string Noun, string NothingWritten, int MaxBytes);
