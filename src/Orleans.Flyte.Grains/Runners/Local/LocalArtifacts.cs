using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>The local runner's side of the <see cref="ArtifactContract"/>: inputs are read in place from the store (the
/// path of the stored artifact), and declared outputs are collected from the attempt's <c>out/</c> folder after exit 0.</summary>
internal sealed class LocalArtifacts(ArtifactStore store)
{
    public bool TryPlaceInputs(JsonObject inputs, AttemptLaunch launch, [NotNullWhen(true)] out JsonObject? placed, [NotNullWhen(false)] out string? error) =>
        ArtifactContract.TryPlaceInputs(inputs, launch.ArtifactInputs, store.PathOf, store.Contains, out placed, out error);

    public Task<AttemptStatus> CollectOutputsAsync(AttemptStatus succeeded, AttemptLaunch launch, string outputDirectory) =>
        ArtifactContract.CollectOutputsAsync(store, succeeded, launch.ArtifactOutputs, outputDirectory);
}
